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
from mnist_cnn.training.memory import check_fits_in_memory

MARKER_TEXT = "params.yaml passed validation (mnist_cnn/params); no stage reads this file.\n"


def run(layout: Layout, params: Params) -> None:
    # run_stage has validated params.yaml before calling this. What depends on this machine is
    # checked here too: a model too large for its memory would otherwise be refused by its
    # training stage, after DVC had removed that model's last outputs.
    for name, model in params.models.items():
        check_fits_in_memory(
            name, model.layers, params.image_shape, params.train.batch_size, params.train.optimizer
        )
    files.write_text(layout.params_checked, MARKER_TEXT)
