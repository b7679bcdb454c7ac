"""The registry of job kinds: one function per kind, taking (ctx, **params)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Progress(Protocol):
    def progress(self, done: int, total: int | None = None) -> None: ...


JobHandler = Callable[..., dict[str, Any] | None]
HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register ``fn`` as the handler of jobs of ``kind``."""

    def decorator(fn: JobHandler) -> JobHandler:
        HANDLERS[kind] = fn
        return fn

    return decorator
