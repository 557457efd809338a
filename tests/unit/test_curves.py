"""PNG training curves (mnist_cnn.evaluation.curves)."""

import io

import numpy as np
from PIL import Image

from mnist_cnn.evaluation import curves

HISTORY = [
    {"epoch": 1, "accuracy": 0.9, "loss": 0.3, "val_accuracy": 0.95, "val_loss": 0.2},
    {"epoch": 2, "accuracy": 0.95, "loss": 0.15, "val_accuracy": 0.97, "val_loss": 0.1},
    {"epoch": 3, "accuracy": 0.97, "loss": 0.09, "val_accuracy": 0.975, "val_loss": 0.09},
]


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_one_png_per_model_and_one_for_all_models():
    files = curves.curve_files({"A": HISTORY, "B_adj": HISTORY})
    assert sorted(files) == ["every_model.png", "model_A.png", "model_B_adj.png"]
    for data in files.values():
        image = picture(data)
        assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 400


def test_the_pictures_are_byte_identical_for_the_same_history():
    assert curves.model_curves("B", HISTORY) == curves.model_curves("B", HISTORY)


def test_the_picture_changes_with_the_curve():
    worse = [{**row, "val_accuracy": 0.5 + row["epoch"] / 10} for row in HISTORY]
    before = np.asarray(picture(curves.model_curves("B", HISTORY)).convert("L"))
    after = np.asarray(picture(curves.model_curves("B", worse)).convert("L"))
    assert before.shape == after.shape and (before != after).any()
