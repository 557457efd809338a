import io
import json
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from mnist_cnn.errors import DataError
from mnist_cnn.models import (
    FIXED_SAVE_DATE,
    FIXED_ZIP_DATE,
    build_model,
    deterministic_archive,
    load_model_file,
    save_model_file,
    summary_text,
)
from mnist_cnn.params import load_params
from tests.helpers import REPO_ROOT, committed_params, committed_params_text

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
    params = committed_params()
    model = build_model(name, params.model(name).layers, params.image_shape, params.seed)
    assert model.count_params() == NOTEBOOK_PARAMETER_COUNTS[name]


def test_declared_layers_become_keras_layers_in_order():
    params = committed_params()
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
    declared_dense = params.model("B_adj2").layers[10]
    assert declared_dense.l2 > 0
    assert dense.kernel_regularizer.l2 == pytest.approx(declared_dense.l2)


def test_the_summary_keeps_every_column_the_param_counts_included():
    params = committed_params()
    model = build_model("A", params.model("A").layers, params.image_shape, params.seed)
    lines = summary_text(model).splitlines()
    assert lines[0] == 'Model: "A"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    second_conv = [line for line in lines if "(Conv2D)" in line][1]
    assert second_conv.split()[-1] == "18,496" and "(None, 11, 11, 64)" in second_conv
    assert "Total params: 101,578" in lines


def test_a_saved_model_is_the_same_bytes_whenever_it_is_saved(tmp_path):
    params = load_params(REPO_ROOT / "params.yaml")
    model = build_model("B", params.model("B").layers, params.image_shape, params.seed)
    model.save(tmp_path / "plain-first.keras")
    save_model_file(model, tmp_path / "first.keras")
    time.sleep(2.1)  # Keras stamps the time to the second, zip dates to two seconds
    model.save(tmp_path / "plain-second.keras")
    save_model_file(model, tmp_path / "second.keras")

    # Keras' own save differs by its time stamps; ours does not.
    plain = [(tmp_path / f"plain-{which}.keras").read_bytes() for which in ("first", "second")]
    assert plain[0] != plain[1]
    assert (tmp_path / "first.keras").read_bytes() == (tmp_path / "second.keras").read_bytes()
    with zipfile.ZipFile(tmp_path / "second.keras") as archive:
        assert {member.date_time for member in archive.infolist()} == {FIXED_ZIP_DATE}
        assert json.loads(archive.read("metadata.json"))["date_saved"] == FIXED_SAVE_DATE
    loaded = load_model_file(tmp_path / "second.keras")
    for saved, original in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, original)


def archive_with_config(config: dict) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"date_saved": "2026-11-25@12:00:00"}))
        archive.writestr("config.json", json.dumps(config))
    return output.getvalue()


def config_with_addresses(policy: int, other: int) -> dict:
    shared = {"class_name": "DTypePolicy", "shared_object_id": policy}
    return {
        "layers": [
            {"dtype": shared},
            {"dtype": shared, "initializer": {"shared_object_id": other}},
            {"dtype": shared},
        ]
    }


def test_shared_objects_are_renumbered_in_order_of_first_appearance():
    first = deterministic_archive(archive_with_config(config_with_addresses(140225783565392, 7)))
    second = deterministic_archive(archive_with_config(config_with_addresses(139955204408528, 9)))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert json.loads(archive.read("config.json")) == config_with_addresses(1, 2)


SAVE_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
from mnist_cnn.models import build_model, save_model_file
from mnist_cnn.params import load_params
from mnist_cnn.training.runtime import set_up_runtime
params = load_params(Path(sys.argv[1]))
set_up_runtime(params.seed, params.train)
model = build_model("B", params.model("B").layers, params.image_shape, params.seed)
save_model_file(model, Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_the_same_model_saved_by_two_processes_is_the_same_bytes(tmp_path):
    """Memory addresses differ between processes: what a rerun of a training stage does."""
    declared = tmp_path / "params.yaml"
    declared.write_text(committed_params_text(), encoding="utf-8")
    for name in ("first", "second"):
        subprocess.run(
            [
                sys.executable,
                "-c",
                SAVE_IN_A_FRESH_PROCESS,
                str(declared),
                str(tmp_path / f"{name}.keras"),
            ],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
    assert (tmp_path / "first.keras").read_bytes() == (tmp_path / "second.keras").read_bytes()
    loaded = load_model_file(tmp_path / "second.keras")
    assert loaded.count_params() == NOTEBOOK_PARAMETER_COUNTS["B"]


def test_a_file_that_is_not_a_model_is_one_clear_error(tmp_path):
    broken = tmp_path / "B.keras"
    broken.write_bytes(b"PK\x03\x04 not really a zip archive")
    with pytest.raises(DataError, match=r"B.keras: not a readable Keras model \("):
        load_model_file(broken)
