"""`dvc plots show` and `dvc plots diff` draw their charts in a browser that has no network.

A throw-away git + DVC repository holds three plots of its own: a line chart (template
`linear`), a confusion matrix (template `confusion`) and a PNG image. DVC writes its page
twice, once with its default page and once with the page `python -m mnist_cnn.plots_page`
generates (set as `plots.html_template`, as the project's `.dvc/config` does). Headless
Chromium opens each page with every request blocked: host names do not resolve and every
connection, loopback included, is sent to a proxy on a closed port. A script put into a copy of
the page records, after the load event, the data marks Vega drew into each chart's block, the
page's script errors and which images loaded; the dumped DOM carries that record back.

A loopback HTTP server is the witness that the block holds: each checked page also asks it for
a script, which must never arrive (the same request does arrive from an unblocked browser,
which loads only a tiny page that asks for nothing else).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import (
    assert_images_loaded,
    chromium_dom,
    confusion_counts,
    drawn,
    label_values,
    offline_report,
    probe_url,
    use_template,
)
from tests.helpers import run

pytestmark = [pytest.mark.slow, pytest.mark.integration]

HISTORY_CSV = "epoch,accuracy,val_accuracy\n1,0.90,0.88\n2,0.95,0.93\n3,0.97,0.94\n"
# (actual, predicted) pairs of the confusion plot, and how many rows each has.
CONFUSION_COUNTS = {(0, 0): 5, (0, 1): 1, (1, 1): 4, (2, 0): 2, (2, 2): 3}
DVC_YAML = """\
plots:
  - Accuracy:
      template: linear
      x: epoch
      y:
        plots/history.csv: [accuracy, val_accuracy]
  - Confusion:
      template: confusion
      x: actual
      y:
        plots/confusion.csv: predicted
  - plots/digit.png
"""
PROBE_PAGE = '<html><head><script src="{url}"></script></head><body></body></html>'


@pytest.fixture
def plots_repo(tmp_path: Path) -> Path:
    """A git + DVC repository with a line chart, a confusion matrix and an image plot."""
    repo = tmp_path / "repo"
    (repo / "plots").mkdir(parents=True)
    (repo / "plots" / "history.csv").write_text(HISTORY_CSV)
    rows = [
        f"{actual},{predicted}\n"
        for (actual, predicted), count in CONFUSION_COUNTS.items()
        for _ in range(count)
    ]
    (repo / "plots" / "confusion.csv").write_text("actual,predicted\n" + "".join(rows))
    Image.new("RGB", (120, 80), (200, 40, 40)).save(repo / "plots" / "digit.png")
    (repo / "dvc.yaml").write_text(DVC_YAML)
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.email", "tests@example.invalid"], repo)
    run(["git", "config", "user.name", "tests"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "config", "core.analytics", "false"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "plots"], repo)
    return repo


def test_the_probe_shows_an_unblocked_browser_reaching_loopback(probe_server, tmp_path):
    page = tmp_path / "probe.html"
    page.write_text(PROBE_PAGE.format(url=probe_url(probe_server)))
    chromium_dom(page.as_uri(), tmp_path / "profile", network=[])
    assert probe_server.requests == 1


def test_dvc_default_page_draws_no_chart_offline(plots_repo, probe_server, tmp_path):
    run(["dvc", "plots", "show", "--out", "shown"], plots_repo)
    index = plots_repo / "shown" / "index.html"
    assert "cdn.jsdelivr.net" in index.read_text()

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    assert sorted(report["charts"]) == ["Accuracy", "Confusion"]
    assert drawn(report) == []
    assert any("vegaEmbed is not defined" in error for error in report["errors"])
    assert_images_loaded(report, 1)
    assert not report["probeReached"] and probe_server.requests == 0


def test_offline_page_draws_every_chart_of_dvc_plots_show(
    plots_repo, offline_template, probe_server, tmp_path
):
    use_template(plots_repo, offline_template)
    run(["dvc", "plots", "show", "--out", "shown"], plots_repo)
    index = plots_repo / "shown" / "index.html"
    assert not re.search(r"<script[^>]+src=", index.read_text())

    report = offline_report(index, tmp_path / "profile", probe_url(probe_server))

    assert report["errors"] == []
    assert drawn(report) == ["Accuracy", "Confusion"]
    # The data reached the drawing: a line for each column, and every confusion count.
    assert label_values(report["charts"]["Accuracy"], "field") == {"accuracy", "val_accuracy"}
    # DVC's confusion template draws every cell of the 3 x 3 grid; a pair with no rows shows 0.
    grid = {(actual, predicted): 0 for actual in range(3) for predicted in range(3)}
    assert confusion_counts(report["charts"]["Confusion"]) == grid | CONFUSION_COUNTS
    assert_images_loaded(report, 1)
    assert not report["probeReached"] and probe_server.requests == 0


def test_offline_page_draws_every_chart_of_dvc_plots_diff(
    plots_repo, offline_template, probe_server, tmp_path
):
    use_template(plots_repo, offline_template)
    history = plots_repo / "plots" / "history.csv"
    history.write_text(HISTORY_CSV + "4,0.98,0.95\n")
    run(["dvc", "plots", "diff", "HEAD", "--out", "diffed"], plots_repo)

    report = offline_report(
        plots_repo / "diffed" / "index.html", tmp_path / "profile", probe_url(probe_server)
    )

    assert report["errors"] == []
    assert drawn(report) == ["Accuracy", "Confusion"]
    assert label_values(report["charts"]["Accuracy"], "rev") == {"HEAD", "workspace"}
    assert_images_loaded(report, 2)
    assert not report["probeReached"] and probe_server.requests == 0


def test_a_missing_template_stops_dvc_with_its_placeholder_error(plots_repo, tmp_path):
    """Why `make setup` must write the page: DVC reads a missing path as the template text."""
    run(["dvc", "config", "plots.html_template", "plots_page.html"], plots_repo)
    result = run(["dvc", "plots", "show", "--out", "shown"], plots_repo, check=False)
    assert result.returncode != 0
    assert "HTML template has to contain '{plot_divs}'" in result.stderr + result.stdout
