"""The fan-out benchmark's page says what its JSON file holds, and a cut-short run says so."""

from __future__ import annotations

from pathlib import Path

from benchmarks.study_fanout import render


def a_report(finished_study: bool) -> dict:
    study = {
        "parallel": 2,
        "finished": [
            {"task": "A seed 1", "seconds": 10.0, "epochs_run": 3, "test_accuracy": 0.98},
            {"task": "A seed 2", "seconds": 14.0, "epochs_run": 2, "test_accuracy": 0.99},
        ],
    }
    if finished_study:
        accuracy = {"mean": 0.985, "sd": 0.00707}
        study.update(wall_seconds=30.0, metrics={"A": {"test": {"accuracy": accuracy}}})
    return {
        "started_utc": "2026-12-04T00:00:00Z",
        "machine": {"backend": "jax", "cores": 16},
        "study": study,
        "probe": {
            "model": "B",
            "epochs": 1,
            "runs": [
                {"parallel": 1, "wall_seconds": 20.0, "task_seconds": [10.0],
                 "trainings_per_hour": 180.0},
                {"parallel": 2, "wall_seconds": 25.0, "task_seconds": [11.0, 13.0],
                 "trainings_per_hour": 288.0},
                {"parallel": 4, "skipped": "3 s left"},
            ],
        },
    }  # fmt: skip


def test_the_page_gives_the_study_wall_time_per_model_figures_and_the_speed_up():
    page = render(a_report(finished_study=True), Path("benchmarks/run.json"))
    assert "`python -m benchmarks.study_fanout --render benchmarks/run.json`" in page
    assert "2 trainings at 2 at a time: 30 s wall, 240 trainings per hour." in page
    assert "| A | 2 | 12 | 3, 2 | 0.9850 (0.0071) |" in page
    assert "| 1 | 20.0 | 10.0 | 180 | 1.00x |" in page
    assert "| 2 | 25.0 | 12.0 | 288 | 1.60x |" in page
    assert "| 4 | skipped (3 s left) | | | |" in page


def test_a_study_cut_short_is_marked_and_has_no_accuracy_summary():
    page = render(a_report(finished_study=False), Path("run.json"))
    assert "Cut short after 2 trainings." in page
    assert "| A | 2 | 12 | 3, 2 | unfinished |" in page
