"""TensorFlow's known start-up noise is dropped; every other stderr line passes, in order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mnist_cnn.quiet import is_noise
from tests.helpers import REPO_ROOT, command_environment

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795598579.482450   19540 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "E0000 00:00:1795598584.077208   19540 cuda_platform.cc:52] failed call to cuInit: INTERNAL",
    "I0000 00:00:1795601625.199755    9558 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "E0000 00:00:1795598584.664705   19540 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset>",
    "[2026-11-25 10:50:53,988 W 4 4] network_util.cc:330: Failed to determine local IP via "
    "external connectivity to: 8.8.8.8:53, falling back to hostname resolution",
]
REAL = [
    "error: params.yaml: file not found (run from the repository root)",
    "B epoch 1/10: accuracy 0.9543 val_accuracy 0.9832 (134 s)",
    "E0000 00:00:1795598584.664705   19540 op_kernel.cc:1830] OP_REQUIRES failed: OOM when "
    "allocating tensor",
    "W0000 00:00:1795598584.664705   19540 node_def_util.cc:682] NodeDef mentions attribute foo",
    "Traceback (most recent call last):",
]


@pytest.mark.parametrize("line", NOISE)
def test_known_noise_is_recognised(line):
    assert is_noise(line)


@pytest.mark.parametrize("line", REAL)
def test_anything_else_passes(line):
    assert not is_noise(line)


def test_the_filter_drops_noise_written_to_the_descriptor_and_keeps_the_rest_in_order():
    """Lines written straight to file descriptor 2, as TensorFlow's C++ code does."""
    script = (
        "import os, sys\n"
        "from mnist_cnn.quiet import quiet_tensorflow\n"
        "quiet_tensorflow()\n"
        f"lines = {NOISE[:2] + REAL[:2] + NOISE[2:] + REAL[2:]!r}\n"
        "for line in lines:\n"
        "    os.write(2, (line + '\\n').encode())\n"
        "print('last words', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=command_environment(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stderr.splitlines() == [*REAL, "last words"]
