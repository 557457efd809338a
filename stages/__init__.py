"""The DVC stages: one command line each, parsing arguments and calling mnist_cnn.pipeline."""

from mnist_cnn.quiet import quiet_tensorflow

# Before any stage module imports TensorFlow, whose start-up lines would bury the stage's own.
quiet_tensorflow()
