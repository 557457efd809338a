"""What a benchmark's JSON report says about the machine and software it measured."""

from __future__ import annotations

import os
import platform
from typing import Any


def keras_machine() -> dict[str, Any]:
    """Cores, Python, Keras and its backend; on JAX also its version, devices and the matmul
    precision, which decides whether float32 convolutions run in TF32 on a GPU."""
    import keras  # here, not at the top: a report's --render mode never needs Keras

    description: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    if keras.backend.backend() == "jax":
        import jax

        description["jax"] = jax.__version__
        description["devices"] = [str(device) for device in jax.devices()]
        # typeshed does not know the flag; JAX documents reading it as an attribute.
        precision = jax.config.jax_default_matmul_precision  # type: ignore[attr-defined]
        description["matmul_precision"] = str(precision)
    return description
