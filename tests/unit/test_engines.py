"""train.engine: the Keras fit loop by default, the compiled-epoch loop only on JAX."""

from __future__ import annotations

import keras
import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.params import parse_params
from mnist_cnn.training.engines import trainer
from mnist_cnn.training.loop import train_model
from tests.helpers import load_repo_params


def test_the_repository_trains_with_keras_fit():
    assert parse_params(load_repo_params()).train.engine == "keras_fit"
    assert trainer("keras_fit") is train_model


def test_params_without_the_key_train_with_keras_fit():
    raw = load_repo_params()
    del raw["train"]["engine"]
    settings = parse_params(raw).train
    assert settings.engine == "keras_fit"


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the refusal is for other backends")
def test_compiled_epoch_refuses_another_backend_in_one_line():
    with pytest.raises(ParamsError) as refusal:
        trainer("compiled_epoch")
    message = str(refusal.value)
    assert "\n" not in message
    assert "train.engine = compiled_epoch needs the JAX backend" in message
    assert "KERAS_BACKEND=jax" in message
