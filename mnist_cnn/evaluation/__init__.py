"""Evaluation: the statistics, the overfitting rule, the wording, the figures and the report."""
