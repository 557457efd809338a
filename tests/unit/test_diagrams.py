"""Each network's diagram: its boxes carry Keras' own shapes and weight counts."""

from __future__ import annotations

import io
import typing
from dataclasses import dataclass
from typing import ClassVar

import pytest
from PIL import Image

from mnist_cnn.evaluation.diagrams import boxes, diagram
from mnist_cnn.models import LAYER_BUILDERS, build_model
from mnist_cnn.params import load_params
from mnist_cnn.params.layers import LayerSpec, Shape
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
    # Each declared layer's box is labelled with the class of the layer the builder made.
    assert [box.title.split(" (")[0] for box in drawn[1:]] == [
        type(layer).__name__ for layer in model.layers[1:]
    ]


def test_every_kind_params_yaml_accepts_has_a_builder_and_a_label():
    """A new kind is a spec class (with its label) and a builder: nothing else to remember."""
    kinds = typing.get_args(LayerSpec)
    assert set(LAYER_BUILDERS) == set(kinds)
    assert all(kind.keras_class and callable(kind.detail) for kind in kinds)


@dataclass(frozen=True)
class Unregistered:
    kind: ClassVar[str] = "unregistered"

    def output_shape(self, shape: Shape) -> Shape:
        return shape


def test_a_kind_without_a_label_stops_the_diagram_instead_of_drawing_an_empty_box():
    with pytest.raises(AttributeError, match="keras_class|detail"):
        boxes((Unregistered(),), (28, 28, 1))  # type: ignore[arg-type]


def test_the_diagram_is_a_picture_taller_for_deeper_networks():
    params = load_params(REPO_ROOT / "params.yaml")
    pictures = {
        name: Image.open(io.BytesIO(diagram(name, params.model(name).layers, params.image_shape)))
        for name in ("A", "B_adj2")
    }
    assert all(picture.format == "PNG" for picture in pictures.values())
    assert pictures["B_adj2"].size[1] > pictures["A"].size[1]
