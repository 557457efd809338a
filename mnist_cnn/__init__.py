"""The MNIST CNN comparison as a library: data formats, params, models, training, evaluation.

The DVC stages in `stages/` are thin command lines over this package; nothing here imports them.
"""
