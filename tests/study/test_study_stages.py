"""The study's stages end to end on tiny prepared data, with made-up training results.

The trainings are replaced (that is the engine's and the tasks' business, tested with real
trainings in the slow tier); what is checked here is the stages' wiring: which records the
summaries get, which files they write, and that the report reads them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from mnist_cnn import files
from mnist_cnn.pipeline import study
from mnist_cnn.study import headline
from mnist_cnn.study.engine import Task
from tests.study.tiny_study import prepared_study


def made_up_result(task: Task, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A result shaped like `tasks.train_task`'s, its numbers drawn from the task's key."""
    draw = np.random.default_rng(int(hashlib.sha256(task.key.encode()).hexdigest()[:8], 16))
    images = len(arrays["test_images"])
    correct = int(draw.integers(images // 2, images))
    history = [
        {
            "epoch": epoch,
            "accuracy": float(draw.uniform(0.8, 1.0)),
            "loss": float(draw.uniform(0.0, 0.5)),
            "val_accuracy": float(draw.uniform(0.8, 1.0)),
            "val_loss": float(draw.uniform(0.0, 0.5)),
        }
        for epoch in (1, 2)
    ]
    result: dict[str, Any] = {"history": history, "num_params": 1}
    if task.spec.fold is None:  # the notebook's split, scored on the test images
        result["test"] = {
            "accuracy": correct / images,
            "correct": correct,
            "images": images,
            "loss": float(draw.uniform(0.0, 0.5)),
        }
    return result


def test_the_study_stages_write_headline_metrics_details_and_a_report(tmp_path, monkeypatch):
    layout, params = prepared_study(tmp_path, "in_process")

    def fake_tasks(layout_, params_, part, tasks: Sequence[Task], arrays) -> list[dict[str, Any]]:
        return [made_up_result(task, arrays) for task in tasks]

    monkeypatch.setattr(study, "run_study_tasks", fake_tasks)
    files.write_json(layout.evaluate_metrics, {"pairs": {}})
    for part in ("seeds", "crossval", "l2_fit", "report"):
        study.PARTS_OF_THE_STUDY[part](layout, params)

    seeds = headline.read_headline(layout.study_metrics("seeds"))
    assert set(seeds) == {"A", "B_adj2", "A_vs_B_adj2"}
    assert set(seeds["A"]) == {"mean", "sd"}
    assert set(seeds["A_vs_B_adj2"]) == {"difference", "low", "high", "p", "p_holm", "verdict"}
    details = json.loads(layout.study_details("seeds").read_text())
    assert details["family"] == ["A_vs_B_adj2"]
    assert details["models"]["A"]["test_accuracy"]["n"] == len(params.study.seeds())
    rows = layout.study_seed_rows.read_text().splitlines()
    assert rows[0] == "model,seed,test_accuracy,val_accuracy" and len(rows) == 1 + 2 * 2
    crossval = headline.read_headline(layout.study_metrics("crossval"))
    assert set(crossval["A_vs_B_adj2"]) == {"difference", "low", "high", "p"}
    l2_fit = headline.read_headline(layout.study_metrics("l2_fit"))["l2_factor"]
    assert l2_fit["factor"] in (0.001, 0.002, 0.01)
    assert layout.study_details("l2_fit").is_file()
    report = layout.study_report.read_text()
    assert "## The declared comparisons" in report and "| A vs B_adj2 |" in report
    assert "conditional on these" in report
