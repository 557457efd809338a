"""On the compiled engine the study trains each model's seeds in one program (seed_groups).

The scenario runs under KERAS_BACKEND=jax in a child process (tests/study/group_scenario.py).
A seed trained in a group agrees with the same seed trained alone to float32 rounding, as
tests/ml/test_compiled_epoch.py shows for the vmapped program itself.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.helpers import jax_scenario

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="jax not installed (extra: .[jax])"
    ),
]

# Loss means over a few float32 batches: a few units in the sixth digit (as for the engines).
LOSS_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("groups")
    return jax_scenario("tests.study.group_scenario", str(folder))


def test_each_model_s_seeds_are_one_record_holding_a_result_per_seed(scenario):
    first, last = scenario["seeds"][0], scenario["seeds"][-1]
    assert sorted(scenario["grouped"]) == sorted(
        f"{name} seeds {first}-{last}" for name in scenario["alone"]
    )
    for group in scenario["grouped"].values():
        assert len(group["seeds"]) == len(scenario["seeds"])
    assert scenario["headline"]


def test_a_seed_in_a_group_gets_what_it_gets_alone(scenario):
    for name, histories in scenario["alone"].items():
        group = scenario["grouped"][f"{name} seeds {scenario['seeds'][0]}-{scenario['seeds'][-1]}"]
        for together, alone in zip(group["seeds"], histories, strict=True):
            assert len(together["history"]) == len(alone)
            for row, reference in zip(together["history"], alone, strict=True):
                for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
                    assert row[key] == pytest.approx(reference[key], abs=LOSS_TOLERANCE), key
    # Different seeds, different trainings: the group did not train one seed several times.
    for group in scenario["grouped"].values():
        losses = {seed["history"][-1]["loss"] for seed in group["seeds"]}
        assert len(losses) == len(group["seeds"])


def test_a_second_run_reuses_the_group_records(scenario):
    groups = len(scenario["grouped"])
    assert f"study: {groups} of {groups} from stored results" in scenario["second_run"]
