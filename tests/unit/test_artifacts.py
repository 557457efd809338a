"""dvc.yaml's artifacts section: one model-registry entry per declared model, kept current."""

from __future__ import annotations

import yaml
from dvc.repo import Repo

from mnist_cnn.params import parse_params
from mnist_cnn.params.layers import architecture_size
from tests.helpers import REPO_ROOT, declared_models, load_repo_params
from tools import artifacts


def test_the_committed_section_is_what_params_yaml_declares():
    # Fails when a model is declared in params.yaml and `make artifacts` was not run.
    artifacts.main(["--check"])


def test_every_declared_model_is_an_artifact_that_dvc_reads():
    read = Repo(str(REPO_ROOT)).artifacts.read()["dvc.yaml"]
    assert list(read) == declared_models()
    params = parse_params(load_repo_params())
    for name, artifact in read.items():
        weights, _ = architecture_size(params.model(name).layers, params.image_shape)
        assert artifact.path == f"data/models/{name}.keras"
        assert artifact.type == "model"
        assert f"params-{weights}" in artifact.labels and f"model-{name}" in artifact.labels


def test_a_newly_declared_model_gets_its_entry_and_the_stages_are_kept():
    raw = load_repo_params()
    raw["models"]["C"] = raw["models"]["B"]
    dvc_yaml = (REPO_ROOT / "dvc.yaml").read_text()
    rewritten = yaml.safe_load(
        artifacts.with_section(dvc_yaml, artifacts.section_text(parse_params(raw)))
    )
    assert list(rewritten["artifacts"]) == [*declared_models(), "C"]
    assert rewritten["artifacts"]["C"]["path"] == "data/models/C.keras"
    assert rewritten["stages"] == yaml.safe_load(dvc_yaml)["stages"]
