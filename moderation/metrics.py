"""Prometheus metrics: one registry per app, route templates (never raw paths) as labels."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from .domain import Comment, Status


class DecidedBy(StrEnum):
    """Who decided, as the decisions metric counts it."""

    TOKEN = "token"  # a moderator or an admin, with their token
    RULES = "rules"  # the site's settings, when the comment arrived


class RequestStats(Collector):
    """Every request counted (route template, method, status) and timed (route template) in
    plain dicts, made into metric families only when scraped: a prometheus_client child
    validates and takes a lock on each call, which every request paid, a flood's 429s most."""

    BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        # route → (per-bucket counts, the last for +Inf; sum of seconds)
        self.latency: dict[str, tuple[list[int], list[float]]] = {}

    @classmethod
    def registered(cls, registry: CollectorRegistry) -> RequestStats:
        stats = cls()
        registry.register(stats)
        return stats

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        timed = self.latency.get(route)
        if timed is None:
            timed = self.latency[route] = ([0] * (len(self.BUCKETS) + 1), [0.0])
        timed[0][bisect.bisect_left(self.BUCKETS, seconds)] += 1  # le: seconds ≤ bound
        timed[1][0] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "moderation_http_requests",
            "HTTP requests by route template, method and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in self.counts.items():
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "moderation_http_request_duration_seconds",
            "HTTP request latency by route template.",
            labels=["route"],
        )
        bounds = [str(b) for b in self.BUCKETS] + ["+Inf"]  # as prometheus_client writes them
        for route, (counts, total) in self.latency.items():
            cumulative = list(itertools.accumulate(counts))
            latency.add_metric([route], list(zip(bounds, cumulative, strict=True)), total[0])
        yield latency


@dataclass(frozen=True, slots=True)
class Metrics:
    registry: CollectorRegistry
    requests: RequestStats
    comments_received: Counter
    comments_decided: Counter
    pending: Gauge
    webhook_attempts: Counter
    webhook_latency: Histogram
    webhook_oldest_due: Gauge
    mail_attempts: Counter
    mail_queued: Gauge
    retention_purged: Counter
    retention_sweep: Histogram
    retention_batch: Histogram

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.observe(route, method, status, seconds)

    def comment_received(self, site_slug: str, comment: Comment) -> None:
        """A new comment, and the decision the site's rules made on it (a banned term, a
        trusted author), if any."""
        self.comments_received.labels(site_slug, comment.status.value).inc()
        if comment.status in (Status.APPROVED, Status.REJECTED):
            self.comment_decided(site_slug, comment.status, DecidedBy.RULES)

    def comment_decided(self, site_slug: str, status: Status, actor: DecidedBy) -> None:
        self.comments_decided.labels(site_slug, status.value, actor.value).inc()

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            requests=RequestStats.registered(registry),
            comments_received=Counter(
                "moderation_comments_received",
                "Comments accepted, by site and initial status.",
                ["site", "status"],
                registry=registry,
            ),
            comments_decided=Counter(
                "moderation_comments_decided",
                "Moderation decisions, by site, outcome and actor kind.",
                ["site", "status", "actor"],
                registry=registry,
            ),
            pending=Gauge(
                "moderation_pending_comments",
                "Comments waiting for a decision, all sites together, counted up to 10000 "
                "(measured at scrape time).",
                registry=registry,
            ),
            webhook_attempts=Counter(
                "moderation_webhook_deliveries",
                "Webhook delivery attempts by outcome: succeeded, retried (will be sent again), "
                "failed (no attempts left) or blocked (destination refused).",
                ["outcome"],
                registry=registry,
            ),
            webhook_latency=Histogram(
                "moderation_webhook_attempt_duration_seconds",
                "Time from sending a webhook to its answer (or error).",
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
                registry=registry,
            ),
            webhook_oldest_due=Gauge(
                "moderation_webhook_oldest_due_seconds",
                "How long the oldest due, unclaimed webhook delivery has waited (0 when none; "
                "measured at scrape time).",
                registry=registry,
            ),
            mail_attempts=Counter(
                "moderation_mail_attempts",
                "Mail sending attempts by outcome: sent, kept (development), retried (will be "
                "sent again), failed (given up) or undeliverable (address refused for good).",
                ["outcome"],
                registry=registry,
            ),
            mail_queued=Gauge(
                "moderation_mail_queued",
                "Mails waiting in the outbox to be sent (measured at scrape time).",
                registry=registry,
            ),
            retention_purged=Counter(
                "moderation_retention_purged_rows",
                "Rows the retention sweeper forgot or purged, all sites together, by kind: ip, "
                "report_network, email (comments that lost their address), rejected, spam, "
                "unverified, webhook_delivery, mail.",
                ["kind"],
                registry=registry,
            ),
            retention_sweep=Histogram(
                "moderation_retention_sweep_duration_seconds",
                "Wall time of one round of the retention sweeper over every site.",
                buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
                registry=registry,
            ),
            retention_batch=Histogram(
                "moderation_retention_batch_duration_seconds",
                "Time of one batch (one transaction) of the retention sweeper.",
                buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
                registry=registry,
            ),
        )


METRICS = web.AppKey("moderation.metrics", Metrics)
