"""Ray's edges: which cluster the study runs on, a join that cannot succeed, a killed study.

The address checks are fast unit tests; everything that starts Ray or a driver runs inside a
private loopback-only namespace (see loopback.py) and is slow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mnist_cnn.study import ray_cluster
from tests.study import loopback
from tests.study.ray_edges import CLEANUP_BOUND_SECONDS, KILL_CASES
from tests.study.test_engine import processes_mentioning, ray_environment  # noqa: F401

EXPECTED_FORMS = "expected host:port, ray://host:port, or auto"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:6379", "head.example.org:10001", "ray://127.0.0.1:10001", "[::1]:6379", "auto"],
)
def test_well_formed_addresses_are_taken_as_given(monkeypatch, address):
    monkeypatch.setenv("RAY_ADDRESS", address)
    assert ray_cluster.requested_address() == address


@pytest.mark.parametrize("address", ["", "  "])
def test_an_empty_address_means_a_ray_of_the_study_s_own(monkeypatch, address):
    monkeypatch.setenv("RAY_ADDRESS", address)
    assert ray_cluster.requested_address() is None


@pytest.mark.parametrize(
    "address",
    ["garbage", "local", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "http://h:1", "h:p"],
)
def test_a_malformed_address_is_one_line_naming_the_variable_and_the_forms(monkeypatch, address):
    monkeypatch.setenv("RAY_ADDRESS", address)
    with pytest.raises(ray_cluster.RayAddressError) as refusal:
        ray_cluster.requested_address()
    message = str(refusal.value)
    assert message.startswith(f"RAY_ADDRESS = {address!r} is not a Ray address; ")
    assert EXPECTED_FORMS in message and "\n" not in message


def test_the_guardian_finds_every_descendant_by_id_and_start_time():
    table = {
        10: (1, "100", "S"),  # the driver
        11: (10, "101", "S"),  # raylet
        12: (11, "102", "S"),  # its agent
        13: (1, "103", "S"),  # someone else's
    }
    assert ray_cluster._descendants(10, table) == {11: "101", 12: "102"}


# --- slow: real drivers and a real local Ray, inside the private namespace ----------------

UNAVAILABLE = loopback.unavailable_reason()
needs_ray_namespace = pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))


def run_edges(name: str, out_dir: Path, environment: dict[str, str]) -> dict[str, Any]:
    result = subprocess_scenario(name, out_dir, environment)
    assert result.returncode == 0, f"scenario {name} failed:\n{result.stderr[-4000:]}"
    # Process 1 of the namespace has ended, so the kernel has killed anything left in it.
    assert processes_mentioning(environment["RAY_TMPDIR"]) == []
    return json.loads((out_dir / "summary.json").read_text())


def subprocess_scenario(
    name: str, out_dir: Path, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`python -m tests.study.ray_edges NAME OUT_DIR` inside the private namespaces."""
    command = [*loopback.NAMESPACE_COMMAND, sys.executable, "-m", "tests.study.ray_edges"]
    inherited = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    return subprocess.run(
        [*command, name, str(out_dir)],
        cwd=loopback.REPO_ROOT,
        env={**inherited, "PYTHONPATH": str(loopback.REPO_ROOT), **environment},
        capture_output=True,
        text=True,
        timeout=900,
    )


def error_lines(case: dict[str, Any]) -> list[str]:
    return [line for line in case["stderr"] if line.strip()]


@pytest.fixture(scope="module")
def addresses(tmp_path_factory, ray_environment):  # noqa: F811
    return run_edges("addresses", tmp_path_factory.mktemp("addresses"), ray_environment)


@pytest.mark.slow
@needs_ray_namespace
def test_malformed_ray_address_is_one_error_line_and_exit_2(addresses):
    case = addresses["malformed"]
    assert case["returncode"] == 2
    assert error_lines(case) == [
        "error: RAY_ADDRESS = 'garbage' is not a Ray address; expected host:port, "
        "ray://host:port, or auto (or leave it unset to start a Ray of the study's own)"
    ]


@pytest.mark.slow
@needs_ray_namespace
@pytest.mark.parametrize(
    "name, address",
    [("unreachable", "127.0.0.1:1"), ("auto_with_a_dead_recorded_cluster", "auto")],
)
def test_a_cluster_that_never_answers_is_one_line_and_exit_2_within_the_bound(
    addresses, name, address
):
    case = addresses[name]
    assert case["returncode"] == 2
    # Ray's own warnings (one every few seconds) are in the file the line names, not on stderr.
    [line] = error_lines(case)
    match = re.fullmatch(
        rf"error: RAY_ADDRESS = {re.escape(repr(address))}: no Ray cluster answered within "
        rf"{ray_cluster.JOIN_TIMEOUT_SECONDS:.0f} s \(Ray's messages: (\S+)\); start it, or "
        "unset RAY_ADDRESS to run on this machine",
        line,
    )
    assert match, line
    ray_messages = Path(match.group(1))
    assert "Failed to connect to GCS" in ray_messages.read_text()
    ray_messages.unlink()
    # The join's bound, plus starting Python and importing Ray on a loaded machine.
    assert (
        ray_cluster.JOIN_TIMEOUT_SECONDS <= case["seconds"] < ray_cluster.JOIN_TIMEOUT_SECONDS + 60
    )
    assert case["processes_left"] == []


@pytest.mark.slow
@needs_ray_namespace
def test_without_ray_address_the_study_starts_its_own_ray_not_the_recorded_one(addresses):
    case = addresses["unset_with_a_dead_recorded_cluster"]
    assert case["returncode"] == 0, case["stderr"]
    assert case["stdout"] == ["2 results"]
    # Its Ray and the guardian are gone by the time the stage has exited.
    assert case["processes_left"] == []


@pytest.fixture(scope="module")
def kills(tmp_path_factory, ray_environment):  # noqa: F811
    return run_edges("kills", tmp_path_factory.mktemp("kills"), ray_environment)


@pytest.mark.slow
@needs_ray_namespace
@pytest.mark.parametrize("case", list(KILL_CASES))
def test_a_killed_study_leaves_no_process_behind_within_the_bound(kills, case):
    outcome = kills[case]
    assert outcome["started"], outcome["stderr"]
    # Ray was up: its daemons and a worker running a task.
    assert any("raylet" in line for line in outcome["ray_before"])
    assert any("gcs_server" in line for line in outcome["ray_before"])
    seconds = outcome["seconds_until_alone"]
    assert seconds is not None, f"left running: {outcome['processes_left']}"
    assert seconds <= CLEANUP_BOUND_SECONDS
    if case == "stage_SIGINT":
        # The stage's own handling: "interrupted", exit 130 (mnist_cnn/cli.py).
        assert outcome["returncode"] == 130
        assert outcome["stderr"][-1] == "interrupted"
    if case.endswith("SIGKILL") and case.startswith("stage"):
        assert outcome["returncode"] == -9
    if case.startswith("dvc"):
        assert outcome["returncode"] != 0
