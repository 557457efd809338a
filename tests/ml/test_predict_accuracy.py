"""How well `predict` reads digits from picture files, with a model trained here on real MNIST.

Model B is trained for 3 epochs on the first 12,000 MNIST training images (about 15 s on two
CPU cores), so its own test accuracy is near 97%. The measured accuracies are printed (see
them with `pytest -s`) and asserted with margin below what was measured.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from mnist_cnn.idx import TRAIN_IMAGES, TRAIN_LABELS, parse_idx
from mnist_cnn.params import parse_params
from mnist_cnn.predict.cli import Prediction, classify, predict_files
from mnist_cnn.training.loop import Split, TrainingJob, train_model
from mnist_cnn.training.runtime import set_up_runtime
from tests.digit_pictures import mnist_test_digits, typeset_digits
from tests.helpers import load_repo_params

pytestmark = pytest.mark.slow

TRAIN_IMAGES_USED = 12_000
EPOCHS = 3
MNIST_PNGS = 1_000


def read_mnist(mirror: Path, name: str) -> np.ndarray:
    return parse_idx(gzip.decompress((mirror / f"{name}.gz").read_bytes()), name)


@pytest.fixture(scope="module")
def trained_model(shared_mnist: Path) -> keras.Model:
    """Model B trained by the pipeline's own loop on the first 12,000 real training digits."""
    params = parse_params(load_repo_params())
    set_up_runtime(params.seed, params.train)
    images = read_mnist(shared_mnist, TRAIN_IMAGES)[:TRAIN_IMAGES_USED, ..., np.newaxis]
    one_hot = np.eye(10, dtype=np.uint8)[read_mnist(shared_mnist, TRAIN_LABELS)[:TRAIN_IMAGES_USED]]
    fitting, checking = Split(images[1000:], one_hot[1000:]), Split(images[:1000], one_hot[:1000])
    job = TrainingJob.declared(params, "B").with_epochs(EPOCHS)
    return train_model(job, train=fitting, val=checking, steps_per_execution=16).model


def accuracy(predictions: list[Prediction], truth: dict[str, int]) -> float:
    assert len(predictions) == len(truth), "every picture must be predicted"
    return float(np.mean([truth[p.path] == p.digit for p in predictions]))


def test_typeset_digits_on_paper_are_read(trained_model, tmp_path):
    """270 pictures: 3 fonts x 3 sizes x 3 tilts x 10 digits, black/white PNG or grey JPEG."""
    truth = {}
    for index, picture in enumerate(typeset_digits()):
        suffix = ".jpg" if picture.image.mode == "RGB" else ".png"
        path = tmp_path / f"{index:03d}_{picture.digit}{suffix}"
        picture.image.save(path)
        truth[str(path)] = picture.digit
    predictions, errors = predict_files(trained_model, [Path(path) for path in truth])
    assert errors == []
    read = accuracy(predictions, truth)
    # The naive alternative, squashing the whole page to 28x28 and inverting it, for contrast.
    squashed = np.stack(
        [255 - np.asarray(Image.open(path).convert("L").resize((28, 28))) for path in truth]
    )
    naive = float(np.mean(classify(trained_model, squashed)[0] == list(truth.values())))
    print(
        f"\ntypeset digits: {read:.3f} read correctly ({len(truth)} pictures); "
        f"squashing the page instead: {naive:.3f}"
    )
    # MNIST is handwriting, so typeset digits are not a given, and 3 short epochs vary: measured
    # 0.822 with the pipeline's seed on a 2-core AVX2 machine (0.922 to 1.0 with seeds 1 to 4;
    # 0.993 on an AVX-512 one), against 0.100 squashed. The threshold leaves room for that.
    assert read >= 0.75
    assert read - naive >= 0.5


def test_mnist_test_digits_saved_as_png_score_like_the_test_set(
    trained_model, tmp_path, shared_mnist
):
    images, labels = mnist_test_digits(shared_mnist, MNIST_PNGS)
    truth = {}
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        path = tmp_path / f"{index:04d}_{label}.png"
        Image.fromarray(image).save(path)
        truth[str(path)] = int(label)
    predictions, errors = predict_files(trained_model, [Path(path) for path in truth])
    assert errors == []
    from_files = accuracy(predictions, truth)
    direct = float(np.mean(classify(trained_model, images)[0] == labels))
    print(
        f"\nMNIST test digits as PNG files: {from_files:.3f}; the same arrays fed directly: "
        f"{direct:.3f}"
    )
    # Measured 0.964 vs 0.965: the preprocessing is nearly the identity on real MNIST digits.
    assert direct >= 0.94
    assert abs(from_files - direct) <= 0.01
