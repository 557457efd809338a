"""The `predict` command: output formats, bad files, bad models (an untrained model is enough)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import keras
import pytest
from PIL import Image, ImageFile

from mnist_cnn.cli import guarded
from mnist_cnn.models import build_model
from mnist_cnn.predict import cli as predict
from mnist_cnn.predict.picture_file import MAX_PICTURE_PIXELS
from tests.digit_pictures import PNG_GREY, png_file, typeset_digit
from tests.helpers import REPO_ROOT, command_environment, stage_lines


@pytest.fixture
def workspace_with_model(small_workspace, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small workspace, as the working directory, with an untrained model B saved where
    training would put it: predict resolves model names from where the user runs it."""
    layout, params = small_workspace
    model = build_model("B", params.model("B").layers, params.image_shape, params.seed)
    layout.models_dir.mkdir(parents=True)
    model.save(layout.model_file("B"))
    typeset_digit(4, "DejaVu Sans", 80, 3.0).save(layout.root / "four.png")
    typeset_digit(9, "DejaVu Serif", 50, -3.0).convert("RGB").save(layout.root / "nine.jpg")
    (layout.root / "notes.txt").write_text("not a picture")
    Image.new("L", (40, 40), 255).save(layout.root / "blank.png")
    monkeypatch.chdir(layout.root)
    return layout.root


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        predict.main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_line_per_picture_with_digit_and_probability(workspace_with_model, capsys):
    code, out, err = run_main(["B", "four.png", "nine.jpg"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["four.png", "nine.jpg"]
    for line in lines:
        digit, probability = line.split(": digit ")[1].split(" (p=")
        assert 0 <= int(digit) <= 9 and 0.0 < float(probability.rstrip(")")) <= 1.0


def test_json_lists_every_prediction(workspace_with_model, capsys):
    code, out, _ = run_main(["B", "four.png", "nine.jpg", "--json"], capsys)
    assert code == 0
    predictions = json.loads(out)
    assert [p["path"] for p in predictions] == ["four.png", "nine.jpg"]
    assert all(set(p) == {"path", "digit", "probability"} for p in predictions)


def test_bad_files_get_one_line_each_and_the_rest_are_still_predicted(workspace_with_model, capsys):
    code, out, err = run_main(
        ["B", "notes.txt", "four.png", "missing.png", "blank.png", "data"], capsys
    )
    assert code == predict.EXIT_SOME_FAILED
    assert out.startswith("four.png: digit ") and len(out.splitlines()) == 1
    assert err.splitlines() == [
        "error: notes.txt: not an image Pillow can read (PNG or JPEG expected)",
        "error: missing.png: no such file",
        "error: blank.png: no digit found: the picture is blank or has almost no contrast",
        "error: data: is a directory, not an image",
    ]


def test_a_model_file_path_works_like_a_model_name(workspace_with_model, capsys):
    by_name = run_main(["B", "four.png"], capsys)
    by_path = run_main([str(workspace_with_model / "data/models/B.keras"), "four.png"], capsys)
    assert by_name[0] == by_path[0] == 0
    assert by_name[1].split(": ")[1] == by_path[1].split(": ")[1]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("C", "error: unknown model 'C'; expected one of A, B, B_adj, B_adj2"),
        ("A", "error: data/models/A.keras: not trained yet; run `dvc repro train@A` first"),
        ("elsewhere/B.keras", "error: elsewhere/B.keras: model file not found"),
        ("notes.txt", "error: notes.txt: not a .keras (zip) file"),
        ("typed.keras", "error: typed.keras: not a .keras (zip) file"),
        ("pictures.zip", "error: pictures.zip: not a readable Keras model"),
    ],
)
def test_a_bad_model_is_one_line_and_exit_2(
    workspace_with_model, capsys, monkeypatch, model, message
):
    # An existing file that is not a zip (Keras itself would say "File not found"), and a zip
    # that is not a model.
    (workspace_with_model / "typed.keras").write_text("a model, typed by hand")
    with zipfile.ZipFile(workspace_with_model / "pictures.zip", "w") as archive:
        archive.write(workspace_with_model / "four.png", "four.png")
    # guarded(main) is cli() without its stderr filter, which belongs to a command's own process.
    with pytest.raises(SystemExit) as exit_:
        guarded(lambda: predict.main([model, "four.png"]))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(message)


def test_the_real_command_line(workspace_with_model):
    """`python -m mnist_cnn.predict` as a user types it: exit status 1, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "mnist_cnn.predict", "B", "four.png", "notes.txt"],
        cwd=workspace_with_model,
        env=command_environment(REPO_ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("four.png: digit ")
    assert "error: notes.txt: not an image" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "width, height",
    [(7072, 7072), (13000, 13000), (20000, 20000)],
    ids=["just-over", "over-pillows-warning", "over-pillows-error"],
)
def test_picture_over_the_pixel_limit_is_refused_before_decoding(
    workspace_with_model, capsys, monkeypatch, width, height
):
    """Only the header declares the size: decoding would fail, so the refusal comes first."""
    (workspace_with_model / "huge.png").write_bytes(png_file(width, height, 8, PNG_GREY, b""))
    decoded = []
    decode = ImageFile.ImageFile.load

    def recorded_decode(image):
        decoded.append(Path(image.filename).name)
        return decode(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recorded_decode)
    with warnings.catch_warnings(record=True) as raised_warnings:
        warnings.simplefilter("always")
        code, out, err = run_main(["B", "huge.png", "four.png"], capsys)
    assert code == predict.EXIT_SOME_FAILED and out.startswith("four.png: digit ")
    assert err.splitlines() == [
        f"error: huge.png: {width}x{height} = {width * height:,} pixels is over the limit of "
        f"{MAX_PICTURE_PIXELS:,} pixels for one picture; scale it down"
    ]
    assert [str(warning.message) for warning in raised_warnings] == []
    assert "four.png" in decoded and "huge.png" not in decoded


@pytest.mark.parametrize(
    "head, message",
    [
        (
            keras.layers.Dense(10, activation="linear"),
            "model outputs are not probabilities (they sum to ",
        ),
        (
            keras.layers.Dense(3, activation="softmax"),
            "model gives output (None, 3), not one probability for each of the 10 digits",
        ),
    ],
    ids=["linear-head", "three-outputs"],
)
def test_a_model_without_ten_probabilities_is_one_line_and_exit_2(
    workspace_with_model, capsys, monkeypatch, head, message
):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), head])
    model.save(workspace_with_model / "scores.keras")
    with pytest.raises(SystemExit) as exit_:
        guarded(lambda: predict.main(["scores.keras", "four.png"]))
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: scores.keras: {message}")


def test_a_reader_that_stops_reading_ends_the_command_quietly(workspace_with_model, tmp_path):
    """`mnist-predict B *.png | head -1` with more output than a pipe holds: head leaves after
    one line, so the later writes meet a closed pipe."""
    name = "d" * 200 + ".png"
    typeset_digit(4, "DejaVu Sans", 12, 0.0).save(workspace_with_model / name)
    pictures = [name] * 1500  # about 330 KB of output, five times a pipe's buffer
    # Buffered, as in a user's shell: unbuffered, Python writes stdout once and silently drops
    # what a closed pipe did not take, so the break never shows.
    environment = command_environment(REPO_ROOT)
    environment.pop("PYTHONUNBUFFERED")
    with (tmp_path / "stderr").open("w") as stderr:
        producer = subprocess.Popen(
            [sys.executable, "-m", "mnist_cnn.predict", "B", *pictures],
            cwd=workspace_with_model,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        assert producer.stdout is not None
        head = subprocess.Popen(
            ["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE, text=True
        )
        producer.stdout.close()  # head alone reads the pipe, so its end closes when head exits
        first, _ = head.communicate(timeout=120)
        status = producer.wait(timeout=120)
    assert first.startswith(f"{name}: digit ") and first.count("\n") == 1
    assert status == predict.EXIT_BROKEN_PIPE
    errors = (tmp_path / "stderr").read_text()
    assert not [line for line in stage_lines(errors) if line.startswith("error:")], errors
    for noise in ("Traceback", "Exception ignored", "BrokenPipeError"):
        assert noise not in errors, errors
