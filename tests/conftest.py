"""Fixtures: tiny MNIST look-alikes, shrunk params, workspaces and throw-away pipeline repos.

Plain helper functions live in tests/helpers.py; this file only declares fixtures, and the
one hook that splits a run into shards.
"""

from __future__ import annotations

import http.server
import shutil
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnist_cnn.layout import Layout
from mnist_cnn.params import Params
from mnist_cnn.pipeline import download, preprocess, split
from tests.browser import ProbeHandler
from tests.helpers import (
    REPO_ROOT,
    load_repo_params,
    make_pipeline_repo,
    run,
    shrink_params,
    workspace,
)
from tests.mnist_fixtures import write_idx_set


@pytest.fixture(scope="session")
def shared_mnist() -> Path:
    """The exact MNIST copy beside the checkout (../shared/data/mnist), outside the repository.

    Tests that read it ask for this fixture, so the dependency is visible; they are skipped
    where the copy is absent.
    """
    copy = REPO_ROOT.parent / "shared" / "data" / "mnist"
    if not (copy / "SHA256SUMS").is_file():
        pytest.skip(f"no offline MNIST copy at {copy}")
    return copy


@pytest.fixture
def idx_mirror(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A local mirror directory with tiny synthetic IDX files, and their checksums."""
    directory = tmp_path / "mirror"
    return directory, write_idx_set(directory)


@pytest.fixture
def small_params(idx_mirror: tuple[Path, dict[str, str]]) -> dict[str, Any]:
    mirror, checksums = idx_mirror
    return shrink_params(load_repo_params(), mirror, checksums)


@pytest.fixture
def small_workspace(tmp_path: Path, small_params: dict[str, Any]) -> tuple[Layout, Params]:
    """A folder holding the small params.yaml, for calling the pipeline's steps directly."""
    return workspace(tmp_path / "workspace", small_params)


@pytest.fixture
def prepared_workspace(small_workspace: tuple[Layout, Params]) -> tuple[Layout, Params]:
    """The small workspace after the real download, split and preprocess steps."""
    layout, params = small_workspace
    for step in (download, split, preprocess):
        step.run(layout, params)
    return layout, params


@pytest.fixture
def pipeline_repo(tmp_path: Path, small_params: dict[str, Any]) -> Path:
    return make_pipeline_repo(tmp_path / "repo", small_params)


@pytest.fixture(scope="session")
def reproduced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pipeline repository on tiny data after a full `dvc repro`, committed, per session."""
    mirror = tmp_path_factory.mktemp("mirror")
    params = shrink_params(load_repo_params(), mirror, write_idx_set(mirror))
    repo = make_pipeline_repo(tmp_path_factory.mktemp("template") / "repo", params)
    run(["dvc", "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "reproduced"], repo)
    return repo


@pytest.fixture
def reproduced_repo(reproduced_template: Path, tmp_path: Path) -> Path:
    """A private copy of the reproduced repository (git history and DVC cache included).

    Saves each test a full `dvc repro` of every stage; tests that change it change the copy.
    """
    copy = tmp_path / "reproduced"
    shutil.copytree(reproduced_template, copy, symlinks=True)
    return copy


@pytest.fixture
def probe_server() -> Iterator[http.server.HTTPServer]:
    """A loopback HTTP server that counts requests: the witness that a browser's block holds."""
    server = http.server.HTTPServer(("127.0.0.1", 0), ProbeHandler)
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def offline_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page template, written by the module's command line as `make setup` runs it."""
    target = tmp_path_factory.mktemp("template") / "plots_page.html"
    run([sys.executable, "-m", "mnist_cnn.plots_page", str(target)], REPO_ROOT)
    return target


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        metavar="I/N",
        help="run only the tests whose name hashes to I modulo N (make test-fast runs 0/2 and "
        "1/2 side by side: most fast tests wait on one stage process at a time)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.getoption("--shard")
    if not shard:
        return
    index, count = (int(part) for part in shard.split("/"))
    mine = {item.nodeid for item in items if zlib.crc32(item.nodeid.encode()) % count == index}
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in mine])
    items[:] = [item for item in items if item.nodeid in mine]
