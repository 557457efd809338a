"""The committed study files are what the current code states from the committed runs."""

from __future__ import annotations

import json

import pytest

from mnist_cnn.layout import Layout
from mnist_cnn.study import headline
from tests.helpers import REPO_ROOT
from tools.restate_study import rerun, restated

LAYOUT = Layout(REPO_ROOT)
REVISION = "f53cb09"


def restated_parts() -> list[str]:
    """The parts whose committed details say they are restated, not re-run yet."""
    return [part for part in ("seeds", "crossval", "l2_fit") if not rerun(LAYOUT, part)]


@pytest.mark.skipif(not restated_parts(), reason="every part of the study has been re-run since")
def test_the_restated_study_files_are_what_the_current_code_gives():
    parts = restated_parts()
    for part, (metrics, details) in restated(REVISION, LAYOUT).items():
        if part not in parts:
            continue
        on_disk = json.loads(LAYOUT.study_details(part).read_text(encoding="utf-8"))
        assert json.loads(json.dumps(details)) == on_disk, f"rerun tools.restate_study: {part}"
        files = headline.read_headline(LAYOUT.study_metrics(part))
        expected = json.loads(json.dumps(headline.headline_files(part, metrics)))
        assert files == expected, f"rerun tools.restate_study: {part}"
