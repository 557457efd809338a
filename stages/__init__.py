"""The MNIST CNN comparison pipeline: one module per DVC stage plus shared helpers."""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) buries the stage's own messages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
