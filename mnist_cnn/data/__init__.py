"""MNIST data: fetching verified copies, the train/validation split, model-ready arrays."""
