"""The project's own `dvc plots show` page, opened in headless Chromium with the network blocked:
every chart draws (confusion matrices included) and every picture loads.

The pipeline first runs in full on tiny data, so every plot dvc.yaml declares exists. DVC
writes its page with the project's offline template (what `make setup` and `.dvc/config` set
up); tests/browser.py opens it with host names unresolvable and every connection sent to a
closed port, and reads back what the browser drew.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser import (
    assert_images_loaded,
    confusion_counts,
    drawn,
    offline_report,
    probe_url,
    use_template,
)
from tests.helpers import declared_models, run

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_every_chart_and_picture_of_the_projects_plots_draws_offline(
    reproduced_repo, offline_template, probe_server, tmp_path
):
    use_template(reproduced_repo, offline_template)
    shown = json.loads(run(["dvc", "plots", "show", "--json"], reproduced_repo).stdout)["data"]
    charts = [name for name, entries in shown.items() if entries and entries[0]["type"] == "vega"]
    pictures = [
        name for name, entries in shown.items() if entries and entries[0]["type"] == "image"
    ]
    models = declared_models()
    # Per model: its history, its confusion matrix; per notebook model its fidelity chart.
    assert len(charts) >= 2 * len(models)
    assert {f"plots/diagrams/{name}.png" for name in models} <= set(pictures)
    run(["dvc", "plots", "show", "--out", "shown"], reproduced_repo)
    index = reproduced_repo / "shown" / "index.html"

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    assert report["errors"] == []
    # DVC names each chart's block after its file, every other character an underscore. (The
    # study's charts are on the page too, empty: the study has not run in this repository.)
    expected = {re.sub(r"[^0-9A-Za-z]", "_", name) for name in charts}
    assert expected <= set(drawn(report))
    confusion = [marks for marks in report["charts"].values() if confusion_counts(marks)]
    assert len(confusion) == len(models)
    # Each confusion chart counts every test image of the tiny test set once.
    assert all(sum(confusion_counts(marks).values()) == 100 for marks in confusion)
    assert_images_loaded(report, len(pictures))
    assert not report["probeReached"] and probe_server.requests == 0


def test_the_check_can_fail_a_picture_that_does_not_load_is_reported(
    reproduced_repo, offline_template, probe_server, tmp_path
):
    use_template(reproduced_repo, offline_template)
    run(["dvc", "plots", "show", "--out", "shown"], reproduced_repo)
    index = reproduced_repo / "shown" / "index.html"
    first = next((index.parent / "static").glob("*.png"))
    first.write_bytes(b"not a picture")

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    broken = [image for image in report["images"] if not image["loaded"]]
    assert [image["src"].split("/")[-1] for image in broken] == [first.name]
