import pytest

from stages.models import build_model
from stages.params import load_params
from tests.conftest import REPO_ROOT

# The parameter counts of the notebook's printed model summaries; B_gap (not in the notebook)
# is B's convolutions (160 + 2,320 + 4,640 + 9,248 = 16,368) + Dense(32 -> 64) 2,112 +
# Dense(64 -> 10) 650.
NOTEBOOK_PARAMETER_COUNTS = {
    "A": 101_578,
    "B": 68_282,
    "B_adj": 68_282,
    "B_adj2": 68_282,
    "B_gap": 16_368 + 2_112 + 650,
}


@pytest.mark.parametrize("name", sorted(NOTEBOOK_PARAMETER_COUNTS))
def test_declared_architectures_match_the_notebook_parameter_counts(name):
    params = load_params(REPO_ROOT / "params.yaml")
    model = build_model(name, params.model(name).layers, params.image_shape, params.seed)
    assert model.count_params() == NOTEBOOK_PARAMETER_COUNTS[name]


def test_declared_layers_become_keras_layers_in_order():
    params = load_params(REPO_ROOT / "params.yaml")
    model = build_model("B_adj2", params.model("B_adj2").layers, params.image_shape, 0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Rescaling",
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Conv2D",
        "Dropout",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
    ]
    dense = model.layers[11]
    assert dense.kernel_regularizer is not None
    assert dense.kernel_regularizer.l2 == pytest.approx(0.001)
