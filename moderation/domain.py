"""The domain vocabulary: statuses, roles, reasons, and the records use cases pass around."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from .sealing import Place, Stored

# A site's short name, as it appears in URLs (/v1/sites/{site}/...).
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class Status(StrEnum):
    # From an address not yet confirmed, on a site that requires it: outside queue and thread.
    UNVERIFIED = "unverified"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"


class Role(StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"


class Reason(StrEnum):
    """A statement of reasons a site can show the author (cf. Coral's rejection reason codes)."""

    SPAM = "spam"
    OFFENSIVE = "offensive"
    ABUSIVE = "abusive"
    HATE_SPEECH = "hate_speech"
    HARASSMENT = "harassment"
    ILLEGAL_CONTENT = "illegal_content"
    MISINFORMATION = "misinformation"
    ADVERTISING = "advertising"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class SystemReason(StrEnum):
    """Reasons the site's rules give for their own decisions (moderators pick from Reason)."""

    BANNED_TERM = "banned_term"
    TRUSTED_AUTHOR = "trusted_author"


class ReportCategory(StrEnum):
    """What a reader says is wrong with a published comment when reporting it (DSA Art. 16)."""

    ILLEGAL_CONTENT = "illegal_content"
    HATE_SPEECH = "hate_speech"
    HARASSMENT = "harassment"
    VIOLENCE_OR_THREAT = "violence_or_threat"
    PRIVACY = "privacy"
    MISINFORMATION = "misinformation"
    SPAM = "spam"
    OTHER = "other"


class ReportAction(StrEnum):
    """What enough reports do to a published comment: queue it for a moderator, or also hide it
    from the public thread until a moderator decides."""

    QUEUE = "queue"
    HIDE = "hide"


class ReportStatus(StrEnum):
    """A reported comment's case: open until a moderator resolves it."""

    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """A moderator's decision on a reported comment."""

    KEEP = "keep"
    REMOVE = "remove"


class Policy(StrEnum):
    PRE_MODERATE = "pre-moderate"
    TRUST_APPROVED_AUTHORS = "trust-approved-authors"


class StatementPolicy(StrEnum):
    """Who gets a statement of reasons when their comment is rejected or taken down."""

    VERIFIED = "verified"  # authors whose address is verified on the site
    ALL = "all"
    OFF = "off"


class Language(StrEnum):
    """The language a site's mails (and pages for authors) are written in."""

    AR = "ar"
    EN = "en"

    @property
    def direction(self) -> str:
        return "rtl" if self is Language.AR else "ltr"


class EraseMode(StrEnum):
    """How an author's data is erased (issue 13)."""

    # The comments' text stays public under a "deleted author"; who wrote it goes.
    ANONYMIZE = "anonymize"
    # The text goes too; each comment stays as a "comment removed" placeholder in its thread.
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erase changed, per place; the same shape (all zero) for an unknown address."""

    mode: EraseMode
    comment_ids: list[int]
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class SiteSettings:
    policy: Policy = Policy.PRE_MODERATE
    max_links: int = 2
    banned_terms: tuple[str, ...] = ()
    suspect_terms: tuple[str, ...] = ()
    flood_seconds: int = 15
    hourly_limit: int = 30
    # Outgoing mail: the From name (the site's name when None), Reply-To, language, and the
    # links every mail carries (the site's front page and its terms).
    mail_sender_name: str | None = None
    mail_reply_to: str | None = None
    language: Language = Language.EN
    public_url: str | None = None
    terms_url: str | None = None
    # Reader reports: distinct reporters that send a comment to the reports queue, and whether
    # it then also leaves the public thread.
    report_threshold: int = 3
    report_action: ReportAction = ReportAction.QUEUE
    # Authors (issue 11): unverified comments wait until their address is confirmed; who
    # gets statements of reasons; the site's words on other remedies than its appeal.
    require_verified_email: bool = False
    statement_of_reasons: StatementPolicy = StatementPolicy.VERIFIED
    redress_text: str | None = None
    # Retention (issue 13; moderation/retention.py): days until the sweeper forgets or purges
    # each kind of data; None keeps it forever. A starting point, not legal advice.
    retain_ip_days: int | None = 30
    retain_email_days: int | None = None
    purge_rejected_days: int | None = 90
    purge_spam_days: int | None = 7
    purge_unverified_days: int | None = 7
    retain_deliveries_days: int | None = 30


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    slug: str
    name: str
    origins: tuple[str, ...]
    settings: SiteSettings = SiteSettings()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on a site: a token's holder, or the system (token_id None)."""

    site_id: int
    site_slug: str
    role: Role
    token_id: int | None

    @property
    def is_system(self) -> bool:
        return self.token_id is None

    def may(self, role: Role) -> bool:
        return self.role == Role.ADMIN or role == Role.MODERATOR


@dataclass(frozen=True, slots=True)
class Comment:
    site_id: int
    id: int
    thread: str
    parent_id: int | None
    name: str
    # The address's columns: sealed (sealing.py) with its key id, or plain in a row from before
    # migration 0014; all None once the author's data was erased (issue 13; `erased` says how).
    # Read it as `email`, which `settings.email_keys` opens.
    email_plain: str | None = field(repr=False)
    email_sealed: bytes | None = field(repr=False)
    email_key: int | None
    email_hash: bytes | None
    website: str | None
    body_text: str
    body_html: str
    body_dir: str
    name_dir: str
    renderer_version: int
    status: Status
    reason: str | None
    decided_at: datetime | None
    decided_by: int | None
    created_at: datetime
    flags: tuple[dict[str, str], ...] = ()
    notify: bool = False
    page_url: str | None = None
    proven: bool = False
    erased: str | None = None

    @property
    def email(self) -> Stored | None:
        """The author's address as the row holds it; None once erased."""
        return Stored.of(
            Place.COMMENT_EMAIL, self.site_id, self.email_sealed, self.email_key, self.email_plain
        )

    @classmethod
    def from_row(cls, row: Any) -> Comment:
        if tuple(row.keys()) == _COMMENT_FIELDS:  # every column, in order (COMMENT_COLUMNS)
            # By position: a page of 50 is built 2.5 times faster than through a dict.
            values = list(row.values())
            values[_STATUS_AT] = Status(values[_STATUS_AT])
            values[_FLAGS_AT] = tuple(values[_FLAGS_AT] or ())
            return cls(*values)
        named = dict(row)
        named["status"] = Status(named["status"])
        named["flags"] = tuple(named.get("flags") or ())
        return cls(**named)


_COMMENT_FIELDS = tuple(f.name for f in fields(Comment))
_STATUS_AT = _COMMENT_FIELDS.index("status")
_FLAGS_AT = _COMMENT_FIELDS.index("flags")


class QueueRow(NamedTuple):
    """A comment's place in a moderator's queue (store.comments): which version of the row it
    is, the address as the row holds it (the three columns, as Comment's), where it stands in
    its queue, and its author's record on the site. Its view is rendered apart (queueitems.py)."""

    id: int
    version: int
    email_sealed: bytes | None
    email_key: int | None
    email_plain: str | None
    # created_at in the pending queue, decided_at in the decided ones, in microseconds since
    # 1970 (pagination.encode_position)
    at: int
    flagged: bool
    approved: int  # the author's comments on the site: approved, and rejected or spam
    rejected: int


# A queue row with its view: the moderator view's JSON members, as queueitems.ItemViews keeps them.
QueueItem = tuple[QueueRow, bytes]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    comment_id: int
    actor: str
    token_id: int | None
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    note: str | None
    at: datetime


# Webhooks: an endpoint of a site, and the deliveries of events to it with their attempts.
class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Endpoint:
    site_id: int
    id: int
    url: str
    events: tuple[str, ...]
    description: str | None
    created_at: datetime
    secret: str = field(repr=False)
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True, slots=True)
class Delivery:
    site_id: int
    id: int
    endpoint_id: int
    msg_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    attempts_allowed: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    history: tuple[Attempt, ...] = ()


# Mail: a queued mail, and a mail as the development mailbox shows it.
class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Development without an SMTP relay: kept for /dev/mail instead of sent.
    KEPT = "kept"
    FAILED = "failed"
    # Refused for good (5xx) by the recipient's server; the address is suppressed.
    UNDELIVERABLE = "undeliverable"
    # Never tried: the address was already suppressed.
    SUPPRESSED = "suppressed"


@dataclass(frozen=True, slots=True)
class Queued:
    site_id: int
    id: int
    message_id: str
    status: MailStatus


@dataclass(frozen=True, slots=True)
class Mail:
    """A mail as the development mailbox shows it."""

    site_id: int
    site_slug: str
    id: int
    kind: str
    subject: str
    status: MailStatus
    attempts: int
    created_at: datetime
    completed_at: datetime | None
    recipient: Stored = field(repr=False)
    message: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id: int
    actor: Actor
    csrf_token: str
    expires_at: datetime


# Reader reports (DSA Art. 16 notices): one case per reported comment, one report per reporter.
@dataclass(frozen=True, slots=True)
class Report:
    site_id: int
    id: int
    reference: str
    case_id: int
    comment_id: int
    category: ReportCategory
    explanation: str | None
    legal_ground: str | None
    good_faith: bool
    reporter_name: str | None
    # Sealed at rest (sealing.py); None when the reporter gave none, or was erased.
    reporter_email: Stored | None = field(repr=False)
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Report:
        values = dict(row)
        values["reporter_email"] = Stored.of(
            Place.REPORTER_EMAIL,
            values["site_id"],
            values.pop("reporter_email_sealed"),
            values.pop("reporter_email_key"),
            values["reporter_email"],
        )
        values["category"] = ReportCategory(values["category"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ReportCase:
    site_id: int
    id: int
    comment_id: int
    status: str  # open | resolved
    reporters: int
    categories: tuple[ReportCategory, ...]
    queued_at: datetime | None
    hidden: bool
    first_report_at: datetime
    last_report_at: datetime
    action: Resolution | None
    reason: str | None
    explanation: str | None
    resolved_by: int | None
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> ReportCase:
        values = dict(row)
        values["categories"] = tuple(ReportCategory(c) for c in values["categories"])
        values["action"] = None if values["action"] is None else Resolution(values["action"])
        return cls(**values)


# Authors (issue 11): confirmation links, statements of reasons and appeals ---------------


class LinkState(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    OPEN = "open"


class AppealStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    REVERSED = "reversed"


@dataclass(frozen=True, slots=True)
class Statement:
    site_id: int
    id: int
    puid: str
    comment_id: int
    decision: str
    reason: str | None
    explanation: str | None
    legal_ground: str | None
    decided_by: int | None
    automated_detection: bool
    automated_decision: str
    facts: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Statement:
        return cls(**dict(row))


@dataclass(frozen=True, slots=True)
class Appeal:
    site_id: int
    id: int
    statement_id: int
    comment_id: int
    body: str
    status: AppealStatus
    outcome: AppealOutcome | None
    explanation: str | None
    decided_by: int | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Appeal:
        values = {k: row[k] for k in cls.__slots__}
        values["status"] = AppealStatus(values["status"])
        values["outcome"] = None if values["outcome"] is None else AppealOutcome(values["outcome"])
        return cls(**values)
