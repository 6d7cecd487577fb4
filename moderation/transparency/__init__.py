"""Transparency records of moderation decisions: statements of reasons in the vocabulary of the
EU DSA Transparency Database (`mapping`) and the JSON Schema they must satisfy (package data)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def statement_schema() -> dict[str, Any]:
    """The JSON Schema of one statement (`statement.schema.json`). Shared: never mutate it."""
    text = resources.files(__name__).joinpath("statement.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
