"""Resolve pyproject.toml for every locked platform, Macs included, and check the TensorFlow pair.

uv resolves for another platform than the one it runs on, so this runs on Linux CI. It asks the
package index (PyPI), so it follows new releases: a TensorFlow or plugin release that pyproject's
markers let in and the table in tools/lock.py does not know fails here before any Mac user sees it.
"""

import os
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version
from uv import find_uv_bin

from tools.lock import (
    METAL_SUPPORTED_TENSORFLOW,
    REPO_ROOT,
    TARGETS,
    compile_command,
    metal_pair_error,
    pinned_versions,
)

# Four full resolutions of the project, run side by side: mostly waiting on the index.
pytestmark = pytest.mark.slow

CASES = {target.name: target for target in TARGETS}
MACS_WITH_PLUGIN = [name for name, target in CASES.items() if target.gets_metal]
WITHOUT_PLUGIN = [name for name, target in CASES.items() if not target.gets_metal]
NEWEST_SUPPORTED = max(Version(minor).release for minor in METAL_SUPPORTED_TENSORFLOW.values())


@pytest.fixture(scope="module")
def uv() -> str:
    """uv's binary once the package index answers; else skipped here, failed in CI."""
    binary = find_uv_bin()
    probe = [binary, "pip", "compile", "-", "--no-deps", "--quiet", "--refresh"]
    probe += ["--python-platform=aarch64-apple-darwin", "--python-version=3.11"]
    answer = subprocess.run(probe, input="tensorflow-metal\n", capture_output=True, text=True)
    if answer.returncode != 0:
        reason = (answer.stderr.strip().splitlines() or ["no message"])[0]
        # CI reaches the package index, so a skip there would hide an unchecked lock.
        if os.environ.get("CI"):
            pytest.fail(f"uv cannot reach the package index in CI: {reason}")
        pytest.skip(f"uv cannot reach the package index: {reason}")
    return binary


@pytest.fixture(scope="module")
def resolutions(uv, tmp_path_factory) -> dict[str, tuple[int, str, Path]]:
    """Each case's exit code, uv's messages and output file, resolved concurrently."""
    folder = tmp_path_factory.mktemp("resolutions")
    running = {}
    for case, target in CASES.items():
        command = compile_command(uv, target, folder / f"{case}.txt")
        running[case] = subprocess.Popen(
            command, cwd=REPO_ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
    return {
        case: (process.wait(), process.communicate()[1], folder / f"{case}.txt")
        for case, process in running.items()
    }


def resolved(resolutions, case: str) -> dict[str, str]:
    """Package -> version that uv picked for `case`, which must have resolved."""
    returncode, messages, output = resolutions[case]
    assert returncode == 0, f"{case} does not resolve:\n{messages}"
    return pinned_versions(output.read_text())


@pytest.mark.parametrize("case", MACS_WITH_PLUGIN)
def test_mac_gets_the_plugin_with_a_tensorflow_it_supports(resolutions, case):
    versions = resolved(resolutions, case)
    assert metal_pair_error(versions, CASES[case]) is None
    assert versions["tensorflow-metal"] in METAL_SUPPORTED_TENSORFLOW
    supported = METAL_SUPPORTED_TENSORFLOW[versions["tensorflow-metal"]]
    assert versions["tensorflow"].startswith(f"{supported}.")
    assert versions["keras"].startswith("3.")
    assert "numpy" in versions and "jax" in versions and "ray" in versions


@pytest.mark.parametrize("case", WITHOUT_PLUGIN)
def test_elsewhere_no_plugin_and_tensorflow_is_not_held_back(resolutions, case):
    versions = resolved(resolutions, case)
    assert "tensorflow-metal" not in versions
    assert Version(versions["tensorflow"]).release[:2] > NEWEST_SUPPORTED
    assert versions["keras"].startswith("3.") and "ray" in versions
