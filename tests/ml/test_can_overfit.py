"""Every declared model can drive its loss near zero on a few dozen images.

The cheapest check that an architecture is wired to learn at all: a network that cannot
memorise 32 images has a bug (a broken layer order, a dead activation, labels out of step),
whatever its accuracy on MNIST would have been.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mnist_cnn.models import build_model
from mnist_cnn.params import parse_params
from mnist_cnn.params.optimizers import SGD, Adam
from mnist_cnn.training.loop import compile_model
from mnist_cnn.training.runtime import set_up_runtime
from tests.helpers import declared_models, load_repo_params
from tests.mnist_fixtures import synthetic_digits

IMAGES = 32
# Measured: 50 full-batch steps bring every declared model's loss below 0.01 at this rate.
STEPS = 60
# Ten times Adam's default: memorising is the point here, not generalising.
FAST_ADAM = Adam(learning_rate=0.01)


@pytest.mark.parametrize("name", declared_models())
def test_the_model_memorises_a_few_dozen_images(name):
    params = parse_params(load_repo_params())
    set_up_runtime(params.seed, params.train)
    images, labels = synthetic_digits(IMAGES, seed=7)
    one_hot = np.eye(params.num_classes, dtype=np.float32)[labels]
    model = build_model(name, params.model(name).layers, params.image_shape, params.seed)
    compile_model(model, FAST_ADAM, steps_per_execution=1)
    model.fit(images[..., np.newaxis], one_hot, batch_size=IMAGES, epochs=STEPS, verbose=0)
    # The data loss alone, without dropout (inference) and without any L2 penalty.
    predicted = model.predict(images[..., np.newaxis], verbose=0)
    loss = float(np.mean(keras.losses.categorical_crossentropy(one_hot, predicted)))
    assert loss < 0.05, f"{name} could not memorise {IMAGES} images: loss {loss:.3f}"
    assert np.array_equal(predicted.argmax(axis=1), labels)


def test_a_second_declared_optimizer_kind_trains_through_the_same_loop(tmp_path):
    """SGD with momentum, declared in params like Adam, drives A's loss down on 32 images."""
    raw = load_repo_params()
    raw["train"]["optimizer"] = {"kind": "sgd", "learning_rate": 0.05, "momentum": 0.9}
    params = parse_params(raw)
    assert params.train.optimizer == SGD(learning_rate=0.05, momentum=0.9)
    set_up_runtime(params.seed, params.train)
    images, labels = synthetic_digits(IMAGES, seed=7)
    one_hot = np.eye(params.num_classes, dtype=np.float32)[labels]
    model = build_model("A", params.model("A").layers, params.image_shape, params.seed)
    compile_model(model, params.train.optimizer, steps_per_execution=1)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.optimizer.momentum == 0.9
    fitted = model.fit(images[..., np.newaxis], one_hot, batch_size=IMAGES, epochs=STEPS, verbose=0)
    losses = fitted.history["loss"]
    assert losses[-1] < losses[0] / 10, (
        f"SGD did not learn: loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    )
