"""The notebook's own training code path, as it ran, for timing against the pipeline.

Usage: python -m benchmarks.notebook_path --model {A,B,B_adj,B_adj2,all} [--epochs N]
                                          [--limit N] [--precision P] [--output FILE]

Faithful to the notebook: Sequential models built layer by layer with the same layers,
pixels divided by 255. into float64 arrays, labels through to_categorical, Adam with
defaults, and `fit(X, y, batch_size=32, epochs=..., validation_data=...)` with Keras'
default shuffling; no steps_per_execution, no seeds. The only liberty is `import keras`
instead of `tensorflow.keras`, so the same script also runs on the JAX backend. The data is
the pipeline's own prepared split, so both paths see the same images.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

from benchmarks.timing import EpochClock, load_prepared, write_report

# The notebook's epochs per model; B_adj2 stopped early (patience 4 on validation accuracy).
NOTEBOOK_EPOCHS = {"A": 10, "B": 10, "B_adj": 10, "B_adj2": 20}


def a_net() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(32, (3, 3), activation="relu"),
            MaxPooling2D((2, 2), strides=2),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2), strides=2),
            Conv2D(128, (3, 3), activation="relu"),
            MaxPooling2D((2, 2), strides=2),
            Flatten(),
            Dense(64, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )


def b_net(dropout: bool, l2: float | None) -> keras.Sequential:
    """B_net; with dropout it is B_net_adj, with dropout and L2 on Dense(64) B_net_adj2."""

    def maybe_dropout(rate: float) -> list[keras.layers.Layer]:
        return [Dropout(rate)] if dropout else []

    regularizer = keras.regularizers.l2(l2) if l2 is not None else None
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            Conv2D(16, (3, 3), activation="relu", padding="same"),
            Conv2D(16, (3, 3), activation="relu", padding="same"),
            MaxPooling2D((2, 2), strides=2),
            *maybe_dropout(0.2),
            Conv2D(32, (3, 3), activation="relu"),
            *maybe_dropout(0.2),
            Conv2D(32, (3, 3), activation="relu"),
            MaxPooling2D((2, 2), strides=2),
            *maybe_dropout(0.3),
            Flatten(),
            Dense(64, activation="relu", kernel_regularizer=regularizer),
            *maybe_dropout(0.4),
            Dense(10, activation="softmax"),
        ]
    )


NETWORKS = {
    "A": a_net,
    "B": lambda: b_net(False, None),
    "B_adj": lambda: b_net(True, None),
    "B_adj2": lambda: b_net(True, 0.001),
}


def notebook_arrays(limit: int | None) -> dict[str, np.ndarray]:
    """X/255. and to_categorical(y), exactly the notebook's preprocessing."""
    prepared = load_prepared(limit)
    return {
        "X_train": prepared["train_images"] / 255.0,
        "X_val": prepared["val_images"] / 255.0,
        "y_train": keras.utils.to_categorical(prepared["train_labels"]),
        "y_val": keras.utils.to_categorical(prepared["val_labels"]),
    }


def train_one(name: str, epochs: int, data: dict[str, np.ndarray]) -> dict[str, Any]:
    """Compile and fit one network the notebook's way; per-epoch seconds and the history."""
    net = NETWORKS[name]()
    net.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    clock = EpochClock()
    callbacks: list[keras.callbacks.Callback] = [clock]
    if name == "B_adj2":
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_acc", patience=4))
    result = net.fit(
        data["X_train"],
        data["y_train"],
        batch_size=32,
        epochs=epochs,
        validation_data=(data["X_val"], data["y_val"]),
        callbacks=callbacks,
        verbose=0,
    )
    return {
        "epoch_seconds": clock.seconds,
        "epochs_run": len(clock.seconds),
        "accuracy": float(result.history["acc"][-1]),
        "val_accuracy": float(result.history["val_acc"][-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=[*NETWORKS, "all"], required=True)
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per model (default: the notebook's)"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N training images")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="float32")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    keras.mixed_precision.set_global_policy(args.precision)
    started = time.perf_counter()
    data = notebook_arrays(args.limit)
    names = list(NETWORKS) if args.model == "all" else [args.model]
    runs = {name: train_one(name, args.epochs or NOTEBOOK_EPOCHS[name], data) for name in names}
    write_report(
        args.output,
        {
            "path": "notebook",
            "precision": args.precision,
            "train_images": len(data["X_train"]),
            "models": runs,
            "total_seconds": time.perf_counter() - started,
        },
    )


if __name__ == "__main__":
    main()
