"""Optimizer specs: the training step declared as data in params.yaml, like the layers.

Each spec is a frozen dataclass whose `kind` is its name in params.yaml and whose fields carry
their allowed ranges; `mnist_cnn/models.py` turns it into a Keras optimizer. `slots_per_weight`
is the number of values the optimizer keeps beside each weight, which the memory check reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mnist_cnn.params.validation import bounded


@dataclass(frozen=True)
class Adam:
    """Keras' Adam; the defaults are Keras', which the notebook used."""

    kind: ClassVar[str] = "adam"
    learning_rate: float = field(default=0.001, metadata=bounded(0, 1, low_open=True))
    beta_1: float = field(default=0.9, metadata=bounded(0, 1, high_open=True))
    beta_2: float = field(default=0.999, metadata=bounded(0, 1, high_open=True))
    epsilon: float = field(default=1e-7, metadata=bounded(0, 1, low_open=True))

    @property
    def slots_per_weight(self) -> int:
        # The first and second moment estimates.
        return 2


@dataclass(frozen=True)
class SGD:
    """Plain or momentum stochastic gradient descent."""

    kind: ClassVar[str] = "sgd"
    learning_rate: float = field(default=0.01, metadata=bounded(0, 10, low_open=True))
    momentum: float = field(default=0.0, metadata=bounded(0, 1, high_open=True))
    nesterov: bool = False

    @property
    def slots_per_weight(self) -> int:
        # One velocity per weight, and only with momentum.
        return 1 if self.momentum > 0 else 0


OptimizerSpec = Adam | SGD
