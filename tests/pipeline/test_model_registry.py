"""The models as DVC artifacts, and experiments shared through remotes, in throwaway repositories.

A declared artifact from this project's dvc.yaml is pushed to a local-directory DVC remote and
fetched back with `dvc artifacts get`; an experiment goes through a bare git remote and the
S3-compatible test server with `dvc exp push` / `dvc exp pull` (docs/pull-requests.md).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import keras
import pytest
import yaml

from tests.helpers import REPO_ROOT, run
from tests.pipeline.test_remote_s3 import BUCKET, s3_endpoint  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

MODEL = "B"


def git_dvc_repo(directory: Path) -> Path:
    directory.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], directory)
    run(["git", "config", "user.email", "tests@example.invalid"], directory)
    run(["git", "config", "user.name", "tests"], directory)
    run(["dvc", "init", "-q"], directory)
    run(["dvc", "config", "core.analytics", "false"], directory)
    run(["dvc", "config", "studio.offline", "true"], directory)
    return directory


def test_a_declared_model_is_fetched_from_a_remote_with_dvc_artifacts_get(tmp_path: Path) -> None:
    declared = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["artifacts"][MODEL]
    repo = git_dvc_repo(tmp_path / "project")
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"artifacts": {MODEL: declared}}))
    model_file = repo / declared["path"]
    model_file.parent.mkdir(parents=True)
    tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    tiny.save(model_file)
    run(["dvc", "add", declared["path"]], repo)
    run(["dvc", "remote", "add", "-d", "storage", str(tmp_path / "storage")], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "a model and its registry entry"], repo)
    # A registered version is a git tag in GTO's <name>@v<semver> form (docs/pull-requests.md):
    # `dvc artifacts get` without --rev takes the newest.
    run(["git", "tag", "-a", f"{MODEL}@v1.0.0", "-m", f"Registering {MODEL} v1.0.0"], repo)
    run(["dvc", "push"], repo)
    # Only the remote holds the model now: get must download it, not copy a local cache.
    shutil.rmtree(repo / ".dvc" / "cache")

    fetched = tmp_path / "fetched.keras"
    run(["dvc", "artifacts", "get", str(repo), MODEL, "-o", str(fetched)], tmp_path)
    assert fetched.read_bytes() == model_file.read_bytes()
    assert keras.saving.load_model(fetched).output_shape == (None, 2)


# The experiment's one stage: writes `size` copies of a line; stands in for a training.
WRITER = """import yaml
size = yaml.safe_load(open("params.yaml"))["size"]
open("out.txt", "w").write("x\\n" * size)
"""


def test_an_experiment_is_shared_with_dvc_exp_push_and_pull(
    tmp_path: Path,
    s3_endpoint: str,  # noqa: F811 (the imported fixture)
) -> None:
    origin = tmp_path / "origin.git"
    run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], tmp_path)
    author = git_dvc_repo(tmp_path / "author")
    (author / "params.yaml").write_text("size: 2\n")
    (author / "write.py").write_text(WRITER)
    stage = {"cmd": f"{sys.executable} write.py", "params": ["size"], "outs": ["out.txt"]}
    stage["deps"] = ["write.py"]
    (author / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"write": stage}}))
    (author / ".gitignore").write_text("/out.txt\n")
    run(["dvc", "remote", "add", "-d", "shared", f"s3://{BUCKET}/cache"], author)
    run(["dvc", "remote", "modify", "shared", "endpointurl", s3_endpoint], author)
    run(["git", "remote", "add", "origin", str(origin)], author)
    run(["git", "add", "-A"], author)
    run(["git", "commit", "-qm", "a one-stage pipeline"], author)
    run(["git", "push", "-q", "origin", "main"], author)

    run(["dvc", "exp", "run", "-n", "wider", "-S", "size=5"], author)
    run(["dvc", "exp", "push", "origin", "wider"], author)

    reviewer = tmp_path / "reviewer"
    run(["git", "clone", "-q", str(origin), str(reviewer)], tmp_path)
    run(["dvc", "exp", "pull", "origin", "wider"], reviewer)
    assert "wider" in run(["dvc", "exp", "list", "--name-only"], reviewer).stdout
    run(["dvc", "exp", "apply", "wider"], reviewer)
    assert (reviewer / "out.txt").read_text() == "x\n" * 5
    assert yaml.safe_load((reviewer / "params.yaml").read_text()) == {"size": 5}
