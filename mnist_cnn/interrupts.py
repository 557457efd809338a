"""Ctrl-C that always stops a command, even when it lands where Python cannot raise.

Python raises KeyboardInterrupt wherever the main thread is when SIGINT arrives; if that is a
weakref or garbage-collection callback, the exception is printed as "ignored" and training
goes on to the end. The handler here also records the request, and the training loop checks
it at every epoch's start, so an interrupt that was swallowed stops the run one epoch later.
"""

from __future__ import annotations

import signal
from types import FrameType

_requested = False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = True
    raise KeyboardInterrupt


def install() -> None:
    """Use the recording handler for SIGINT (only the main thread may call this)."""
    signal.signal(signal.SIGINT, _on_sigint)


def stop_if_requested() -> None:
    """Raise KeyboardInterrupt if SIGINT arrived, whether or not its first raise got through."""
    if _requested:
        raise KeyboardInterrupt
