"""Install the project into the environment of the interpreter running this (`make setup`).

On a locked platform: uv, pinned and hash-checked by pip; then `uv pip sync` of the lock in
requirements/ (hash-checked, and it removes whatever the lock does not list); then the project
itself, editable and without dependencies. uv because it installed the Linux lock several times
faster than pip (docs/platform.md). A platform with no lock gets pyproject.toml's unpinned
install, resolved by uv too: pip's resolver backtracks for many minutes on these dependencies.
Runs in a bare virtual environment, so it imports the standard library only.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass

from tools.lock import EXTRAS, REFERENCE, REPO_ROOT, Target, find_target, this_machine

# uv leaves installed modules uncompiled; pip compiles them. Without bytecode on disk, every
# stage process and study worker compiles TensorFlow and Keras from source again wherever Python
# may not write it (PYTHONDONTWRITEBYTECODE, a read-only environment); what that costs a process
# is measured in benchmarks/import_cost.md.
COMPILE = ["--compile-bytecode"]


@dataclass(frozen=True)
class Step:
    """One command of the install, and the text it reads on standard input, if any."""

    command: list[str]
    stdin: str | None = None


def pinned_block(lock_text: str, package: str) -> str:
    """The `package==version` line of a lock with its `--hash` continuation lines."""
    continued_lines = r"(?:[^\n]*\\\n)*[^\n]*"
    match = re.search(rf"^{re.escape(package)}=={continued_lines}", lock_text, re.MULTILINE)
    if match is None:
        raise ValueError(f"the lock pins no {package}")
    return match.group(0) + "\n"


def install_steps(python: str, target: Target | None) -> list[Step]:
    """The commands that install the project with `python`, from `target`'s lock if there is one."""
    uv = [python, "-m", "uv", "pip"]
    # uv itself, pinned and hash-checked: the platform's lock, else the reference lock (uv
    # publishes wheels for every platform we lock and more, so its pin fits an unlocked one).
    bootstrap = Step(
        [python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps"]
        + ["--requirement", "/dev/stdin"],
        stdin=pinned_block((target or REFERENCE).lock_path.read_text(), "uv"),
    )
    if target is None:
        # pip's resolver backtracks for many minutes through this project's dependencies
        # (docs/platform.md); uv resolves them in seconds.
        editable = f".[{','.join(EXTRAS)}]"
        install = ["install", "--quiet", "--python", python, *COMPILE, "-e", editable]
        return [bootstrap, Step(uv + install)]
    lock = target.lock_path.relative_to(REPO_ROOT)
    sync = ["sync", "--quiet", "--python", python, "--require-hashes", *COMPILE, str(lock)]
    return [
        bootstrap,
        Step(uv + sync),
        Step(uv + ["install", "--quiet", "--python", python, "--no-deps", "--editable", "."]),
    ]


def machine_notice(machine: Target) -> str | None:
    """One line for a machine that gets less than the others, or None."""
    if machine.is_apple_silicon and not machine.gets_metal:
        return (
            f"setup: Python {machine.python} on Apple silicon: tensorflow-metal has no wheels "
            "for it, so TensorFlow will use the CPU only (docs/platform.md)"
        )
    if find_target(machine) is None:
        return (
            f"setup: no lock for {machine.name} in requirements/; installing the newest allowed "
            "versions, resolved by uv (not pip, whose resolver takes many minutes here)"
        )
    return None


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    machine = this_machine()
    notice = machine_notice(machine)
    if notice is not None:
        print(notice, flush=True)
    for step in install_steps(sys.executable, find_target(machine)):
        print(shlex.join(step.command), flush=True)
        finished = subprocess.run(step.command, input=step.stdin, text=True, cwd=REPO_ROOT)
        if finished.returncode != 0:
            raise SystemExit(
                f"setup: the command above failed with exit code {finished.returncode}"
            )


if __name__ == "__main__":
    main()
