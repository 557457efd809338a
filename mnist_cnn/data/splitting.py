"""The notebook's 90/10 train/validation split, stratified and seeded.

The 10,000 test images are passed through untouched and never seen by fitting or selection.
Each part keeps `source_index`, the row in the original IDX file, so overlap can be checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from mnist_cnn.errors import DataError
from mnist_cnn.idx import parse_idx
from mnist_cnn.params import SplitParams


def read_pair(raw_dir: Path, images_name: str, labels_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one IDX pair, refusing mismatched counts or labels outside 0-9."""
    parts = []
    for name in (images_name, labels_name):
        path = raw_dir / name
        if not path.is_file():
            raise DataError(f"{path}: file not found; run the download stage (dvc repro download)")
        parts.append(parse_idx(path.read_bytes(), str(path)))
    images, labels = parts
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{raw_dir}: {images_name} {images.shape} and {labels_name} "
            f"{labels.shape} do not pair up"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"{raw_dir / labels_name}: label {labels.max()} outside 0-9")
    return images, labels


# A stratified split puts each digit in both parts, so it needs every digit at least twice.
MIN_PER_CLASS = 2


def check_stratifiable(labels: np.ndarray, val_count: int, settings: SplitParams) -> None:
    """Refuse, naming the knob to turn, what scikit-learn's stratified split would refuse."""
    digits, counts = np.unique(labels, return_counts=True)
    classes = len(digits)
    if val_count < classes or len(labels) - val_count < classes:
        raise DataError(
            f"split.limit = {settings.limit} with val_fraction = {settings.val_fraction} leaves "
            f"fewer images than the {classes} digits in a part; raise split.limit"
        )
    if counts.min() < MIN_PER_CLASS:
        raise DataError(
            f"split.limit = {settings.limit} keeps {counts.min()} image of digit "
            f"{digits[np.argmin(counts)]}; a stratified split needs at least {MIN_PER_CLASS} "
            "of every digit: raise split.limit or set split.stratify: false"
        )


def split_indices(
    labels: np.ndarray, settings: SplitParams, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the training and validation parts of the (limited) training set."""
    count = len(labels) if settings.limit is None else min(settings.limit, len(labels))
    indices = np.arange(count)
    val_count = int(np.ceil(count * settings.val_fraction))
    if settings.stratify:
        check_stratifiable(labels[:count], val_count, settings)
    train_rows, val_rows = train_test_split(
        indices,
        test_size=settings.val_fraction,
        random_state=seed,
        shuffle=True,
        stratify=labels[:count] if settings.stratify else None,
    )
    return np.sort(train_rows), np.sort(val_rows)
