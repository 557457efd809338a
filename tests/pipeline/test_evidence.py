"""The evidence through the real DVC CLI: the plots DVC renders, the metrics keys, report.md."""

import json
from pathlib import Path

import pytest

from tests.helpers import declared_models, notebook_models, run
from tests.report_checks import check_report_matches_metrics

pytestmark = pytest.mark.slow

MODELS = declared_models()
NOTEBOOK_MODELS = notebook_models()


def check_plots_show(repo) -> None:
    shown = json.loads(run(["dvc", "plots", "show", "--json"], repo).stdout)["data"]
    for name in MODELS:
        curves = shown[f"plots/history/{name}.csv"][0]
        assert curves["type"] == "vega"
        assert {row["field"] for row in curves["content"]["data"]["values"]} == {
            "accuracy",
            "val_accuracy",
        }
        confusion = shown[f"plots/confusion/{name}.csv"][0]
        rows = confusion["content"]["data"]["values"]
        assert len(rows) == 100 and {"actual", "predicted"} <= set(rows[0])
        assert "xy_count" in json.dumps(confusion["content"]["spec"])  # the confusion template
        image = shown[f"plots/misclassified/{name}.png"][0]
        assert image["type"] == "image"
        # DVC copies the PNG it will show into dvc_plots/ and names it in the JSON.
        assert (
            Path(image["url"]).read_bytes()
            == (repo / f"plots/misclassified/{name}.png").read_bytes()
        )
    for name in NOTEBOOK_MODELS:
        fidelity = shown[f"plots/fidelity/{name}.csv"][0]["content"]["data"]["values"]
        assert {row["field"] for row in fidelity} == {"val_accuracy", "val_accuracy_notebook"}
    assert f"plots/curves/model_{MODELS[0]}.png" in shown


def test_plots_metrics_and_report_through_dvc(reproduced_repo):
    check_plots_show(reproduced_repo)

    shown = json.loads(run(["dvc", "metrics", "show", "--json"], reproduced_repo).stdout)
    metrics = next(iter(shown.values()))["data"]
    # DVC prints the headline files only: one per model, the detail stays a committed file.
    assert {path for path in metrics if path.startswith("metrics/")} == {
        f"metrics/models/{name}.json" for name in MODELS
    }
    evaluation = json.loads((reproduced_repo / "metrics/evaluate.json").read_text())
    headline = metrics["metrics/models/B.json"]["data"]
    assert headline["test_accuracy"] == evaluation["B"]["test"]["accuracy"]
    assert (headline["low"], headline["high"]) == (
        evaluation["B"]["test"]["accuracy_ci"]["low"],
        evaluation["B"]["test"]["accuracy_ci"]["high"],
    )
    assert set(evaluation["pairs"]["B_vs_B_adj"]) >= {
        "only_first_correct",
        "only_second_correct",
        "p_value",
    }
    training = {
        name: json.loads((reproduced_repo / f"metrics/train/{name}.json").read_text())
        for name in MODELS
    }
    report = (reproduced_repo / "report.md").read_text()
    check_report_matches_metrics(report, training, evaluation)
    assert "[study/report.md](study/report.md)" in report
