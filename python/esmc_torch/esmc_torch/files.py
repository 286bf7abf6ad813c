"""Files written whole or not at all, as the lab's engine writes them (src-main/engine/files.ts)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def written_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path` to write; renames it over `path` when the block ends without an error,
    and removes it otherwise, so a crash never leaves a half-written file where a reader looks."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
