"""Training: the epoch loop, its callbacks, resume state, runtime and devices."""
