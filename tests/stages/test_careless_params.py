"""Careless params, as DVC runs a stage: one `error:` line, exit 2, nothing written."""

from __future__ import annotations

import codecs

import pytest
import yaml

from mnist_cnn.params.yaml_file import MAX_NESTING
from tests.helpers import (
    assert_one_line_error,
    edit_params,
    load_repo_params,
    run_stage,
    set_key,
    write_params,
)
from tests.unit.test_memory import WIDE


def test_a_layer_far_too_wide_for_memory_is_refused_before_training(prepared_workspace):
    layout, _ = prepared_workspace
    edit_params(layout.root, ("models.B.layers", WIDE))
    line = assert_one_line_error(run_stage(layout.root, "stages.train", "B"))
    assert line.startswith("error: models.B needs at least ")
    assert not layout.model_file("B").exists()


def test_an_image_shape_other_than_the_data_is_refused_by_preprocess(small_workspace):
    layout, params = small_workspace
    for stage in ("stages.download", "stages.split"):
        assert run_stage(layout.root, stage).returncode == 0
    edit_params(layout.root, ("image_shape", [32, 32, 1]))
    line = assert_one_line_error(run_stage(layout.root, "stages.preprocess"))
    assert line == (
        "error: image_shape = [32, 32, 1] does not fit the data's 28x28 grayscale images; "
        "set image_shape: [28, 28, 1]"
    )
    assert not layout.prepared_dir.exists()


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "error: params.yaml: saved as UTF-16; save it as UTF-8"),
        ("latin-1", "error: params.yaml:1: byte 0xe9 is not UTF-8; save the file as UTF-8"),
        (
            "utf-16-le",
            "error: params.yaml: holds zero bytes, as UTF-16 or UTF-32 text does; save it as UTF-8",
        ),
    ],
)
def test_params_in_another_encoding_are_refused_naming_the_file(tmp_path, encoding, expected):
    text = "# r\u00e9glages\n" + yaml.safe_dump(load_repo_params(), sort_keys=False)
    data = text.encode(encoding)
    if encoding == "utf-16" and not data.startswith(codecs.BOM_UTF16_LE + b"#"):
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    (tmp_path / "params.yaml").write_bytes(data)
    assert assert_one_line_error(run_stage(tmp_path, "stages.check_params")) == expected


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    text = yaml.safe_dump(load_repo_params(), sort_keys=False)
    lines = text.splitlines()
    batch = next(index for index, line in enumerate(lines) if "batch_size:" in line)
    lines.insert(batch + 1, lines[batch].replace("32", "64"))
    (tmp_path / "params.yaml").write_text("\n".join(lines) + "\n")
    line = assert_one_line_error(run_stage(tmp_path, "stages.check_params"))
    assert line == (
        f"error: params.yaml:{batch + 2}:3: malformed YAML: duplicate key 'batch_size' "
        f"(first given on line {batch + 1})"
    )


def test_a_control_character_is_refused_with_its_line(tmp_path):
    text = yaml.safe_dump(load_repo_params(), sort_keys=False)
    (tmp_path / "params.yaml").write_text("# tuned\n# by hand\x07\n" + text, encoding="utf-8")
    line = assert_one_line_error(run_stage(tmp_path, "stages.check_params"))
    assert line == "error: params.yaml:2: character U+0007 is not allowed in YAML; remove it"


def test_a_layer_far_too_wide_for_memory_is_refused_by_check_params(tmp_path):
    """Before DVC removes any training output: check_params runs first and refuses it."""
    params = load_repo_params()
    set_key(params, "models.B.layers", WIDE)
    write_params(tmp_path, params)
    line = assert_one_line_error(run_stage(tmp_path, "stages.check_params"))
    assert line.startswith("error: models.B needs at least ")
    assert not (tmp_path / "data" / "params_checked.txt").exists()


def test_params_nested_thousands_deep_are_one_line_not_a_recursion_traceback(tmp_path):
    text = yaml.safe_dump(load_repo_params(), sort_keys=False)
    (tmp_path / "params.yaml").write_text(text + "extra: " + "[" * 10_000 + "]" * 10_000 + "\n")
    line = assert_one_line_error(run_stage(tmp_path, "stages.check_params"))
    assert line.startswith(f"error: params.yaml nests deeper than {MAX_NESTING} levels (line ")


def test_a_last_layer_without_softmax_is_refused_by_check_params(tmp_path):
    params = load_repo_params()
    params["models"]["B"]["layers"]["output"] = {"kind": "dense", "units": 10, "activation": "relu"}
    write_params(tmp_path, params)
    line = assert_one_line_error(run_stage(tmp_path, "stages.check_params"))
    assert line == (
        "error: models.B.layers.output (dense, activation: relu) is the last layer; it must be "
        "{kind: dense, units: <num_classes>, activation: softmax}"
    )
