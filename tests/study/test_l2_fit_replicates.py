"""study.l2_fit.replicates takes the first seeds of the seed study: never more than it has."""

from __future__ import annotations

import copy

import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.params import parse_params
from tests.helpers import load_repo_params


def with_replicates(study: int, l2_fit: int) -> dict:
    raw = copy.deepcopy(load_repo_params())
    raw["study"]["replicates"] = study
    raw["study"]["l2_fit"]["replicates"] = l2_fit
    return raw


def test_more_l2_fit_replicates_than_the_study_runs_is_refused_in_one_line():
    with pytest.raises(ParamsError) as refusal:
        parse_params(with_replicates(study=2, l2_fit=5))
    assert str(refusal.value) == (
        "study.l2_fit.replicates = 5 exceeds study.replicates = 2; the fit uses the first "
        "seeds of the seed study, so expected at most that many"
    )


@pytest.mark.parametrize("l2_fit", [1, 2])
def test_l2_fit_replicates_up_to_the_study_replicates_are_accepted_and_all_run(l2_fit):
    params = parse_params(with_replicates(study=2, l2_fit=l2_fit))
    # What pipeline/study.py's l2_fit trains per candidate factor.
    assert len(params.study.seeds()[: params.study.l2_fit.replicates]) == l2_fit
