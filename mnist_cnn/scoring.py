"""A trained model on labelled images: its predicted digits and its loss, computed one way.

The evaluate stage and the study's trainings both score test images through `score`, so a
study's test accuracy and the pipeline's are the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class Scores:
    """`predicted`: each image's most probable digit (uint8); `loss` as Keras reports it."""

    predicted: np.ndarray
    loss: float

    def correct(self, one_hot: np.ndarray) -> int:
        """How many predictions match the one-hot labels."""
        return int(np.sum(self.predicted == one_hot.argmax(axis=1)))


def score(model: keras.Model, images: np.ndarray, one_hot: np.ndarray, batch_size: int) -> Scores:
    """Predicted digits and loss (the loss includes any L2 penalty, like the training loss)."""
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    predicted = np.argmax(probabilities, axis=1).astype(np.uint8)
    loss = model.evaluate(images, one_hot, batch_size=batch_size, verbose=0, return_dict=True)
    return Scores(predicted=predicted, loss=float(loss["loss"]))
