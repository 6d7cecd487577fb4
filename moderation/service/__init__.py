"""Use cases, one transaction each, callable from HTTP handlers, the CLI and auto-moderation:
`comments` (submit, decide, claim, list), `admin` (sites, tokens, settings), `webhooks`
(endpoints and their deliveries), `sessions` (the console's sign-in and sign-out), `authors`
(confirming an address, appeals, unsubscribing, the author's own comments), `reports` (readers'
notices and their resolution), `transparency` (the DSA aggregates and statements), `subjects`
(export and erase an address's data), `retention` (each site's schedule for forgetting it),
`keys` (re-sealing the addresses kept at rest)."""

from . import (
    admin,
    authors,
    comments,
    keys,
    reports,
    retention,
    sessions,
    subjects,
    transparency,
    webhooks,
)

__all__ = [
    "admin",
    "authors",
    "comments",
    "keys",
    "reports",
    "retention",
    "sessions",
    "subjects",
    "transparency",
    "webhooks",
]
