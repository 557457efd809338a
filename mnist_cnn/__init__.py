"""The MNIST CNN comparison as a library: data formats, params, models, training, evaluation.

The DVC stages in `stages/` are thin command lines over this package; nothing here imports them.
"""

from mnist_cnn.kernels import default_to_portable_kernels

# Every process of the project imports this package before TensorFlow, which chooses its CPU
# kernels when it is imported: the same params then give the same numbers on every x86-64 CPU.
default_to_portable_kernels()
