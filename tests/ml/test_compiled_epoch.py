"""train.engine compiled_epoch computes what Keras fit computes, and many seeds what one does.

The trainings run on JAX's CPU backend in a child process (tests/ml/compiled_scenarios.py); the
assertions are here. "Float32 tolerance": the two engines run the same operations compiled in
different programs, so sums may round in another order; after hundreds of Adam steps we allow
a weight to differ by WEIGHT_TOLERANCE, about a hundred roundings of the largest weight, far
below any difference a changed recipe (another batch order, a missing penalty, another dropout
mask) makes in one step.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from tests.helpers import jax_scenario

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax not installed (extra: .[jax])"
)

WEIGHT_TOLERANCE = 1e-5
# Loss means of a few hundred float32 batch losses: a few units in the sixth digit.
LOSS_TOLERANCE = 1e-5


def run_scenarios(*names: str) -> dict[str, Any]:
    return jax_scenario("tests.ml.compiled_scenarios", *names)


@pytest.fixture(scope="module")
def engines() -> dict[str, Any]:
    return run_scenarios("fit_vs_compiled", "early_stopping")


@pytest.fixture(scope="module")
def seeds() -> dict[str, Any]:
    return run_scenarios("many_vs_one")["many_vs_one"]


def assert_same_history(first: list[dict], second: list[dict]) -> None:
    assert len(first) == len(second)
    for row, other in zip(first, second, strict=True):
        assert row["epoch"] == other["epoch"]
        # Accuracies are counts of right answers over the same images: equal, not close.
        assert row["accuracy"] == other["accuracy"]
        assert row["val_accuracy"] == other["val_accuracy"]
        for loss in ("loss", "val_loss"):
            assert row[loss] == pytest.approx(other[loss], rel=LOSS_TOLERANCE)


@pytest.mark.parametrize("variant", ["no_dropout", "dropout"])
def test_compiled_epochs_give_the_weights_keras_fit_gives(engines, variant):
    result = engines["fit_vs_compiled"][variant]
    assert result["steps"] >= 200
    # The weights moved far from zero, so the comparison is not of untrained tiny numbers.
    assert result["largest_weight"] > 0.1
    assert result["max_weight_difference"] <= WEIGHT_TOLERANCE
    assert_same_history(result["fit_history"], result["compiled_history"])


def test_both_engines_stop_early_at_the_same_epoch(engines):
    result = engines["early_stopping"]
    epochs_run = len(result["fit_history"])
    assert epochs_run < 12, "the case was built to stop early; it ran every epoch"
    assert_same_history(result["fit_history"], result["compiled_history"])
    assert result["max_weight_difference"] <= WEIGHT_TOLERANCE


def test_each_seed_trained_together_gets_what_it_gets_alone(seeds):
    stopped_at = [len(row["together_history"]) for row in seeds["seeds"]]
    # The case exercises seeds that stop while others go on (frozen weights).
    assert len(set(stopped_at)) > 1, f"every seed stopped at the same epoch: {stopped_at}"
    for row in seeds["seeds"]:
        assert_same_history(row["together_history"], row["alone_history"])
        assert row["max_weight_difference"] <= WEIGHT_TOLERANCE, f"seed {row['seed']}"


@pytest.mark.slow
def test_with_dropout_the_seeds_accuracy_distribution_agrees():
    """Agreement: the two means differ by less than twice the standard error of their
    difference (Welch's, from the seed-to-seed spread of each path), the bound that two
    samples of one distribution pass about 95% of the time; conditional on these six seeds,
    this data and four epochs."""
    result = run_scenarios("dropout_distribution")["dropout_distribution"]
    fitted, compiled = (np.asarray(result[path]) for path in ("keras_fit", "compiled_seeds"))
    spread = np.sqrt(fitted.var(ddof=1) / len(fitted) + compiled.var(ddof=1) / len(compiled))
    assert spread > 0, "every seed reached the same accuracy: the case cannot tell paths apart"
    assert abs(fitted.mean() - compiled.mean()) < 2 * spread, (fitted, compiled)
