"""Retention's fixtures: the app sending mail through a real SMTP server (the authors' tests'
settings), so confirmations, statements and appeals happen as they do in production."""

from __future__ import annotations

from tests.authors.conftest import settings, smtp_server

__all__ = ["settings", "smtp_server"]
