"""The whole-run comparison: `dvc repro` from scratch against the notebook path's four models.

The pipeline run starts from an empty repository and reproduces the four notebook trainings with
everything upstream of them (download, split, preprocess); the notebook path trains its four
networks in sequence on the prepared split, as the notebook did, for the notebook's epochs.
Both are timed as wall seconds of one process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.notebook_path import LAYOUT, notebook_models

COPIED = (
    "stages",
    "mnist_cnn",
    "dvc.yaml",
    "params.yaml",
    ".gitignore",
    "data/.gitignore",
    "reference/notebook_history.csv",
)


def fresh_repository(destination: Path) -> None:
    """This project's pipeline in a new git + DVC repository, with no data and no cache."""
    for name in COPIED:
        source = Path(name)
        if source.is_dir():
            shutil.copytree(
                source, destination / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    # Local mirrors are relative to the repository root; keep them pointing at the same copy.
    params["download"]["mirrors"] = [
        mirror if "://" in mirror else str(Path(mirror).resolve())
        for mirror in params["download"]["mirrors"]
    ]
    (destination / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for command in (
        ["git", "init", "-q"],
        ["dvc", "init", "-q"],
        ["git", "add", "-A"],
        [
            "git",
            "-c",
            "user.email=bench@example.invalid",
            "-c",
            "user.name=bench",
            "commit",
            "-qm",
            "pipeline",
        ],
    ):
        subprocess.run(command, cwd=destination, check=True, env=tool_environment())


def tool_environment() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
    }


def timed(command: list[str], cwd: Path, log_path: Path) -> float:
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.perf_counter()
        finished = subprocess.run(
            command, cwd=cwd, stdout=log, stderr=log, check=False, env=tool_environment()
        )
        seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} exited {finished.returncode}; see {log_path}")
    return seconds


def time_full_runs(log_dir: Path) -> dict[str, Any]:
    """Wall seconds of both whole runs, their speed ratio and the validation accuracies."""
    log_dir.mkdir(parents=True, exist_ok=True)
    models = notebook_models(LAYOUT)
    report_path = log_dir / "notebook-all.json"
    notebook_seconds = timed(
        [
            sys.executable,
            "-m",
            "benchmarks.notebook_path",
            "--model",
            "all",
            "--output",
            str(report_path.resolve()),
        ],
        Path.cwd(),
        log_dir / "notebook-all.log",
    )
    notebook = json.loads(report_path.read_text(encoding="utf-8"))["models"]
    with tempfile.TemporaryDirectory(prefix="bench-repro-") as scratch:
        repository = Path(scratch)
        fresh_repository(repository)
        # The notebook's four trainings and everything they need (download, split, preprocess);
        # B_gap and evaluate are left out because the notebook script does neither.
        targets = [f"train@{name}" for name in models]
        repro_seconds = timed(["dvc", "repro", *targets], repository, log_dir / "dvc-repro.log")
        pipeline = {
            name: json.loads((repository / f"metrics/train/{name}.json").read_text())
            for name in models
        }
    return {
        "dvc_repro_seconds": round(repro_seconds, 1),
        "dvc_repro_targets": [f"train_{name}" for name in models],
        "notebook_four_models_seconds": round(notebook_seconds, 1),
        "speedup": round(notebook_seconds / repro_seconds, 3),
        "val_accuracy": {
            name: {
                "notebook": round(notebook[name]["val_accuracy"], 4),
                "pipeline": round(pipeline[name]["val"]["accuracy"], 4),
            }
            for name in models
        },
        "epochs_run": {
            name: {
                "notebook": notebook[name]["epochs_run"],
                "pipeline": pipeline[name]["epochs_run"],
            }
            for name in models
        },
    }
