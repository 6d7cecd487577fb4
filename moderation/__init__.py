"""Comment moderation microservice for news sites."""

__version__ = "0.1.0"
