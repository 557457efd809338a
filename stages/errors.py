"""User-facing failures and the one place that turns them into a clean exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

EXIT_USER_ERROR = 2


class PipelineError(Exception):
    """A problem the user can fix (bad params, bad data, unreachable mirrors).

    Reported as one line without a traceback; anything else is a bug and keeps its traceback.
    """


class ParamsError(PipelineError):
    """params.yaml is malformed, has an unknown key, a wrong type or an out-of-range value."""


class DataError(PipelineError):
    """An input file is missing, corrupt, or not what the stage expects."""


class TrainingDiverged(PipelineError):
    """The loss became NaN or infinite, so no model or metrics are written."""


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USER_ERROR)


def run_cli(main: Callable[[], None]) -> None:
    """Run a stage's main(), turning PipelineErrors and disk errors into one line and exit 2."""
    try:
        main()
    except PipelineError as error:
        fail(str(error))
    except OSError as error:
        # Disk full, read-only directory, permission denied: the user's environment, not a bug.
        where = f" ({error.filename})" if error.filename else ""
        fail(f"{error.strerror or error}{where}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
