"""Architectures too large for memory are refused before Keras allocates anything."""

from __future__ import annotations

import keras
import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.models import build_model
from mnist_cnn.params import load_params, parse_params
from mnist_cnn.params.layers import architecture_size
from mnist_cnn.params.optimizers import SGD, Adam
from mnist_cnn.training.memory import FLOAT_BYTES, check_fits_in_memory, training_bytes
from tests.helpers import REPO_ROOT, declared_models, load_repo_params

WIDE = {
    "conv1": {
        "kind": "conv2d",
        "filters": 4096,
        "kernel_size": 3,
        "padding": "same",
        "activation": "relu",
    },
    "conv2": {
        "kind": "conv2d",
        "filters": 4096,
        "kernel_size": 3,
        "padding": "same",
        "activation": "relu",
    },
    "flatten": {"kind": "flatten"},
    "hidden": {"kind": "dense", "units": 65536, "activation": "relu"},
    "output": {"kind": "dense", "units": 10, "activation": "softmax"},
}


@pytest.mark.parametrize("name", declared_models())
def test_the_weight_count_is_keras_own(name):
    params = load_params(REPO_ROOT / "params.yaml")
    model = build_model(name, params.model(name).layers, params.image_shape, params.seed)
    weights, _ = architecture_size(params.model(name).layers, params.image_shape)
    assert weights == model.count_params()


def test_a_declared_model_fits_a_small_machine():
    params = load_params(REPO_ROOT / "params.yaml")
    for name, model in params.models.items():
        check_fits_in_memory(
            name, model.layers, params.image_shape, 32, params.train.optimizer, available=2**30
        )


def test_a_layer_far_too_wide_is_refused_with_one_line_before_keras_makes_anything(monkeypatch):
    raw = load_repo_params()
    raw["models"]["B"]["layers"] = WIDE
    params = parse_params(raw)
    made: list[str] = []
    # What building the model would call first; each records its name instead of making it.
    makers = {keras: ("Sequential", "Model", "Input"), keras.layers: ("Conv2D", "Dense")}
    for module, names in makers.items():
        for name in names:
            monkeypatch.setattr(module, name, lambda *_, name=name, **__: made.append(name))
    with pytest.raises(ParamsError) as refused:
        check_fits_in_memory(
            "B", params.model("B").layers, params.image_shape, 32, params.train.optimizer
        )
    assert made == []
    message = str(refused.value)
    assert message.startswith("models.B needs at least ")
    assert "GiB to train (" in message and "make its layers narrower" in message
    assert "\n" not in message


def test_the_estimate_counts_what_the_declared_optimizer_keeps_per_weight():
    params = load_params(REPO_ROOT / "params.yaml")
    layers = params.model("B").layers
    weights, _ = architecture_size(layers, params.image_shape)

    def needed(optimizer):
        return training_bytes(layers, params.image_shape, 32, optimizer)

    # Adam keeps two moments per weight, SGD with momentum one velocity, plain SGD nothing.
    assert needed(Adam()) - needed(SGD()) == 2 * weights * FLOAT_BYTES
    assert needed(SGD(momentum=0.9)) - needed(SGD()) == weights * FLOAT_BYTES
