"""A one-line progress display on stderr, only for people: never when piped, in CI, or quiet.

It never writes an escape sequence: the line is redrawn with a carriage return and cleared with
spaces, so a dumb terminal (``TERM=dumb``, an editor's shell) or a log that keeps everything shows
plain text. ``TERM=dumb`` turns it off unless ``--progress`` asks for it.
"""

from __future__ import annotations

import os
import time
from typing import IO

__all__ = ["Progress", "progress_wanted"]


def progress_wanted(stream: IO[str], quiet: bool, forced: bool | None = None) -> bool:
    """Show progress? ``forced`` (from --progress/--no-progress) wins; else only on a terminal, not in CI."""
    if forced is not None:
        return forced
    if quiet or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    if os.environ.get("TERM", "") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """``label 1,234/20,000 files (1,626/s)``, redrawn at most ten times a second after a short delay."""

    def __init__(self, stream: IO[str], label: str, total: int | None, enabled: bool, delay: float = 0.5) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.enabled = enabled
        self.count = 0
        self.start = time.monotonic()
        self._shown_at = self.start + delay - 0.1
        self._drawn = False
        self._width = 0

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._shown_at < 0.1:
            return
        self._shown_at = now
        elapsed = now - self.start
        rate = f" ({self.count / elapsed:,.0f}/s)" if elapsed > 0 else ""
        of = f"/{self.total:,}" if self.total else ""
        line = f"{self.label} {self.count:,}{of} files{rate}"
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
            self.stream.flush()
            self._drawn = False

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start
