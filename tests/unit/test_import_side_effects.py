"""Importing the package or a stage, as a notebook would, changes only what
mnist_cnn/__init__.py documents: the oneDNN switch, when it is unset.

Each import runs in a fresh interpreter that records the process's global state before and
after: the environment, the stream objects and what file descriptor 2 points at, the signal
handlers, the exception hook and the logging setup.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mnist_cnn.kernels import ONEDNN_SWITCH, PORTABLE_ONEDNN_SWITCH
from tests.helpers import REPO_ROOT, command_environment

STAGE_MODULES = sorted(f"stages.{path.stem}" for path in (REPO_ROOT / "stages").glob("[!_]*.py"))

# Run with the module's name as its argument; {then} is what to do after importing it.
RECORD = """
import importlib, json, logging, os, signal, sys

def state():
    descriptor = os.fstat(2)
    return {
        "environ": dict(os.environ),
        "streams": [id(sys.stdin), id(sys.stdout), id(sys.stderr)],
        "descriptor 2": [descriptor.st_dev, descriptor.st_ino],
        "signals": {
            name: repr(signal.getsignal(getattr(signal, name)))
            for name in ("SIGINT", "SIGTERM", "SIGPIPE")
        },
        "excepthook": repr(sys.excepthook),
        "logging": {
            name: [logging.getLogger(name).level, len(logging.getLogger(name).handlers)]
            for name in ("", "tensorflow")
        },
    }

before = state()
module = importlib.import_module(sys.argv[1])
{then}
after = state()
sys.stdout.write(json.dumps({"before": before, "after": after}))
"""


def state_around_import(
    module: str, environment: dict[str, str], then: str = ""
) -> tuple[dict, dict]:
    """The process's state before and after importing `module` (and running `then`)."""
    finished = subprocess.run(
        [sys.executable, "-c", RECORD.replace("{then}", then), module],
        env=environment,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    recorded = json.loads(finished.stdout)
    return recorded["before"], recorded["after"]


def without_switch() -> dict[str, str]:
    environment = command_environment(REPO_ROOT)
    environment.pop(ONEDNN_SWITCH, None)
    return environment


@pytest.mark.parametrize(
    "module, expected",
    [
        ("mnist_cnn", {ONEDNN_SWITCH: PORTABLE_ONEDNN_SWITCH}),
        # The stages' package imports nothing, not even mnist_cnn.
        ("stages", {}),
        *((name, {ONEDNN_SWITCH: PORTABLE_ONEDNN_SWITCH}) for name in STAGE_MODULES),
    ],
)
def test_an_import_changes_only_the_documented_variable(module, expected):
    before, after = state_around_import(module, without_switch())
    assert after.pop("environ") == {**before.pop("environ"), **expected}
    assert after == before


def test_a_switch_already_set_is_kept():
    before, after = state_around_import("mnist_cnn", {**without_switch(), ONEDNN_SWITCH: "1"})
    assert after["environ"] == before["environ"]
    assert after["environ"][ONEDNN_SWITCH] == "1"


def test_the_record_sees_a_filter_installed():
    """The check can fail: the stages' stderr filter, installed, changes what it records."""
    before, after = state_around_import(
        "mnist_cnn.quiet", without_switch(), "module.quiet_tensorflow()"
    )
    assert after["descriptor 2"] != before["descriptor 2"]
    assert after["logging"] != before["logging"]
