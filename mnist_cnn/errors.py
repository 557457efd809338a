"""User-facing failures: problems the user can fix, reported as one line without a traceback."""

from __future__ import annotations

# The exit status of every refusal of bad params, bad data or unreachable mirrors.
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
