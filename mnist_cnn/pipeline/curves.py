"""Stage `curves`: PNG training curves and a diagram of every model, and ours beside the
notebook's numbers."""

from __future__ import annotations

from mnist_cnn import files, history
from mnist_cnn.evaluation.curves import curve_files
from mnist_cnn.evaluation.diagrams import diagram
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params


def run(layout: Layout, params: Params) -> None:
    histories = {name: history.read(layout.history(name)) for name in params.models}
    reference = history.read_reference(layout.notebook_history)
    with files.atomic_directory(layout.curves_dir) as staging:
        for filename, data in curve_files(histories).items():
            files.write_bytes(staging / filename, data)
    with files.atomic_directory(layout.diagrams_dir) as staging:
        for name, model in params.models.items():
            files.write_bytes(
                staging / f"{name}.png", diagram(name, model.layers, params.image_shape)
            )
    with files.atomic_directory(layout.fidelity_dir) as staging:
        for name in (name for name in histories if name in reference):
            text = history.beside_reference(histories[name], reference[name])
            files.write_text(staging / layout.fidelity(name).name, text)
