"""The MNIST CNN comparison as a library: data formats, params, models, training, evaluation.

The DVC stages in `stages/` are thin command lines over this package; nothing here imports them.
"""

import os

from mnist_cnn.kernels import ONEDNN_SWITCH, PORTABLE_ONEDNN_SWITCH

# TensorFlow decides when it is imported whether its CPU ops use oneDNN; left to itself it says
# yes only on CPUs with AVX-512 VNNI/BF16 or AMX, whose kernels round differently from the
# Eigen kernels every other x86-64 CPU runs. Every process of the project imports this package
# before TensorFlow, so the same params give the same numbers on both kinds of CPU
# (train.cpu_kernels; mnist_cnn/training/runtime.py checks that a run got what it asked for).
os.environ.setdefault(ONEDNN_SWITCH, PORTABLE_ONEDNN_SWITCH)
