"""Predict the digit in your own pictures with a trained model.

Usage: mnist-predict MODEL IMAGE... [--json]     (or: python -m mnist_cnn.predict ...)

MODEL is a model declared in params.yaml (reads data/models/<MODEL>.keras, so run from the
repository root after `dvc repro`) or the path of any .keras file that maps 28x28x1 pictures to
ten probabilities. Each IMAGE (PNG, JPEG or anything else Pillow reads; any colours and bit
depth, up to picture_file.MAX_PICTURE_PIXELS) is read by mnist_cnn.predict.picture_file and
made MNIST-like by mnist_cnn.predict.digit_image.
Prints `path: digit 7 (p=0.993)` per image, or a JSON list with --json. A file that cannot be
read gets one line on stderr and the others are still predicted; the exit status is then 1.
A reader that stops reading (`| head -1`) ends the command quietly with status 141.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_cnn.cli import guarded
from mnist_cnn.errors import DataError
from mnist_cnn.layout import Layout
from mnist_cnn.params import load_params
from mnist_cnn.predict.digit_image import FIELD_SIZE
from mnist_cnn.predict.picture_file import read_picture
from mnist_cnn.quiet import quiet_tensorflow

if TYPE_CHECKING:
    import keras

EXIT_SOME_FAILED = 1
# What a shell reports for a process stopped by a closed pipe (128 + SIGPIPE), as `cat` or
# `grep` would be in `... | head -1`; `set -o pipefail` scripts then see the usual status.
EXIT_BROKEN_PIPE = 141
# MNIST's ten digits: a usable model gives one probability for each.
DIGITS = 10
# How far a row of float32 softmax outputs may sum from 1.
SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Prediction:
    path: str
    digit: int
    probability: float


def model_path(model: str) -> Path:
    """An existing file or .keras path as given, else the trained file of that declared model."""
    if Path(model).is_file() or model.endswith(".keras") or "/" in model:
        path = Path(model)
        if not path.is_file():
            raise DataError(f"{path}: model file not found")
        # Keras reports any file that is not a zip archive as "File not found".
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path}: not a .keras (zip) file; give a model saved by Keras 3")
        return path
    layout = Layout(Path("."))
    load_params(layout.params_file).model(model)
    path = layout.model_file(model)
    if not path.is_file():
        raise DataError(f"{path}: not trained yet; run `dvc repro train@{model}` first")
    return path


def load_model(path: Path) -> keras.Model:
    # Keras (and TensorFlow) load only here, after the arguments are checked: `--help` is fast.
    from mnist_cnn.models import load_model_file

    model = load_model_file(path, compile=False)
    expected = (None, FIELD_SIZE, FIELD_SIZE, 1)
    if tuple(model.input_shape) != expected:
        raise DataError(f"{path}: model takes input {model.input_shape}, not MNIST's {expected}")
    if tuple(model.output_shape) != (None, DIGITS):
        raise DataError(
            f"{path}: model gives output {model.output_shape}, not one probability for each of "
            f"the {DIGITS} digits {(None, DIGITS)}"
        )
    check_probabilities(path, model(np.zeros((1, *expected[1:]), dtype=np.uint8)))
    return model


def check_probabilities(path: Path, scores: object) -> None:
    """Refuse a model whose outputs for a first picture (a blank one) are not a probability
    distribution: a linear or sigmoid head would print scores as if they were `p`."""
    row = np.asarray(scores, dtype=np.float64)[0]
    total = float(row.sum())
    if not (np.isfinite(row).all() and row.min() >= 0.0 and abs(total - 1.0) <= SUM_TOLERANCE):
        raise DataError(
            f"{path}: model outputs are not probabilities (they sum to {total:.3f}, lowest "
            f"{float(row.min()):.3f}); expected a last layer with softmax activation"
        )


def classify(model: keras.Model, pictures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Most likely digit and its probability for each (N, 28, 28) uint8 picture."""
    probabilities = model.predict(pictures[..., np.newaxis], verbose=0)
    return probabilities.argmax(axis=1), probabilities.max(axis=1)


def predict_files(model: keras.Model, paths: list[Path]) -> tuple[list[Prediction], list[str]]:
    """Predictions for every readable file, and one error line for each other file."""
    pictures, readable, errors = [], [], []
    for path in paths:
        try:
            pictures.append(read_picture(path))
            readable.append(path)
        except DataError as error:
            errors.append(str(error))
    if not pictures:
        return [], errors
    digits, probabilities = classify(model, np.stack(pictures))
    predictions = [
        Prediction(str(path), int(digit), float(probability))
        for path, digit, probability in zip(readable, digits, probabilities, strict=True)
    ]
    return predictions, errors


def format_lines(predictions: list[Prediction]) -> str:
    return "".join(f"{p.path}: digit {p.digit} (p={p.probability:.3f})\n" for p in predictions)


def format_json(predictions: list[Prediction]) -> str:
    return json.dumps([asdict(p) for p in predictions], indent=2, allow_nan=False) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mnist-predict", description="Predict the digit in each picture with a trained model."
    )
    parser.add_argument(
        "model", help="a model declared in params.yaml (A, B, ...) or a .keras file"
    )
    parser.add_argument("images", nargs="+", type=Path, help="PNG or JPEG pictures of one digit")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of lines")
    return parser.parse_args(argv)


def write_output(text: str) -> None:
    """Write `text` to stdout; a reader that has gone (`| head -1`) ends the command quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The unwritten rest would fail again in the flush at exit and print a warning:
        # stdout points nowhere from here on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    model = load_model(model_path(args.model))
    predictions, errors = predict_files(model, args.images)
    write_output(format_json(predictions) if args.json else format_lines(predictions))
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        raise SystemExit(EXIT_SOME_FAILED)


def cli() -> None:
    quiet_tensorflow()
    guarded(lambda: main(sys.argv[1:]))


if __name__ == "__main__":
    cli()
