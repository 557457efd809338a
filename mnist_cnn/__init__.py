"""The MNIST CNN comparison as a library: data formats, params, models, training, evaluation.

The DVC stages in `stages/` are thin command lines over this package; nothing here imports them.

Importing the package changes one thing outside it: the environment variable
TF_ENABLE_ONEDNN_OPTS is set to "0" when it is unset (`os.environ.setdefault`: a value already
set, by the user or a parent process, is kept), and child processes inherit it. TensorFlow reads
it once, as it is imported, to choose its CPU kernels, so it has to be set before anything
imports TensorFlow; with it, the same params give the same numbers on every x86-64 CPU
(mnist_cnn/kernels.py). Nothing else changes: no other variable, stream, logging setting or
signal handler. Commands filter stderr when they run (mnist_cnn/quiet.py), never on import.
"""

from mnist_cnn.kernels import default_to_portable_kernels

# Every process of the project imports this package before TensorFlow, which chooses its CPU
# kernels when it is imported: the same params then give the same numbers on every x86-64 CPU.
default_to_portable_kernels()
