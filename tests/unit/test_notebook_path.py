"""The benchmark's notebook path trains the networks params.yaml declares, built the notebook's way.

Its networks once were hand copies and drifted (B_adj2's L2 factor stayed at 0.001 after
params.yaml moved to 0.01); now they are read from params.yaml, and this checks that they match
the pipeline's layer for layer, seeds and the pipeline's pixel scaling aside.
"""

from __future__ import annotations

import pytest

from benchmarks import notebook_path
from mnist_cnn.layout import Layout
from mnist_cnn.models import build_model
from mnist_cnn.params import load_params
from tests.helpers import REPO_ROOT, notebook_models

PARAMS = load_params(REPO_ROOT / "params.yaml")


def settings(layer) -> dict:
    """What a layer computes: its config without its name, seeds and initializer seeds."""
    config = layer.get_config()
    config.pop("name")
    config.pop("seed", None)
    initializer = config.get("kernel_initializer")
    if initializer is not None:
        initializer["config"].pop("seed")
    return config


def test_the_notebook_path_trains_the_networks_the_notebook_printed():
    assert notebook_path.notebook_models(Layout(REPO_ROOT)) == notebook_models()
    assert set(notebook_models()) <= set(PARAMS.models)


@pytest.mark.parametrize("name", notebook_models())
def test_each_network_is_the_declared_one_layer_for_layer(name):
    notebook = notebook_path.notebook_network(PARAMS, name)
    pipeline = build_model(name, PARAMS.model(name).layers, PARAMS.image_shape, PARAMS.seed)
    # The pipeline scales pixels in its first layer; the notebook divided its arrays by 255.
    assert type(pipeline.layers[0]).__name__ == "Rescaling"
    pipeline_layers = pipeline.layers[1:]
    assert [type(layer) for layer in notebook.layers] == [type(layer) for layer in pipeline_layers]
    for ours, theirs in zip(notebook.layers, pipeline_layers, strict=True):
        assert settings(ours) == settings(theirs)
    assert notebook.count_params() == pipeline.count_params()


@pytest.mark.parametrize("name", notebook_models())
def test_no_layer_of_the_notebook_path_is_seeded(name):
    for layer in notebook_path.notebook_network(PARAMS, name).layers:
        config = layer.get_config()
        assert config.get("seed") is None
        assert (config.get("kernel_initializer") or {"config": {}})["config"].get("seed") is None


def test_early_stopping_is_the_declared_one_under_the_notebook_metric_name():
    stopping = PARAMS.model("B_adj2").early_stopping
    assert stopping is not None and stopping.monitor == "val_accuracy"
    [callback] = notebook_path.notebook_callbacks(PARAMS.model("B_adj2"))
    assert (callback.monitor, callback.patience) == ("val_acc", stopping.patience)
    assert notebook_path.notebook_callbacks(PARAMS.model("A")) == []
