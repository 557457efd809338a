"""PNG training curves (stages.curves)."""

import io

import numpy as np
import pytest
from PIL import Image

from stages import curves
from stages.errors import DataError

HISTORY = (
    "epoch,accuracy,loss,val_accuracy,val_loss\n"
    "1,0.9,0.3,0.95,0.2\n"
    "2,0.95,0.15,0.97,0.1\n"
    "3,0.97,0.09,0.975,0.09\n"
)


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_parse_history_reads_every_column_in_epoch_order():
    history = curves.parse_history(HISTORY, "A.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history["val_accuracy"].tolist() == [0.95, 0.97, 0.975]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "A.csv: empty history file"),
        ("epoch,accuracy,loss,val_loss\n1,0.9,0.3,0.2\n", "A.csv: no column 'val_accuracy'"),
        ("epoch,accuracy,loss,val_accuracy,val_loss\n", "A.csv: no complete epoch rows"),
        ("epoch,accuracy,loss,val_accuracy,val_loss\n1,x,0.3,0.9,0.2\n", "not a numeric history"),
    ],
)
def test_broken_histories_are_refused_by_name(text, message):
    with pytest.raises(DataError, match=message):
        curves.parse_history(text, "A.csv")


def test_one_png_per_model_and_one_for_all_models():
    history = curves.parse_history(HISTORY, "h.csv")
    files = curves.curve_files({"A": history, "B_adj": history})
    assert sorted(files) == ["every_model.png", "model_A.png", "model_B_adj.png"]
    for data in files.values():
        image = picture(data)
        assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 400


def test_the_pictures_are_byte_identical_for_the_same_history():
    history = curves.parse_history(HISTORY, "h.csv")
    assert curves.model_curves("B", history) == curves.model_curves("B", history)


def test_the_picture_changes_with_the_curve():
    history = curves.parse_history(HISTORY, "h.csv")
    worse = {**history, "val_accuracy": np.array([0.5, 0.6, 0.7])}
    before = np.asarray(picture(curves.model_curves("B", history)).convert("L"))
    after = np.asarray(picture(curves.model_curves("B", worse)).convert("L"))
    assert before.shape == after.shape and (before != after).any()
