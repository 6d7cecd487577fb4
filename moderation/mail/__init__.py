"""Outgoing email: composing messages, the outbox sender, and the SMTP relay it sends through."""
