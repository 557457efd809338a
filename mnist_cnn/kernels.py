"""Which CPU kernels TensorFlow runs: the facts `train.cpu_kernels` rests on, written once."""

from __future__ import annotations

# TensorFlow reads this variable once, when it is imported: "0" runs its Eigen kernels, "1"
# oneDNN's, which pick their code by the CPU's instruction set.
ONEDNN_SWITCH = "TF_ENABLE_ONEDNN_OPTS"
PORTABLE_ONEDNN_SWITCH = "0"
# oneDNN's matrix products still serve the Eigen kernels; capped at AVX2, an AVX-512 CPU runs
# the code an AVX2 CPU runs. Read when oneDNN makes its first kernel, so it can be set late.
ONEDNN_INSTRUCTION_SET_CAP = "ONEDNN_MAX_CPU_ISA"
PORTABLE_INSTRUCTION_SET = "AVX2"
