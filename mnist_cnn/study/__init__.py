"""Conclusions that hold beyond one training run: replicate statistics and the task engine."""
