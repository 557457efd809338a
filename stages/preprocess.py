"""Stage `preprocess`: shape images as the models take them and one-hot the labels.

Pixels stay uint8 on disk (4x smaller than float32); every model starts with the same
Rescaling(1/255) layer (see stages.models), so scaling is identical in training, evaluation
and prediction, as the notebook's X/255.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stages import artifacts
from stages.errors import DataError, run_cli
from stages.params import load_params

SPLIT_DIR = Path("data/split")
PREPARED_DIR = Path("data/prepared")
PARTS = ("train", "val", "test")


def prepare(
    images: np.ndarray, labels: np.ndarray, image_shape: tuple[int, ...], num_classes: int
) -> dict[str, np.ndarray]:
    """(N, H, W) uint8 images and int labels to model-shaped images and one-hot labels."""
    if images.dtype != np.uint8:
        raise DataError(f"images must be uint8 pixels, got {images.dtype}")
    if labels.size and labels.max() >= num_classes:
        raise DataError(f"label {labels.max()} is not below num_classes = {num_classes}")
    shaped = images.reshape((len(images), *image_shape))
    one_hot = np.eye(num_classes, dtype=np.uint8)[labels]
    return {"images": shaped, "labels": labels.astype(np.uint8), "one_hot": one_hot}


def main() -> None:
    params = load_params()
    with artifacts.atomic_directory(PREPARED_DIR) as staging:
        for part in PARTS:
            source = artifacts.read_npz(
                SPLIT_DIR / f"{part}.npz", ("images", "labels", "source_index")
            )
            prepared = prepare(
                source["images"], source["labels"], params.image_shape, params.num_classes
            )
            artifacts.write_npz(
                staging / f"{part}.npz", **prepared, source_index=source["source_index"]
            )


if __name__ == "__main__":
    run_cli(main)
