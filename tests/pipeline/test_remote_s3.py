"""Sharing artifacts through a DVC remote on S3: a real S3-compatible server on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers import declared_models, ran_stages, run

pytestmark = [pytest.mark.slow, pytest.mark.integration]

BUCKET = "mnist-pipeline"
MODELS = declared_models()


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 server on a free local port, with an empty bucket and dummy credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def stored_objects(endpoint: str) -> int:
    listing = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").list_objects_v2(
        Bucket=BUCKET
    )
    return int(listing.get("KeyCount", 0))


def test_push_then_pull_and_repro_pull_fetch_instead_of_training(
    pipeline_repo: Path, s3_endpoint: str, tmp_path: Path
) -> None:
    run(["dvc", "remote", "add", "-d", "shared", f"s3://{BUCKET}/cache"], pipeline_repo)
    run(["dvc", "remote", "modify", "shared", "endpointurl", s3_endpoint], pipeline_repo)
    run(["dvc", "repro"], pipeline_repo)
    run(["git", "add", "-A"], pipeline_repo)
    run(["git", "commit", "-qm", "trained, with a shared remote"], pipeline_repo)
    run(["dvc", "push"], pipeline_repo)
    assert stored_objects(s3_endpoint) > 0

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(pipeline_repo), str(clone)], tmp_path)
    assert not (clone / "data/models/B.keras").exists()
    run(["dvc", "pull"], clone)
    for name in MODELS:
        assert (clone / f"data/models/{name}.keras").read_bytes() == (
            pipeline_repo / f"data/models/{name}.keras"
        ).read_bytes()
    assert "up to date" in run(["dvc", "status", "dvc.yaml"], clone).stdout

    # A fresh machine: no workspace data and no local cache; repro --pull must fetch, not train.
    shutil.rmtree(clone / ".dvc" / "cache")
    shutil.rmtree(clone / "data")
    run(["git", "checkout", "--", "data"], clone)
    repro = run(["dvc", "repro", "--pull"], clone)
    assert ran_stages(repro.stdout) == []
    assert (clone / "data/models/B_adj2.keras").read_bytes() == (
        pipeline_repo / "data/models/B_adj2.keras"
    ).read_bytes()
    assert "up to date" in run(["dvc", "status", "dvc.yaml"], clone).stdout
