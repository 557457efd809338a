"""A user's mistake, run as DVC runs it (`python -m stages.X`): one line on stderr, exit 2."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers import assert_one_line_error, load_repo_params, run_stage, set_key, write_params


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("train.batch_size", True, "train.batch_size = True (bool) must be an integer"),
        ("split.val_fraction", 1.5, "split.val_fraction = 1.5 is out of range; allowed: (0, 1)"),
        (
            "models.B_adj.layers.drop1.rate",
            1.0,
            "models.B_adj.layers.drop1.rate = 1.0 is out of range; allowed: [0, 1)",
        ),
        (
            "train.learning_rat",
            0.1,
            "unknown key train.learning_rat; allowed keys here: batch_size",
        ),
        (
            "models.B.layers.conv1.kind",
            "conv3d",
            "models.B.layers.conv1.kind = 'conv3d' is not a known kind; expected one of conv2d",
        ),
        (
            "download.mirrors.1",
            "http://[::1",
            "download.mirrors[1] = 'http://[::1' is not a valid URL: Invalid IPv6 URL; expected "
            "http(s)://HOST/PATH or a local folder",
        ),
    ],
)
def test_bad_value_stops_the_stage_with_key_value_and_allowed(tmp_path, path, value, expected):
    write_params(tmp_path, set_key(load_repo_params(), path, value))
    line = assert_one_line_error(run_stage(tmp_path, "stages.split"))
    assert line.startswith(f"error: {expected}")


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    text = tmp_path / "params.yaml"
    lines = yaml.safe_dump(load_repo_params(), sort_keys=False).splitlines()
    seed_line = next(index for index, line in enumerate(lines) if line.startswith("seed:"))
    lines[seed_line] = "seed: 2021: 5"
    text.write_text("\n".join(lines) + "\n")
    line = assert_one_line_error(run_stage(tmp_path, "stages.split"))
    assert line == (
        f"error: params.yaml:{seed_line + 1}:11: malformed YAML: "
        "mapping values are not allowed here"
    )


def test_missing_params_file_is_one_line(tmp_path):
    line = assert_one_line_error(run_stage(tmp_path, "stages.split"))
    assert line == "error: params.yaml: file not found (run from the repository root)"


def test_missing_input_names_the_file_and_the_stage_to_run(tmp_path):
    write_params(tmp_path, load_repo_params())
    line = assert_one_line_error(run_stage(tmp_path, "stages.split"))
    assert line == (
        "error: data/raw/train-images-idx3-ubyte: file not found; "
        "run the download stage (dvc repro download)"
    )


def test_undeclared_model_lists_the_declared_ones(tmp_path):
    params = load_repo_params()
    write_params(tmp_path, params)
    line = assert_one_line_error(run_stage(tmp_path, "stages.train", "C"))
    assert line == f"error: unknown model 'C'; expected one of {', '.join(params['models'])}"
