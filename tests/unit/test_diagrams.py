"""Each network's diagram: its boxes carry Keras' own shapes and weight counts."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mnist_cnn.evaluation.diagrams import boxes, diagram
from mnist_cnn.models import build_model
from mnist_cnn.params import load_params
from tests.helpers import REPO_ROOT, declared_models


@pytest.mark.parametrize("name", declared_models())
def test_the_boxes_match_the_keras_model(name):
    params = load_params(REPO_ROOT / "params.yaml")
    layers = params.model(name).layers
    model = build_model(name, layers, params.image_shape, params.seed)
    drawn = boxes(layers, params.image_shape)
    # The first box is the input with its scaling; Keras' first layer is the Rescaling.
    assert len(drawn) == len(model.layers)
    for box, layer in zip(drawn, model.layers, strict=True):
        assert (None, *box.output_shape) == tuple(layer.output.shape)
        assert box.weights == layer.count_params()


def test_the_diagram_is_a_picture_taller_for_deeper_networks():
    params = load_params(REPO_ROOT / "params.yaml")
    pictures = {
        name: Image.open(io.BytesIO(diagram(name, params.model(name).layers, params.image_shape)))
        for name in ("A", "B_adj2")
    }
    assert all(picture.format == "PNG" for picture in pictures.values())
    assert pictures["B_adj2"].size[1] > pictures["A"].size[1]
