"""The one place that turns a stage's failures into a clean exit: one `error:` line, status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from mnist_cnn import interrupts
from mnist_cnn.errors import EXIT_USER_ERROR, PipelineError
from mnist_cnn.layout import Layout
from mnist_cnn.params import load_params

# What a shell reports for a process stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USER_ERROR)


def guarded(action: Callable[[], None]) -> None:
    """Run `action`, turning PipelineErrors and disk errors into one line and exit 2."""
    try:
        interrupts.install()
        action()
    except PipelineError as error:
        fail(str(error))
    except OSError as error:
        # Disk full, read-only directory, permission denied: the user's environment, not a bug.
        where = f" ({error.filename})" if error.filename else ""
        fail(f"{error.strerror or error}{where}")
    except MemoryError:
        fail("out of memory; make the model's layers narrower or train.batch_size smaller")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as error:
        # TensorFlow's own allocation failure (tf.errors.ResourceExhaustedError), named so
        # that this module need not import TensorFlow; any other exception is a bug.
        if type(error).__name__ != "ResourceExhaustedError":
            raise
        fail("out of memory; make the model's layers narrower or train.batch_size smaller")


def run_stage(step: Callable[..., None], **arguments: Any) -> None:
    """A DVC stage: validate params.yaml of the working directory, then run `step` on it."""

    def action() -> None:
        layout = Layout(Path("."))
        step(layout, load_params(layout.params_file), **arguments)

    guarded(action)
