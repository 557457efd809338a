"""The notebook's own training code path, as it ran, for timing against the pipeline.

Usage: python -m benchmarks.notebook_path --model {A,B,B_adj,B_adj2,all} [--epochs N]
                                          [--limit N] [--precision P] [--output FILE]

Faithful to the notebook: Sequential models of the same layers with Keras' unseeded defaults,
pixels divided by 255. into float64 arrays, labels through to_categorical, Adam with
defaults, and `fit(X, y, batch_size=32, epochs=..., validation_data=...)` with Keras' default
shuffling; no steps_per_execution, no seeds. The networks are the ones the notebook trained
(the models in reference/), read from params.yaml like the pipeline's, so the two paths cannot
drift apart. The only liberty is `import keras` instead of `tensorflow.keras`, so the same
script also runs on the JAX backend. The data is the pipeline's own prepared split, so both
paths see the same images.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from benchmarks.timing import EpochClock, load_prepared, write_report
from mnist_cnn.history import read_reference
from mnist_cnn.layout import Layout
from mnist_cnn.models import LAYER_BUILDERS
from mnist_cnn.params import ModelParams, Params, load_params

LAYOUT = Layout(Path("."))


def notebook_models(layout: Layout) -> list[str]:
    """The networks the notebook trained: those whose epochs it printed (reference/)."""
    return list(read_reference(layout.notebook_history))


def without_seeds(config: Any) -> Any:
    """A layer's config with every seed (initializers, dropout) and its name left to Keras."""
    if isinstance(config, list):
        return [without_seeds(item) for item in config]
    if not isinstance(config, dict):
        return config
    return {
        key: None if key == "seed" else without_seeds(value)
        for key, value in config.items()
        if key != "name"
    }


def notebook_network(params: Params, name: str) -> keras.Sequential:
    """The declared network as the notebook built it: the pipeline's own layers for it, with
    Keras' unseeded defaults and no scaling layer (the notebook scaled the arrays instead)."""
    layers = []
    for spec in params.model(name).layers:
        seeded = LAYER_BUILDERS[type(spec)](spec, 0)
        layers.append(type(seeded).from_config(without_seeds(seeded.get_config())))
    return keras.Sequential([keras.Input(shape=params.image_shape), *layers])


def notebook_callbacks(model: ModelParams) -> list[keras.callbacks.Callback]:
    """The declared early stopping, as the notebook wrote it: its metric was named `acc`, so
    Keras logged `val_acc` where the pipeline logs `val_accuracy`."""
    stopping = model.early_stopping
    if stopping is None:
        return []
    monitor = stopping.monitor.replace("accuracy", "acc")
    return [keras.callbacks.EarlyStopping(monitor=monitor, patience=stopping.patience)]


def notebook_arrays(limit: int | None) -> dict[str, np.ndarray]:
    """X/255. and to_categorical(y), exactly the notebook's preprocessing."""
    prepared = load_prepared(limit)
    return {
        "X_train": prepared["train_images"] / 255.0,
        "X_val": prepared["val_images"] / 255.0,
        "y_train": keras.utils.to_categorical(prepared["train_labels"]),
        "y_val": keras.utils.to_categorical(prepared["val_labels"]),
    }


def train_one(
    params: Params, name: str, epochs: int, data: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Compile and fit one network the notebook's way; per-epoch seconds and the history."""
    net = notebook_network(params, name)
    net.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    clock = EpochClock()
    result = net.fit(
        data["X_train"],
        data["y_train"],
        batch_size=32,
        epochs=epochs,
        validation_data=(data["X_val"], data["y_val"]),
        callbacks=[clock, *notebook_callbacks(params.model(name))],
        verbose=0,
    )
    return {
        "epoch_seconds": clock.seconds,
        "epochs_run": len(clock.seconds),
        "accuracy": float(result.history["acc"][-1]),
        "val_accuracy": float(result.history["val_acc"][-1]),
    }


def main() -> None:
    params = load_params(LAYOUT.params_file)
    models = notebook_models(LAYOUT)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=[*models, "all"], required=True)
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per model (default: params.yaml's)"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N training images")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="float32")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    keras.mixed_precision.set_global_policy(args.precision)
    started = time.perf_counter()
    data = notebook_arrays(args.limit)
    names = models if args.model == "all" else [args.model]
    runs = {
        name: train_one(params, name, args.epochs or params.model(name).epochs, data)
        for name in names
    }
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
