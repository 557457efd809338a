"""A healthy run prints its progress lines and nothing from TensorFlow's start-up or graph code.

TensorFlow writes to the process's stderr file descriptor from C++: some lines before its own
log settings exist (so TF_CPP_MIN_LOG_LEVEL cannot stop them), some at error level although
nothing is wrong (no CUDA driver on a CPU machine; a tf.data attribute its graph binary does
not know, once per epoch), and Ray adds a warning of its own on a machine with no route out.
`quiet_tensorflow()` hides INFO logs and routes the descriptor
through a filter that drops exactly those known lines; every other line, TensorFlow's real
warnings and errors included, passes through unchanged and in order.
Set MNIST_CNN_TENSORFLOW_LOGS=all to see everything.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading

SHOW_ALL = "MNIST_CNN_TENSORFLOW_LOGS"
# Lines TensorFlow prints on every start or epoch that report no problem of this project.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IWE]\d{4} [\d:.]+ +\d+ (cudart_stub|cuda_platform|cuda_executor|cuda_diagnostics"
    r"|cpu_feature_guard|port)\.cc:\d+\] "
    r"|[IWE]\d{4} [\d:.]+ +\d+ node_def_util\.cc:\d+\] NodeDef mentions attribute "
    r"use_unbounded_threadpool"
    r"|To enable the following instructions: .* rebuild TensorFlow"
    # Ray on a machine without a route out (a lab machine, a test's private network).
    r"|\[[\d-]+ [\d:,]+ W \d+ \d+\] network_util\.cc:\d+: Failed to determine local IP)"
)
# How long exit waits for the filter to pass on the last lines.
FLUSH_SECONDS = 5.0


def is_noise(line: str) -> bool:
    return NOISE.match(line) is not None


def _pass_on(source: int, target: int) -> None:
    with os.fdopen(source, "rb") as lines:
        for line in lines:
            if not is_noise(line.decode("utf-8", errors="replace")):
                os.write(target, line)


_installed: list[threading.Thread] = []


def quiet_tensorflow() -> None:
    """Install the filter on file descriptor 2, once per process; call before TensorFlow is
    imported. Meant for a command's process (a stage, mnist-predict), not for a library user's."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if os.environ.get(SHOW_ALL) == "all" or _installed:
        return
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    worker = threading.Thread(target=_pass_on, args=(read_end, original), daemon=True)
    worker.start()
    _installed.append(worker)

    def restore() -> None:
        sys.stderr.flush()
        # Point descriptor 2 back at the real stderr: the pipe's last writer closes, the
        # filter reads to its end and stops.
        os.dup2(original, 2)
        worker.join(FLUSH_SECONDS)

    atexit.register(restore)
