"""A diagram of each network with its shapes, as the notebook drew them with plot_model.

Drawn from the declared layer specs alone (their shape arithmetic and weight counts, the same
numbers Keras reports), with Matplotlib: no Graphviz, no pydot, no model to build.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from mnist_cnn.evaluation.figures import png_bytes
from mnist_cnn.params.layers import LayerSpec, Shape, weight_count

BOX_HEIGHT = 0.62
DPI = 100


@dataclass(frozen=True)
class Box:
    title: str
    input_shape: Shape
    output_shape: Shape
    weights: int


def _shape(shape: Shape) -> str:
    return "(None, " + ", ".join(str(size) for size in shape) + ")"


def title(spec: LayerSpec) -> str:
    """Keras' class of the layer, as plot_model labels its box, and the spec's settings: both
    declared by the spec's class (mnist_cnn/params/layers.py), so every kind has its label."""
    detail = spec.detail()
    return f"{spec.keras_class} ({detail})" if detail else spec.keras_class


def boxes(layers: tuple[LayerSpec, ...], image_shape: Shape) -> list[Box]:
    """The input and its scaling, then one box per declared layer, with shapes and weights."""
    shape = tuple(image_shape)
    result = [Box("pixels: InputLayer + Rescaling(1/255)", shape, shape, 0)]
    for spec in layers:
        output = spec.output_shape(shape)
        result.append(Box(title(spec), shape, output, weight_count(spec, shape)))
        shape = output
    return result


def diagram(name: str, layers: tuple[LayerSpec, ...], image_shape: Shape) -> bytes:
    """The network top to bottom, one box per layer with its input and output shapes."""
    drawn = boxes(layers, image_shape)
    figure = Figure(figsize=(6.4, 0.8 * len(drawn) + 0.9), dpi=DPI)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, 1)
    axes.set_ylim(0, len(drawn) + 0.6)
    axes.set_axis_off()
    total = sum(box.weights for box in drawn)
    axes.text(0.5, len(drawn) + 0.3, f"{name}: {total:,} parameters", ha="center", fontsize=11)
    for index, box in enumerate(drawn):
        top = len(drawn) - index
        axes.add_patch(
            FancyBboxPatch(
                (0.08, top - BOX_HEIGHT),
                0.84,
                BOX_HEIGHT - 0.08,
                boxstyle="round,pad=0.01",
                facecolor="#eef3fb",
                edgecolor="#4a6fa5",
            )
        )
        axes.text(0.5, top - 0.22, box.title, ha="center", va="center", fontsize=9.5)
        weights = f"   params: {box.weights:,}" if box.weights else ""
        axes.text(
            0.5,
            top - 0.45,
            f"input: {_shape(box.input_shape)}   output: {_shape(box.output_shape)}{weights}",
            ha="center",
            va="center",
            fontsize=8,
            color="#333333",
        )
        if index + 1 < len(drawn):
            axes.annotate(
                "",
                xy=(0.5, top - 1 + 0.02),
                xytext=(0.5, top - BOX_HEIGHT - 0.08),
                arrowprops={"arrowstyle": "->", "color": "#4a6fa5"},
            )
    return png_bytes(figure)
