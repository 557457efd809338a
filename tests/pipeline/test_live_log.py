"""dvclive per-epoch metrics under a real `dvc exp run`: shown while it runs, nothing else touched.

A throw-away git + DVC repository holds `mnist_cnn/training/live_log.py` and a stand-in training
stage that logs three epochs of made-up numbers through it. After its first epoch the stage
waits for a file the test creates, so the test can look from outside at a run in progress:
`dvc metrics show` and `dvc exp show` must already show epoch 1. Afterwards: dvc.yaml is
byte-for-byte unchanged, nothing is staged in git, the experiment's commit holds no dvclive
file (they live in DVC's cache), and a second run with the same numbers writes the same bytes.
Studio is pointed at a loopback server and a token is set: with `studio.offline` in
`.dvc/config` nothing is posted; without it, the same run posts (so the check can fail).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, VENV_BIN, run

pytestmark = [pytest.mark.slow, pytest.mark.integration]

STAGE_SCRIPT = '''\
"""A stand-in training stage: three epochs of made-up numbers, pausing after the first."""
import os
import sys
import time
from pathlib import Path

from mnist_cnn.layout import Layout
from mnist_cnn.training.live_log import LiveEpochLog

model = sys.argv[1]
signals = Path(os.environ["SIGNAL_DIR"])
history = []
with LiveEpochLog(Layout(Path(".")).live_dir(model)) as live_log:
    for epoch in (1, 2, 3):
        history.append({"epoch": epoch, "accuracy": 0.9 + epoch / 100, "loss": 1 / epoch,
                        "val_accuracy": 0.88 + epoch / 100, "val_loss": 1.5 / epoch})
        live_log.log(history)
        if epoch == 1:
            (signals / "epoch-1-logged").touch()
            deadline = time.monotonic() + 120
            while not (signals / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
'''
DVC_YAML = """\
stages:
  train_A:
    cmd: python fake_train.py A
    deps:
      - fake_train.py
      - mnist_cnn/training/live_log.py
    outs:
      - dvclive/A
"""
EPOCH_1 = {"train": {"accuracy": 0.91, "loss": 1.0}, "val": {"accuracy": 0.89, "loss": 1.5}}


class StudioHandler(http.server.BaseHTTPRequestHandler):
    """Stands in for Studio's live-metrics endpoint; counts what is posted to it."""

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posts += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def studio() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), StudioHandler)
    server.posts = 0  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def live_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(
        REPO_ROOT / "mnist_cnn", repo / "mnist_cnn", ignore=shutil.ignore_patterns("__pycache__")
    )
    (repo / "fake_train.py").write_text(STAGE_SCRIPT)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    # As in the project: DVC caches the dvclive folders, so git ignores them.
    (repo / ".gitignore").write_text("/dvclive/\n__pycache__/\n")
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["git", "config", "user.email", "tests@example.invalid"], repo)
    run(["git", "config", "user.name", "tests"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "config", "core.analytics", "false"], repo)
    run(["dvc", "config", "studio.offline", "true"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "stand-in training stage"], repo)
    return repo


def environment(repo: Path, signals: Path, studio: http.server.HTTPServer) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(repo),
        "DVC_NO_ANALYTICS": "1",
        "SIGNAL_DIR": str(signals),
        "DVC_STUDIO_TOKEN": "not-a-real-token",
        "DVC_STUDIO_URL": f"http://127.0.0.1:{studio.server_address[1]}",
        "DVC_STUDIO_REPO_URL": "https://example.invalid/repo.git",
    }


def wait_for(signal: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not signal.exists():
        assert process.poll() is None, f"dvc exp run ended early:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, "the stage never logged its first epoch"
        time.sleep(0.1)


def dvclive_files(repo: Path) -> dict[str, bytes]:
    folder = repo / "dvclive"
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_dvc_exp_run_writes_each_epoch_live_and_touches_nothing_else(live_repo, studio, tmp_path):
    """dvclive's folder is for following a run (its metrics.json after every epoch, its plots for
    the VS Code extension), declared as an output as in the project's dvc.yaml: not a second copy
    of the training numbers in `dvc metrics show`."""
    signals = tmp_path / "signals"
    signals.mkdir()
    env = environment(live_repo, signals, studio)
    dvc_yaml = (live_repo / "dvc.yaml").read_bytes()
    experiment = subprocess.Popen(
        ["dvc", "exp", "run"],
        cwd=live_repo,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(signals / "epoch-1-logged", experiment)
        live = json.loads((live_repo / "dvclive/A/metrics.json").read_text())
        metrics = json.loads(run(["dvc", "metrics", "show", "--json"], live_repo).stdout)
    finally:
        (signals / "release").touch()
        output = experiment.communicate(timeout=300)[0]
    assert experiment.returncode == 0, output

    # While epoch 2 had not started, the live file held epoch 1, and DVC printed no metric.
    assert live == {**EPOCH_1, "step": 1}
    assert next(iter(metrics.values()))["data"] == {}
    # Afterwards: dvc.yaml untouched, nothing staged, and the experiment commits no dvclive file.
    assert (live_repo / "dvc.yaml").read_bytes() == dvc_yaml
    assert run(["git", "diff", "--cached", "--name-only"], live_repo).stdout == ""
    references = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], live_repo)
    [saved] = [name for name in references.stdout.split() if not name.endswith("EXEC_HEAD")]
    changed = run(["git", "diff-tree", "--no-commit-id", "--name-only", "-r", saved], live_repo)
    assert changed.stdout.split() == ["dvc.lock"]
    assert studio.posts == 0  # type: ignore[attr-defined]

    # The same numbers again, with Studio no longer offline: the same bytes, and posts this time.
    first_files, first_lock = dvclive_files(live_repo), (live_repo / "dvc.lock").read_bytes()
    run(["dvc", "config", "--unset", "studio.offline"], live_repo)
    again = subprocess.run(
        ["dvc", "exp", "run", "--force"], cwd=live_repo, env=env, text=True, capture_output=True
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert dvclive_files(live_repo) == first_files
    assert (live_repo / "dvc.lock").read_bytes() == first_lock
    assert studio.posts > 0  # type: ignore[attr-defined]
