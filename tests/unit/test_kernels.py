"""train.cpu_kernels: the same TensorFlow kernels on every x86-64 CPU unless a run asks for more.

Found on an AVX-512 machine: TensorFlow turned oneDNN on by itself there, and train_A's first
epoch already differed from the committed one, made on an AVX2 machine where it stays off.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.kernels import (
    ONEDNN_INSTRUCTION_SET_CAP,
    ONEDNN_SWITCH,
    default_to_portable_kernels,
)
from mnist_cnn.training.runtime import limit_cpu_kernels

pytestmark = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="oneDNN's switch is x86-64's"
)


def onednn_after_importing_the_project() -> str:
    """Whether TensorFlow runs oneDNN kernels in a new process that imports mnist_cnn first."""
    script = (
        "import mnist_cnn\n"
        "from tensorflow.python.util import _pywrap_util_port as port\n"
        "print(port.IsMklEnabled())\n"
    )
    inherited = {key: value for key, value in os.environ.items() if key != ONEDNN_SWITCH}
    finished = subprocess.run(
        [sys.executable, "-c", script],
        env={**inherited, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        check=True,
    )
    return finished.stdout.strip()


def test_importing_the_project_first_gives_tensorflow_its_portable_kernels():
    assert onednn_after_importing_the_project() == "False"


def test_a_switch_set_by_the_user_is_kept_for_native_runs(monkeypatch):
    monkeypatch.setenv(ONEDNN_SWITCH, "1")
    default_to_portable_kernels()
    assert os.environ[ONEDNN_SWITCH] == "1"


def test_portable_caps_onednn_at_avx2(monkeypatch):
    monkeypatch.setenv(ONEDNN_SWITCH, "0")
    monkeypatch.delenv(ONEDNN_INSTRUCTION_SET_CAP, raising=False)
    limit_cpu_kernels("portable")
    assert os.environ[ONEDNN_INSTRUCTION_SET_CAP] == "AVX2"


def test_portable_with_onednn_switched_on_is_refused(monkeypatch):
    monkeypatch.setenv(ONEDNN_SWITCH, "1")
    with pytest.raises(ParamsError, match="portable but TF_ENABLE_ONEDNN_OPTS=1 .*; unset it"):
        limit_cpu_kernels("portable")


def test_native_without_onednn_says_how_to_switch_it_on(monkeypatch):
    monkeypatch.setenv(ONEDNN_SWITCH, "0")
    with pytest.raises(ParamsError, match="native, which needs TF_ENABLE_ONEDNN_OPTS=1"):
        limit_cpu_kernels("native")
