"""Use cases, one transaction each, callable from HTTP handlers, the CLI and auto-moderation:
`comments` (submit, decide, claim, list), `admin` (sites, tokens, settings)."""

from . import admin, comments

__all__ = ["admin", "comments"]
