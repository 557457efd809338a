"""Which CPU kernels TensorFlow runs: the facts `train.cpu_kernels` rests on, written once.

TensorFlow decides when it is imported whether its CPU ops use oneDNN; left to itself it says
yes only on CPUs with AVX-512 VNNI/BF16 or AMX, whose kernels round differently from the Eigen
kernels every other x86-64 CPU runs (train_A's first epoch already differed). The package's
__init__ calls `default_to_portable_kernels` before anything imports TensorFlow, and
mnist_cnn/training/runtime.py checks that a run got the kernels its params ask for.
"""

from __future__ import annotations

import os

# TensorFlow reads this variable once, when it is imported: "0" runs its Eigen kernels, "1"
# oneDNN's, which pick their code by the CPU's instruction set.
ONEDNN_SWITCH = "TF_ENABLE_ONEDNN_OPTS"
PORTABLE_ONEDNN_SWITCH = "0"
# oneDNN's matrix products still serve the Eigen kernels; capped at AVX2, an AVX-512 CPU runs
# the code an AVX2 CPU runs. Read when oneDNN makes its first kernel, so it can be set late.
ONEDNN_INSTRUCTION_SET_CAP = "ONEDNN_MAX_CPU_ISA"
PORTABLE_INSTRUCTION_SET = "AVX2"


def default_to_portable_kernels() -> None:
    """Eigen kernels for every TensorFlow this process imports, unless the user chose."""
    os.environ.setdefault(ONEDNN_SWITCH, PORTABLE_ONEDNN_SWITCH)
