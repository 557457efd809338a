"""The DVC stages: one command line each, parsing arguments and calling mnist_cnn.pipeline."""
