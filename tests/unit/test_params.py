import copy
import re

import pytest

from mnist_cnn.errors import ParamsError
from mnist_cnn.params import load_params, parse_params
from tests.helpers import REPO_ROOT, load_repo_params


def test_repository_params_are_valid():
    params = load_params(REPO_ROOT / "params.yaml")
    assert list(params.models) == list(load_repo_params()["models"])
    assert params.study.crossval.models == ("A", "B") and len(params.study.seeds()) >= 2
    assert params.models["B_adj2"].early_stopping.patience == 4


def mutated(path: str, value):
    raw = copy.deepcopy(load_repo_params())
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return raw


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("train.epochz", 3, "unknown key train.epochz"),
        ("train.batch_size", True, r"train.batch_size = True \(bool\) must be an integer"),
        ("train.batch_size", 0, r"train.batch_size = 0 is out of range; allowed: \[1, 65536\]"),
        ("split.val_fraction", 1.0, r"split.val_fraction = 1.0 is out of range; allowed: \(0, 1\)"),
        ("split.val_fraction", 0, "split.val_fraction = 0.0 is out of range"),
        ("models.B.epochs", 0, "models.B.epochs = 0 is out of range"),
        (
            "models.B_adj.layers.drop1.rate",
            1.0,
            r"models.B_adj.layers.drop1.rate = 1.0 is out of range",
        ),
        (
            "models.B_adj2.layers.hidden.l2",
            -0.1,
            r"models.B_adj2.layers.hidden.l2 = -0.1 is out of range",
        ),
        ("models.A.layers.conv1.kind", "conv3d", "is not a known kind; expected one of conv2d"),
        ("models.A.layers.conv1.filterz", 3, r"unknown key models.A.layers.conv1.filterz"),
        ("train.precision", "float16", "expected one of float32, mixed_bfloat16"),
        (
            "train.engine",
            "scan",
            "train.engine = 'scan' is not allowed; expected one of keras_fit, compiled_epoch",
        ),
        ("split.limit", "all", "split.limit = 'all' \\(str\\) must be an integer"),
        ("seed", KeyError, "missing key seed"),
        ("download.sha256.t10k-images-idx3-ubyte", "abc", "must be 64 lowercase hex digits"),
        (
            "download.mirrors.1",
            "http://[::1",
            r"download.mirrors\[1\] = 'http://\[::1' is not a valid URL: Invalid IPv6 URL; "
            r"expected http\(s\)://HOST/PATH or a local folder",
        ),
        (
            "download.mirrors.2",
            "https://",
            r"mirrors\[2\] = 'https://' is not a valid URL: no host",
        ),
        ("download.mirrors.1", "http://mirror:80a/", "is not a valid URL: Port could not be cast"),
        ("download.mirrors.1", "http://mirror:99999/", "is not a valid URL: Port out of range"),
        ("download.mirrors.1", "http://a..b/", "is not a valid URL: encoding with 'idna' codec"),
        ("download.mirrors.1", "http://a b/", "is not a valid URL: it contains a space"),
        (
            "study.crossval.models",
            ["A", "C"],
            "study.crossval.models lists unknown model 'C'; expected one of A",
        ),
        ("study.crossval.models", ["A", "A"], "must list at least two models, each once"),
        ("study.crossval.models", ["A"], "must list at least two models, each once"),
        (
            "study.crossval.folds",
            1,
            r"study.crossval.folds = 1 is out of range; allowed: \[2, 100\]",
        ),
        ("study.replicates", 1, r"study.replicates = 1 is out of range; allowed: \[2, 1000\]"),
        ("study.l2_fit.model", "B", "must have exactly one layer with l2 > 0"),
        ("study.l2_fit.model", "C", "study.l2_fit.model = 'C' is not declared"),
        ("study.l2_fit.factors", [0.001, 0.0], "must list positive factors"),
        ("runtime.study_engine", "dask", "expected one of ray, in_process"),
        ("models.B_adj.layers.drop1.rate", float("nan"), r"rate = nan must be a finite number"),
        ("models.B_adj2.layers.hidden.l2", float("inf"), r"l2 = inf must be a finite number"),
        ("train.optimizer.learning_rate", "1e-3", r"YAML reads an exponent without a dot as text"),
        ("train.optimizer.kind", "rmsprop", r"is not a known kind; expected one of adam, sgd"),
        ("train.optimizer.beta_1", 1.0, r"train.optimizer.beta_1 = 1.0 is out of range"),
        ("models.A.layers.conv1.kind", ["conv2d"], r"kind = \['conv2d'\] is not a known kind"),
        ("runtime.resume_dir", "../benchmarks", "is not a valid name; allowed: one folder name"),
        ("runtime.resume_dir", "/tmp", "is not a valid name"),
        ("evaluate.significance", 1.0, "evaluate.significance = 1.0 is out of range"),
        ("evaluate.misclassified_images", 0, "evaluate.misclassified_images = 0 is out of range"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(path, value, message):
    with pytest.raises(ParamsError, match=message):
        parse_params(mutated(path, value))


def test_architecture_collapsing_below_one_pixel_is_refused():
    raw = load_repo_params()
    layers = list(raw["models"]["A"]["layers"].items())
    layers.insert(6, ("pool4", {"kind": "max_pool", "pool_size": 2}))
    raw["models"]["A"]["layers"] = dict(layers)
    with pytest.raises(
        ParamsError,
        match=r"models.A.layers.pool4 \(max_pool\) shrinks the feature "
        r"map to \(0, 0, 128\), below 1x1",
    ):
        parse_params(raw)


def test_last_layer_must_produce_one_score_per_class():
    raw = load_repo_params()
    raw["models"]["B"]["layers"]["output"]["units"] = 9
    with pytest.raises(ParamsError, match="last layer must be a dense layer of num_classes = 10"):
        parse_params(raw)


def test_unknown_model_lists_the_declared_ones():
    params = load_params(REPO_ROOT / "params.yaml")
    declared = ", ".join(load_repo_params()["models"])
    with pytest.raises(ParamsError, match=f"unknown model 'C'; expected one of {declared}$"):
        params.model("C")


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("seed: 1\ntrain:\n  batch_size: [32\n")
    with pytest.raises(ParamsError, match=r"^params.yaml:4:1: malformed YAML"):
        load_params(path)


def test_params_are_frozen():
    params = load_params(REPO_ROOT / "params.yaml")
    with pytest.raises(AttributeError):
        params.train.batch_size = 64


@pytest.mark.parametrize("name", ["..", "../benchmarks", "/tmp/x", "B adj", "9lives", "B-adj"])
def test_a_model_name_that_is_not_a_plain_identifier_is_refused(name):
    raw = load_repo_params()
    raw["models"][name] = raw["models"].pop("B_gap")
    with pytest.raises(ParamsError, match=r"is not a valid name; allowed: letters, digits"):
        parse_params(raw)


def test_layers_written_as_a_list_are_refused_with_what_to_write_instead():
    raw = load_repo_params()
    raw["models"]["B"]["layers"] = list(raw["models"]["B"]["layers"].values())
    with pytest.raises(
        ParamsError,
        match=r"^models.B.layers is a list of 9 items; write it as a mapping of layer names to "
        r"layers, input first \(conv1: \{kind: conv2d, filters: 32, ...\}\)$",
    ):
        parse_params(raw)


@pytest.mark.parametrize("name", ["1st", "drop.1", ""])
def test_a_layer_name_that_cannot_be_a_dotted_key_is_refused(name):
    raw = load_repo_params()
    layers = raw["models"]["B"]["layers"]
    raw["models"]["B"]["layers"] = {name: layers.pop("conv1"), **layers}
    with pytest.raises(
        ParamsError,
        match=rf"models.B.layers.{re.escape(name)} = '{re.escape(name)}' is not a valid name",
    ):
        parse_params(raw)


def test_layer_names_address_the_layers_and_are_not_kept():
    """Renaming every layer leaves the parsed model as it was: names address, never configure."""
    raw = load_repo_params()
    renamed = load_repo_params()
    layers = renamed["models"]["B_adj"]["layers"]
    renamed["models"]["B_adj"]["layers"] = {
        f"x{index}": layer for index, layer in enumerate(layers.values())
    }
    assert parse_params(renamed) == parse_params(raw)
