"""Where the study's Ray runs, and making sure none of it outlives the study.

`connect(local_cpus)` reads RAY_ADDRESS:

- unset or empty: a Ray of the study's own on this machine (`address="local"`), never a
  cluster that another run left recorded in Ray's temp folder (a bare `ray.init()` would join
  the cluster `ray start` last recorded there);
- `host:port` or `ray://host:port`: that cluster, the user's explicit choice;
- `auto`: whatever Ray finds on this machine (the cluster recorded by the last `ray start`,
  else any running one), also the user's explicit choice;
- anything else: one line naming the variable and the forms allowed.

Joining is bounded: a cluster not joined within JOIN_TIMEOUT_SECONDS ends the process with one
`error:` line and exit status 2. Ray retries an unreachable address for minutes from inside
its C++ core, where no Python exception can interrupt it, so a watchdog thread ends the
process instead. Ray's warnings while joining go to a file that the error line names.

A local Ray dies with the study. Ray's daemons started by `ray.init` already get SIGKILL from
the kernel when the driver dies (PR_SET_PDEATHSIG), but the raylet's own children (the
dashboard and runtime-env agents) only notice minutes later. A guardian process, started
beside the local Ray, records the driver's descendants every POLL_SECONDS and kills the ones
still running when the driver's end of a pipe closes: at `disconnect`, or when the driver
dies, even by SIGKILL. The driver itself gets SIGTERM when its parent (DVC) dies, so a study
whose `dvc repro` was killed stops too (`python -m mnist_cnn.study.ray_cluster` runs the
guardian).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from mnist_cnn.errors import EXIT_USER_ERROR, PipelineError

ADDRESS_VARIABLE = "RAY_ADDRESS"
ADDRESS_FORMS = "host:port, ray://host:port, or auto"
# A name, an IPv4 address or a bracketed IPv6 address, then a port.
ADDRESS_PATTERN = re.compile(
    r"(?:ray://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})"
)
# A head that is up answers in seconds; Ray's own retries on a dead one last minutes.
JOIN_TIMEOUT_SECONDS = 60.0
# How often the guardian records the driver's processes, and how long it tries to end them.
POLL_SECONDS = 0.5
GUARD_KILL_SECONDS = 10.0
# Seconds `disconnect` waits for the guardian to end what is left.
GUARD_WAIT_SECONDS = 2 * GUARD_KILL_SECONDS
# Shells that may stand between DVC and the stage (`$SHELL -c COMMAND`).
SHELLS = frozenset({"sh", "dash", "bash", "zsh", "ksh", "fish"})
# From <linux/prctl.h>: the signal this process gets when its parent dies.
PR_SET_PDEATHSIG = 1

_guardian: subprocess.Popen[bytes] | None = None
# Set once per process: a second study in the same driver needs no second watch.
_stopping_with_parent = False


class RayAddressError(PipelineError):
    """RAY_ADDRESS is malformed, or its cluster cannot be joined."""


def requested_address() -> str | None:
    """RAY_ADDRESS as the user set it, checked; None when unset or empty."""
    address = os.environ.get(ADDRESS_VARIABLE, "").strip()
    if not address:
        return None
    if address == "auto":
        return address
    match = ADDRESS_PATTERN.fullmatch(address)
    if match is None or not 1 <= int(match.group(1)) <= 65535:
        raise RayAddressError(
            f"{ADDRESS_VARIABLE} = {address!r} is not a Ray address; expected {ADDRESS_FORMS} "
            "(or leave it unset to start a Ray of the study's own)"
        )
    return address


def connect(local_cpus: int) -> None:
    """Join RAY_ADDRESS's cluster, or start a local Ray with `local_cpus` CPUs."""
    address = requested_address()
    import ray

    _stop_with_parent()
    # The driver prints the study's progress; the workers' own output (TensorFlow's start-up
    # lines, Keras' warnings) stays in Ray's session logs, and a failing task's error still
    # reaches the driver with the task's exception.
    if address is None:
        ray.init(
            address="local",
            num_cpus=local_cpus,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
        _start_guardian()
        return
    _join(address)


def _join(address: str) -> None:
    """ray.init(address) within JOIN_TIMEOUT_SECONDS, its own messages kept aside meanwhile.

    Ray's C++ core logs every failed attempt as a warning on stderr (RAY_BACKEND_LOG_LEVEL does
    not silence the driver's), so stderr goes to a file while joining: replayed once joined,
    named in the one error line otherwise.
    """
    import ray

    handle, log_name = tempfile.mkstemp(prefix="ray-join-", suffix=".log")
    sys.stderr.flush()
    terminal = os.dup(2)
    os.dup2(handle, 2)
    os.close(handle)
    joined = threading.Event()
    watchdog = threading.Thread(
        target=_end_unless_joined, args=(joined, address, terminal, log_name), daemon=True
    )
    watchdog.start()
    try:
        # Its CPUs are whatever the cluster's nodes declared.
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError...
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise RayAddressError(
            f"{ADDRESS_VARIABLE} = {address!r}: cannot join the Ray cluster: {first_line} "
            f"(Ray's messages: {log_name})"
        ) from error
    else:
        sys.stderr.flush()
        os.write(terminal, Path(log_name).read_bytes())
        Path(log_name).unlink()
    finally:
        joined.set()
        sys.stderr.flush()
        os.dup2(terminal, 2)
        os.close(terminal)


def disconnect() -> None:
    """Shut Ray down; for a local Ray, wait until the guardian has ended what was left."""
    import ray

    ray.shutdown()
    _stop_guardian()


def _stop_guardian() -> None:
    global _guardian
    guardian, _guardian = _guardian, None
    if guardian is not None and guardian.stdin is not None:
        guardian.stdin.close()
        try:
            guardian.wait(timeout=GUARD_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            guardian.kill()
            guardian.wait()


def _end_unless_joined(joined: threading.Event, address: str, terminal: int, log: str) -> None:
    if joined.wait(JOIN_TIMEOUT_SECONDS):
        return
    line = (
        f"error: {ADDRESS_VARIABLE} = {address!r}: no Ray cluster answered within "
        f"{JOIN_TIMEOUT_SECONDS:.0f} s (Ray's messages: {log}); start it, or unset "
        f"{ADDRESS_VARIABLE} to run on this machine\n"
    )
    os.write(terminal, line.encode())
    # The main thread is inside Ray's C++ retries, which nothing else interrupts.
    os._exit(EXIT_USER_ERROR)


def _stop_with_parent() -> None:
    """SIGTERM when the process that started this one dies (Linux only; elsewhere nothing).

    DVC runs a stage as `$SHELL -c COMMAND`; bash and zsh replace themselves with the command,
    dash does not, so when the parent is a shell its parent (DVC) is watched too. Ray's
    SIGTERM handler raises SystemExit, so the study's `finally` shuts Ray down.
    """
    global _stopping_with_parent
    if _stopping_with_parent or not sys.platform.startswith("linux"):
        return
    _stopping_with_parent = True
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
    table = _processes()
    if parent not in table or _command_name(parent) not in SHELLS:
        return
    grandparent = table[parent][0]
    if grandparent in table and grandparent > 1:
        started = table[grandparent][1]
        threading.Thread(target=_stop_when_gone, args=(grandparent, started), daemon=True).start()


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _stop_when_gone(pid: int, started: str) -> None:
    while True:
        entry = _stat(pid)
        if entry is None or entry[1] != started or entry[2] == "Z":
            os.kill(os.getpid(), signal.SIGTERM)
            return
        time.sleep(POLL_SECONDS)


def _start_guardian() -> None:
    global _guardian
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, path]))}
    _guardian = subprocess.Popen(
        [sys.executable, "-m", "mnist_cnn.study.ray_cluster", str(os.getpid())],
        stdin=subprocess.PIPE,
        env=environment,
        # A session of its own: a Ctrl-C sent to the study's process group does not reach it.
        start_new_session=True,
    )


def _stat(pid: int) -> tuple[int, str, str] | None:
    """A process's parent, start time and state from /proc; None when it has ended."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After the command name in parentheses: state, parent, ..., start time (field 22).
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[19], fields[0]


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process of this machine: its parent, start time and state."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            table[int(entry)] = stat
    return table


def _descendants(ancestor: int, table: dict[int, tuple[int, str, str]]) -> dict[int, str]:
    """Process id and start time of every descendant of `ancestor` in `table`."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found: dict[int, str] = {}
    frontier = [ancestor]
    while frontier:
        for pid in children.get(frontier.pop(), []):
            found[pid] = table[pid][1]
            frontier.append(pid)
    return found


def guard(driver_pid: int, driver_pipe: IO[bytes]) -> None:
    """Record the driver's descendants until `driver_pipe` ends; then end those still running."""
    seen: dict[int, str] = {}
    while True:
        seen.update(_descendants(driver_pid, _processes()))
        seen.pop(os.getpid(), None)
        ready, _, _ = select.select([driver_pipe], [], [], POLL_SECONDS)
        if ready and not os.read(driver_pipe.fileno(), 4096):
            break
    deadline = time.monotonic() + GUARD_KILL_SECONDS
    while time.monotonic() < deadline:
        table = _processes()
        # The same process id and start time: never a process that reused a recorded id.
        left = [
            pid
            for pid, started in seen.items()
            if pid in table and table[pid][1] == started and table[pid][2] != "Z"
        ]
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(POLL_SECONDS)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guard(int(sys.argv[1]), sys.stdin.buffer)


if __name__ == "__main__":
    main()
