"""Stage `split`: the notebook's 90/10 train/validation split; the test set passes through."""

from __future__ import annotations

import numpy as np

from mnist_cnn import files
from mnist_cnn.data.splitting import read_pair, split_indices
from mnist_cnn.idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params


def run(layout: Layout, params: Params) -> None:
    train_images, train_labels = read_pair(layout.raw_dir, TRAIN_IMAGES, TRAIN_LABELS)
    test_images, test_labels = read_pair(layout.raw_dir, TEST_IMAGES, TEST_LABELS)
    train_rows, val_rows = split_indices(train_labels, params.split, params.seed)
    parts = {
        "train": (train_images[train_rows], train_labels[train_rows], train_rows),
        "val": (train_images[val_rows], train_labels[val_rows], val_rows),
        "test": (test_images, test_labels, np.arange(len(test_labels))),
    }
    with files.atomic_directory(layout.split_dir) as staging:
        for part, (images, labels, rows) in parts.items():
            files.write_npz(
                staging / f"{part}.npz", images=images, labels=labels, source_index=rows
            )
