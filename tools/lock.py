"""The locks: one pinned, hashed requirements file per platform, which `make setup` installs.

`python -m tools.lock` (`make lock`) rewrites every lock from pyproject.toml. uv resolves for a
platform other than the one it runs on, so one Linux machine writes the Mac locks too.
Only the standard library is imported at the top: tools.install runs before anything is installed.
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK_DIR = REPO_ROOT / "requirements"
# What `make setup` installs besides the core; `metal` adds nothing off Apple silicon.
EXTRAS = ("dev", "jax", "metal")
# tensorflow-metal release -> the TensorFlow minor version it is built for. TensorFlow loads every
# installed plugin when it is imported, so another pair can break `import tensorflow`. pyproject's
# `metal` extra pins the same pair; tests/platform checks that the two agree.
METAL_SUPPORTED_TENSORFLOW = {"1.2.0": "2.18"}
# The newest Python that tensorflow-metal ships wheels for.
METAL_NEWEST_PYTHON = (3, 12)


@dataclass(frozen=True)
class Target:
    """A locked platform: how Python on it names itself, and how uv resolves for it."""

    system: str  # platform.system().lower()
    machine: str  # platform.machine()
    python: str  # major.minor
    uv_platform: str  # uv's --python-platform

    @property
    def name(self) -> str:
        return f"{self.system}-{self.machine}-py{self.python}"

    @property
    def lock_path(self) -> Path:
        return LOCK_DIR / f"{self.name}.txt"

    @property
    def python_version(self) -> tuple[int, int]:
        major, minor = self.python.split(".")
        return int(major), int(minor)

    @property
    def gets_metal(self) -> bool:
        """Whether the `metal` extra installs the plugin here (pyproject's markers say the same)."""
        return self.is_apple_silicon and self.python_version <= METAL_NEWEST_PYTHON

    @property
    def is_apple_silicon(self) -> bool:
        return self.system == "darwin" and self.machine == "arm64"


# *-manylinux_2_28: wheels for glibc 2.28 and newer (Debian 10, Ubuntu 20.04, RHEL 8 on).
# aarch64-apple-darwin: uv assumes the oldest macOS that Apple still supports.
# One file per target, not one universal lock: pip and `uv pip sync` install a plain
# requirements file, and each file's pins are exactly what one machine gets (docs/platform.md).
TARGETS = (
    Target("linux", "x86_64", "3.11", "x86_64-manylinux_2_28"),
    Target("linux", "x86_64", "3.12", "x86_64-manylinux_2_28"),
    Target("linux", "x86_64", "3.13", "x86_64-manylinux_2_28"),
    Target("linux", "aarch64", "3.11", "aarch64-manylinux_2_28"),
    Target("linux", "aarch64", "3.12", "aarch64-manylinux_2_28"),
    Target("linux", "aarch64", "3.13", "aarch64-manylinux_2_28"),
    Target("darwin", "arm64", "3.11", "aarch64-apple-darwin"),
    Target("darwin", "arm64", "3.12", "aarch64-apple-darwin"),
    Target("darwin", "arm64", "3.13", "aarch64-apple-darwin"),
)


# The lock the committed results were produced with; a new platform's lock starts from its pins.
REFERENCE = TARGETS[0]


def this_machine() -> Target:
    """The running interpreter's platform, as a target (locked or not)."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Target(platform.system().lower(), platform.machine(), python, uv_platform="")


def find_target(machine: Target) -> Target | None:
    """The locked target matching `machine`'s system, architecture and Python, if any."""
    for target in TARGETS:
        if (target.system, target.machine, target.python) == (
            machine.system,
            machine.machine,
            machine.python,
        ):
            return target
    return None


def compile_command(
    uv: str, target: Target, output: Path, extras: tuple[str, ...] = EXTRAS
) -> list[str]:
    """The uv command that resolves pyproject.toml (with `extras`) for `target` into `output`."""
    command = [uv, "pip", "compile", "pyproject.toml", "--quiet", "--generate-hashes"]
    command += [f"--extra={extra}" for extra in extras]
    command += [f"--python-platform={target.uv_platform}", f"--python-version={target.python}"]
    return command + ["--custom-compile-command=make lock", f"--output-file={output}"]


def index_snapshot() -> str:
    """The current time, for uv's --exclude-newer: every lock of one run sees the same index."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pinned_versions(lock_text: str) -> dict[str, str]:
    """Normalised package name -> pinned version, from a lock's `name==version` lines."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock_text, re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def metal_pair_error(versions: dict[str, str], target: Target) -> str | None:
    """Why the resolved tensorflow / tensorflow-metal pair is wrong for `target`, or None."""
    metal = versions.get("tensorflow-metal")
    tensorflow = versions.get("tensorflow")
    if tensorflow is None:
        return f"{target.name}: no tensorflow resolved"
    if not target.gets_metal:
        return None if metal is None else f"{target.name}: tensorflow-metal {metal} resolved"
    if metal is None:
        return f"{target.name}: no tensorflow-metal resolved"
    if metal not in METAL_SUPPORTED_TENSORFLOW:
        known = ", ".join(sorted(METAL_SUPPORTED_TENSORFLOW))
        return f"{target.name}: tensorflow-metal {metal} is not in the table ({known})"
    supported = METAL_SUPPORTED_TENSORFLOW[metal]
    if not tensorflow.startswith(f"{supported}."):
        needed = f"needs TensorFlow {supported}.x, not {tensorflow}"
        return f"{target.name}: tensorflow-metal {metal} {needed}"
    return None


def starting_pins(target: Target) -> Path | None:
    """The lock whose pins uv keeps where they fit `target`: its own, else the reference lock."""
    for lock in (target.lock_path, REFERENCE.lock_path):
        if lock.is_file():
            return lock
    return None


def resolve(uv: str, target: Target, snapshot: str, upgrade: bool) -> Path:
    """`target`'s lock, resolved into a scratch file beside it after its pair is checked.

    uv keeps the pins already in its output file where they still satisfy pyproject.toml, so
    the scratch file starts as a copy of the current lock: a re-lock changes only what must
    change, and a new platform starts from the versions the committed results were made with.
    """
    scratch = target.lock_path.with_name(f".{target.lock_path.name}.tmp")
    pins = starting_pins(target)
    if pins is not None and not upgrade:
        scratch.write_text(pins.read_text())
    else:
        scratch.unlink(missing_ok=True)
    command = compile_command(uv, target, scratch.relative_to(REPO_ROOT))
    command.append(f"--exclude-newer={snapshot}")
    if subprocess.run(command, cwd=REPO_ROOT).returncode != 0:
        raise SystemExit(f"lock: uv could not resolve for {target.name}; no lock written")
    error = metal_pair_error(pinned_versions(scratch.read_text()), target)
    if error is not None:
        scratch.unlink()
        raise SystemExit(f"lock: unsupported pair, no lock written: {error}")
    return scratch


def write_locks(uv: str, upgrade: bool = False) -> None:
    """Rewrite every lock, or none: each is resolved and checked before any is replaced."""
    LOCK_DIR.mkdir(exist_ok=True)
    snapshot = index_snapshot()
    resolved = {target: resolve(uv, target, snapshot, upgrade) for target in TARGETS}
    for target, scratch in resolved.items():
        scratch.replace(target.lock_path)
        print(f"lock: wrote {target.lock_path.relative_to(REPO_ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upgrade",
        action="store_true",
        help="resolve from scratch: the newest versions allowed, not the current pins",
    )
    args = parser.parse_args()
    from uv import find_uv_bin  # a dev dependency: `make setup` first

    write_locks(find_uv_bin(), upgrade=args.upgrade)


if __name__ == "__main__":
    main()
