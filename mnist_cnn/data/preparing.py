"""Model-ready arrays: images shaped as the models take them, labels one-hot.

Pixels stay uint8 on disk (4x smaller than float32); every model starts with the same
Rescaling(1/255) layer (see mnist_cnn.models), so scaling is identical in training, evaluation
and prediction, as the notebook's X/255.
"""

from __future__ import annotations

import numpy as np

from mnist_cnn.errors import DataError


def prepare(
    images: np.ndarray, labels: np.ndarray, image_shape: tuple[int, ...], num_classes: int
) -> dict[str, np.ndarray]:
    """(N, H, W) uint8 images and int labels to model-shaped images and one-hot labels."""
    if images.dtype != np.uint8:
        raise DataError(f"images must be uint8 pixels, got {images.dtype}")
    height, width = images.shape[1:]
    if tuple(image_shape) != (height, width, 1):
        raise DataError(
            f"image_shape = {list(image_shape)} does not fit the data's {height}x{width} "
            f"grayscale images; set image_shape: [{height}, {width}, 1]"
        )
    if labels.size and labels.max() >= num_classes:
        raise DataError(f"label {labels.max()} is not below num_classes = {num_classes}")
    shaped = images.reshape((len(images), *image_shape))
    one_hot = np.eye(num_classes, dtype=np.uint8)[labels]
    return {"images": shaped, "labels": labels.astype(np.uint8), "one_hot": one_hot}
