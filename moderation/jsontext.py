"""The one way JSON is written: compact, with non-ASCII text (Arabic) as itself, not escaped."""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
