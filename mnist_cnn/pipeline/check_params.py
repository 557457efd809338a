"""Stage `check_params`: the whole params.yaml validated before any other stage runs.

DVC deletes a stage's outputs just before it runs the stage, so a typo that the stage itself
refuses would already have cost its last good outputs. Every stage depends on this one's
marker file, so DVC runs this check first and stops at its one-line error with every output
in place. The marker's text never changes, so a params change re-runs only the stages that
read the changed keys.
"""

from __future__ import annotations

from mnist_cnn import files
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params

MARKER_TEXT = "params.yaml passed validation (mnist_cnn/params); no stage reads this file.\n"


def run(layout: Layout, params: Params) -> None:
    # run_stage has validated params.yaml before calling this; only the marker is left to write.
    files.write_text(layout.params_checked, MARKER_TEXT)
