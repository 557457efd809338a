"""Outputs are complete or absent: a writer SIGKILLed mid-write leaves the old file or none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_cnn import files
from tests.helpers import REPO_ROOT, command_environment

# A child that writes through the real artifacts helpers, slowed down (64 KiB per 20 ms) so
# the test can kill it while bytes are going to disk. It prints "writing" once it has started.
SLOW_WRITER = r"""
import sys, time
from pathlib import Path
import numpy as np
from mnist_cnn import files

real_write_array = np.lib.format.write_array

class SlowStream:
    def __init__(self, stream):
        self.stream = stream
    def write(self, data):
        data = memoryview(data).cast("B")
        for start in range(0, len(data), 1 << 16):
            self.stream.write(data[start:start + (1 << 16)])
            print("writing", flush=True)
            time.sleep(0.02)

def slow_write_array(stream, array, **options):
    real_write_array(SlowStream(stream), array, **options)

np.lib.format.write_array = slow_write_array
target = Path(sys.argv[2])
big = np.arange(8 << 20, dtype=np.uint8)
if sys.argv[1] == "npz":
    files.write_npz(target, images=big)
else:
    with files.atomic_directory(target) as staging:
        files.write_npz(staging / "part.npz", images=big)
"""


def kill_while_writing(kind: str, target: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, kind, str(target)],
        env=command_environment(REPO_ROOT),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for _ in range(5):
        assert child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    child.stdout.close()


def leftovers(folder: Path, target: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path != target)


def test_sigkill_mid_write_keeps_the_old_complete_file(tmp_path):
    target = tmp_path / "out" / "train.npz"
    old = np.arange(1000, dtype=np.uint8)
    files.write_npz(target, images=old)
    old_bytes = target.read_bytes()

    kill_while_writing("npz", target)

    assert target.read_bytes() == old_bytes
    with np.load(target) as archive:
        np.testing.assert_array_equal(archive["images"], old)
    stray = leftovers(target.parent, target)
    assert len(stray) == 1 and stray[0].startswith(".train.npz.")
    assert stray[0].endswith(".tmp.npz")


def test_sigkill_mid_write_of_a_new_file_leaves_no_file(tmp_path):
    target = tmp_path / "out" / "train.npz"
    kill_while_writing("npz", target)
    assert not target.exists()
    assert all(name.startswith(".") for name in leftovers(target.parent, target))


def test_next_write_removes_temporaries_of_killed_writers_only(tmp_path):
    target = tmp_path / "out" / "train.npz"
    kill_while_writing("npz", target)
    live_writer = target.parent / f".train.npz.{os.getppid()}.abc123.tmp.npz"
    live_writer.write_bytes(b"another process is still writing this")

    files.write_npz(target, images=np.zeros(3, dtype=np.uint8))

    assert leftovers(target.parent, target) == [live_writer.name]


def test_sigkill_mid_write_of_a_folder_output_keeps_the_old_folder(tmp_path):
    target = tmp_path / "data" / "split"
    with files.atomic_directory(target) as staging:
        (staging / "old.txt").write_text("complete\n")

    kill_while_writing("directory", target)

    assert [path.name for path in target.iterdir()] == ["old.txt"]
    stray = leftovers(target.parent, target)
    assert len(stray) == 1 and stray[0].startswith(".split.") and stray[0].endswith(".tmp")
    with files.atomic_directory(target) as staging:
        (staging / "new.txt").write_text("complete\n")
    assert leftovers(target.parent, target) == []
    assert [path.name for path in target.iterdir()] == ["new.txt"]


def test_an_error_inside_the_block_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    files.write_json(target, {"accuracy": 0.5})
    with pytest.raises(RuntimeError), files.atomic_path(target) as temporary:
        temporary.write_text('{"accuracy": ')
        raise RuntimeError("stage failed half-way")
    assert target.read_text() == '{\n  "accuracy": 0.5\n}\n'
    assert leftovers(tmp_path, target) == []


def test_an_error_inside_a_folder_block_keeps_the_old_folder(tmp_path):
    target = tmp_path / "raw"
    with files.atomic_directory(target) as staging:
        (staging / "a").write_text("old\n")
    with pytest.raises(OSError), files.atomic_directory(target) as staging:
        (staging / "a").write_text("new\n")
        raise OSError(28, "No space left on device")
    assert (target / "a").read_text() == "old\n"
    assert leftovers(tmp_path, target) == []


def test_temporaries_are_ignored_by_git_so_they_are_never_committed(tmp_path):
    target = tmp_path / "metrics" / "B.json"
    kill_while_writing("npz", target)
    directory = tmp_path / "data" / "split"
    kill_while_writing("directory", directory)
    stray = [f"metrics/{name}" for name in leftovers(target.parent, target)]
    stray += [f"data/{name}" for name in leftovers(directory.parent, directory)]
    assert len(stray) == 2
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=REPO_ROOT,
        input="\n".join(stray) + "\n",
        text=True,
        capture_output=True,
    )
    assert checked.stdout.splitlines() == stray


def test_a_half_swapped_folder_is_ignored_by_git_and_removed_by_the_next_write(
    tmp_path,
):
    target = tmp_path / "data" / "prepared"
    with files.atomic_directory(target) as staging:
        (staging / "train.npz").write_text("complete\n")
    # What a kill between the two renames leaves: the old folder, renamed, of a dead writer.
    dead_writer = 2**22 + 17  # above Linux's default pid_max, so no process has it
    leftover = target.parent / f".prepared.{dead_writer}.k3j2.old"
    target.rename(leftover)
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", f"data/{leftover.name}/train.npz"],
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
    )
    assert checked.returncode == 0

    with files.atomic_directory(target) as staging:
        (staging / "train.npz").write_text("new\n")

    assert not leftover.exists()
    assert (target / "train.npz").read_text() == "new\n"
