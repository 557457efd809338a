"""A private machine-within-the-machine for every test that starts Ray: loopback only.

Ray replaces 127.0.0.1 by this machine's interface address on purpose (so that other nodes
can reach it), so a Ray started by a test would listen on the real network. Tests therefore
run their Ray part under NAMESPACE_COMMAND:

- `--net`: a network namespace whose only interface is `lo`, so Ray can bind nothing else;
- `--uts`: a host name of its own, set to "localhost", because Ray falls back to resolving
  the host name when it finds no route out, and on some machines (containers) that name
  resolves to an address that does not exist in the namespace;
- `--pid --fork --mount-proc`: the scenario is process 1 of its own process-id namespace.
  When process 1 ends, the kernel kills every process left in the namespace, so nothing Ray
  started can outlive the test, and `ray stop` inside sees (and stops) only these processes;
- `--kill-child`: if the test kills `unshare` (a timeout), process 1 dies with it.

Inside, the scenario calls `run_as_namespace_init(main)` first.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import socket
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMESPACE_COMMAND = (
    "unshare",
    "--net",
    "--uts",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child",
    "--",
)
# ioctl numbers and flag from <linux/sockios.h> and <net/if.h>.
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
# struct ifreq: a 16-byte interface name, then (here) the 2-byte flags, padded to 40 bytes.
IFREQ_FLAGS = "16sH22x"


def unavailable_reason() -> str | None:
    """Why Ray tests cannot run here, or None when they can."""
    if importlib.util.find_spec("ray") is None:
        return "ray is not installed"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run([*NAMESPACE_COMMAND, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"private namespaces are not permitted here: {probe.stderr.strip()}"
    return None


def run_scenario(
    scenario: str, out_dir: Path, environment: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m tests.study.ray_scenario SCENARIO OUT_DIR` inside the private namespaces.

    RAY_ADDRESS is dropped: a scenario starts its own Ray and never joins one from outside.
    """
    command = [*NAMESPACE_COMMAND, sys.executable, "-m", "tests.study.ray_scenario"]
    inherited = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    return subprocess.run(
        [*command, scenario, str(out_dir)],
        cwd=REPO_ROOT,
        env={**inherited, "PYTHONPATH": str(REPO_ROOT), **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _bring_loopback_up() -> None:
    """`ip link set lo up`, without needing iproute2 (minimal Debian images lack it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack(IFREQ_FLAGS, b"lo", 0)
        _, flags = struct.unpack(IFREQ_FLAGS, fcntl.ioctl(probe, SIOCGIFFLAGS, request))
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack(IFREQ_FLAGS, b"lo", flags | IFF_UP))


def _enter_loopback_only_network() -> None:
    """Refuse to touch the network or host name unless this is the private namespace."""
    interfaces = [name for _, name in socket.if_nameindex()]
    if os.getpid() != 1 or interfaces != ["lo"]:
        raise SystemExit(
            f"not inside the private namespaces (pid {os.getpid()}, interfaces {interfaces}); "
            f"run under: {' '.join(NAMESPACE_COMMAND)}"
        )
    _bring_loopback_up()
    socket.sethostname("localhost")


def _run_child(main: Callable[[], int]) -> int:
    """main's exit code; a forked child must leave through os._exit, so whatever ended it is
    printed here first and becomes exit code 1."""
    try:
        return main()
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def run_as_namespace_init(main: Callable[[], int]) -> None:
    """Set up the namespace, run `main` in a child and reap every process until it ends.

    Process 1 adopts Ray's daemons once `ray start` returns; without reaping they would stay
    zombies and `ray stop` would wait its whole grace period on them. Exits with main's code.
    """
    _enter_loopback_only_network()
    child = os.fork()
    if child == 0:
        os._exit(_run_child(main))
    while True:
        pid, status = os.wait()
        if pid == child:
            sys.exit(os.waitstatus_to_exitcode(status))
