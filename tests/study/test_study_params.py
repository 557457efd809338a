"""The declared family of comparisons in params.yaml: validated before any run."""

import copy

import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.params import parse_params
from tests.helpers import load_repo_params


def with_study(key: str, value) -> dict:
    raw = copy.deepcopy(load_repo_params())
    raw["study"][key] = value
    return raw


def test_the_default_family_is_the_notebooks_questions():
    params = parse_params(load_repo_params())
    assert params.study.comparisons == (
        ("A", "B"),
        ("B", "B_adj"),
        ("B_adj", "B_adj2"),
        ("B", "B_gap"),
    )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "comparisons",
            [["A", "C"]],
            r"study.comparisons\[0\] names unknown model 'C'; expected one of A, B",
        ),
        ("comparisons", [["A", "B"], ["B", "A"]], r"comparisons\[1\] .* is declared twice"),
        ("comparisons", [["B", "B"]], r"comparisons\[0\] .* compares a model with itself"),
        ("comparisons", [["A", "B", "B_adj"]], r"must be a pair \[first, second\]"),
        ("comparisons", [], "study.comparisons is empty"),
        ("comparisons", "A vs B", "must be a list"),
        ("equivalence_margin", 0.0, "study.equivalence_margin = 0.0 is out of range"),
        ("power", 1.0, "study.power = 1.0 is out of range"),
        ("max_replicates", 1, "study.max_replicates = 1 is out of range"),
        ("holm", True, "unknown key study.holm"),
    ],
)
def test_a_bad_family_names_the_key_the_value_and_what_is_allowed(key, value, message):
    with pytest.raises(ParamsError, match=message):
        parse_params(with_study(key, value))
