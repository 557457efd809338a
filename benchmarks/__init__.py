"""Speed benchmarks: the notebook's own training code path against the pipeline's."""
