"""Use cases, one transaction each, callable from HTTP handlers, the CLI and auto-moderation:
`comments` (submit, decide, claim, list), `admin` (sites, tokens, settings), `webhooks`
(endpoints and their deliveries)."""

from . import admin, comments, webhooks

__all__ = ["admin", "comments", "webhooks"]
