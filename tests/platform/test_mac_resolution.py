"""Resolve pyproject.toml for Apple silicon as a Mac would, and check the TensorFlow pair.

uv resolves for another platform than the one it runs on, so this runs on Linux CI. It asks the
package index (PyPI), so it follows new releases: a TensorFlow or plugin release that pyproject's
markers let in and the table in tools/lock.py does not know fails here before any Mac user sees it.
"""

import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from tools.lock import (
    EXTRAS,
    METAL_SUPPORTED_TENSORFLOW,
    REPO_ROOT,
    TARGETS,
    compile_command,
    metal_pair_error,
    pinned_versions,
)

# Six full resolutions of the project, run side by side: mostly waiting on the index.
pytestmark = pytest.mark.slow

MACS = {target.python: target for target in TARGETS if target.is_apple_silicon}
LINUX = next(target for target in TARGETS if target.system == "linux")
WITHOUT_METAL = tuple(extra for extra in EXTRAS if extra != "metal")
CASES = {
    "mac-3.11": (MACS["3.11"], EXTRAS),
    "mac-3.12": (MACS["3.12"], EXTRAS),
    "mac-3.13": (MACS["3.13"], EXTRAS),
    "mac-3.13-without-metal": (MACS["3.13"], WITHOUT_METAL),
    "linux": (LINUX, EXTRAS),
    "linux-without-metal": (LINUX, WITHOUT_METAL),
}


@pytest.fixture(scope="module")
def uv() -> str:
    """uv's binary, once the package index answered for the plugin; else the test is skipped."""
    binary = find_uv_bin()
    probe = [binary, "pip", "compile", "-", "--no-deps", "--quiet", "--refresh"]
    probe += ["--python-platform=aarch64-apple-darwin", "--python-version=3.11"]
    answer = subprocess.run(probe, input="tensorflow-metal\n", capture_output=True, text=True)
    if answer.returncode != 0:
        reason = (answer.stderr.strip().splitlines() or ["no message"])[0]
        pytest.skip(f"uv cannot reach the package index: {reason}")
    return binary


@pytest.fixture(scope="module")
def resolutions(uv, tmp_path_factory) -> dict[str, tuple[int, str, Path]]:
    """Each case's exit code, uv's messages and output file, resolved concurrently."""
    folder = tmp_path_factory.mktemp("resolutions")
    running = {}
    for case, (target, extras) in CASES.items():
        command = compile_command(uv, target, folder / f"{case}.txt", extras)
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


@pytest.mark.parametrize("python", ["3.11", "3.12"])
def test_mac_gets_the_plugin_with_a_tensorflow_it_supports(resolutions, python):
    versions = resolved(resolutions, f"mac-{python}")
    assert metal_pair_error(versions, MACS[python]) is None
    assert versions["tensorflow-metal"] in METAL_SUPPORTED_TENSORFLOW
    supported = METAL_SUPPORTED_TENSORFLOW[versions["tensorflow-metal"]]
    assert versions["tensorflow"].startswith(f"{supported}.")
    assert versions["keras"].startswith("3.")
    assert "numpy" in versions and "jax" in versions and "ray" in versions


def test_mac_on_python_313_resolves_without_the_plugin(resolutions):
    with_metal = resolved(resolutions, "mac-3.13")
    assert "tensorflow-metal" not in with_metal
    assert "tensorflow" in with_metal and "ray" in with_metal
    assert resolved(resolutions, "mac-3.13-without-metal") == with_metal


def test_metal_extra_changes_nothing_on_linux(resolutions):
    with_metal = resolved(resolutions, "linux")
    assert "tensorflow-metal" not in with_metal
    assert resolved(resolutions, "linux-without-metal") == with_metal
