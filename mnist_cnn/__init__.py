"""The MNIST CNN comparison as a library: the code the pipeline stages call."""
