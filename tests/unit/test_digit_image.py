"""Turning any digit picture into an MNIST-like 28x28 image (mnist_cnn.predict.digit_image)."""

import numpy as np
import pytest
from PIL import Image

from mnist_cnn.errors import DataError
from mnist_cnn.predict.digit_image import (
    BOX_SIZE,
    FIELD_SIZE,
    INK_THRESHOLD,
    centre_of_mass,
    grayscale,
    mnist_like,
)
from tests.digit_pictures import (
    PNG_GREY,
    PNG_RGB,
    mnist_test_digits,
    png_file,
    png_rows,
    typeset_digit,
)


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero((image > INK_THRESHOLD * 255).any(axis=1))
    cols = np.flatnonzero((image > INK_THRESHOLD * 255).any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def test_dark_ink_on_white_paper_becomes_light_ink_on_black():
    gray = grayscale(typeset_digit(7, "DejaVu Sans", 90, 0.0))
    result = mnist_like(gray)
    assert result.shape == (FIELD_SIZE, FIELD_SIZE) and result.dtype == np.uint8
    assert result[0].max() == result[-1].max() == result[:, 0].max() == result[:, -1].max() == 0
    assert result.max() == 255


def test_light_ink_on_black_keeps_its_polarity():
    light = grayscale(typeset_digit(7, "DejaVu Sans", 90, 0.0, paper=0, ink=255))
    dark = grayscale(typeset_digit(7, "DejaVu Sans", 90, 0.0))
    assert np.array_equal(mnist_like(light), mnist_like(dark))


def test_grey_paper_and_faded_ink_are_stretched_to_full_contrast():
    faded = grayscale(typeset_digit(3, "DejaVu Sans", 90, 0.0, paper=200, ink=120))
    crisp = grayscale(typeset_digit(3, "DejaVu Sans", 90, 0.0))
    faded_result, crisp_result = mnist_like(faded), mnist_like(crisp)
    assert faded_result.max() == 255
    assert np.abs(faded_result.astype(int) - crisp_result).mean() < 3


def test_longer_side_fits_the_20_pixel_box_and_the_aspect_ratio_is_kept():
    page = np.full((300, 200), 255.0, dtype=np.float32)
    page[50:250, 80:130] = 0.0  # a 200 x 50 bar: 4 to 1
    height, width = ink_extent(mnist_like(page))
    assert height == BOX_SIZE
    assert width == pytest.approx(BOX_SIZE / 4, abs=1)
    wide = mnist_like(page.T.copy())
    assert ink_extent(wide) == (width, height)


def test_centre_of_mass_lands_on_the_centre_wherever_the_digit_was():
    for left in (5, 150, 380):
        page = np.full((400, 500), 255.0, dtype=np.float32)
        page[100:300, left : left + 60] = 0.0
        page[100:130, left : left + 110] = 0.0  # a "7"-like, lopsided shape
        row, col = centre_of_mass(mnist_like(page).astype(np.float64))
        assert row == pytest.approx(FIELD_SIZE / 2, abs=0.5)
        assert col == pytest.approx(FIELD_SIZE / 2, abs=0.5)


def test_the_same_digit_at_any_size_gives_nearly_the_same_image():
    correlations = []
    for digit in range(10):
        small = mnist_like(grayscale(typeset_digit(digit, "DejaVu Sans", 100, 0.0)))
        large = mnist_like(grayscale(typeset_digit(digit, "DejaVu Sans", 400, 0.0)))
        correlations.append(np.corrcoef(small.ravel(), large.ravel())[0, 1])
    # Measured: 0.98 on average; the thin "1" is lowest (0.81), a pixel of shift matters there.
    assert np.mean(correlations) > 0.95 and min(correlations) > 0.7


def test_transparent_background_counts_as_white_paper():
    ink = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ink.paste((0, 0, 0, 255), (50, 20, 70, 100))
    result = mnist_like(grayscale(ink))
    assert result.max() == 255 and ink_extent(result)[0] == BOX_SIZE


def test_colour_pictures_are_read_as_luminance():
    page = Image.new("RGB", (100, 100), (250, 240, 200))
    page.paste((20, 20, 120), (40, 10, 60, 90))
    assert ink_extent(mnist_like(grayscale(page)))[0] == BOX_SIZE


def grey_paper_digit() -> np.ndarray:
    """A 3 in grey ink on grey paper, 8-bit: every level above 120, so clipping at 255 of a
    deeper copy leaves nothing."""
    return np.asarray(typeset_digit(3, "DejaVu Sans", 90, 0.0, paper=200, ink=120))


@pytest.mark.parametrize("colour_type", [PNG_GREY, PNG_RGB], ids=["grey", "rgb"])
def test_16_bit_png_is_scaled_to_0_255_not_clipped(tmp_path, colour_type):
    eight_bit = grey_paper_digit()
    levels = eight_bit.astype(np.uint16) * 257  # 0-255 stretched onto 0-65535
    if colour_type == PNG_RGB:
        levels = np.stack([levels] * 3, axis=-1)
    path = tmp_path / "digit16.png"
    height, width = eight_bit.shape
    path.write_bytes(png_file(width, height, 16, colour_type, png_rows(levels)))
    with Image.open(path) as image:
        assert image.mode == ("I;16" if colour_type == PNG_GREY else "RGB")
        result = mnist_like(grayscale(image))
    assert np.array_equal(result, mnist_like(grayscale(Image.fromarray(eight_bit))))


@pytest.mark.parametrize(
    "mode, levels",
    [
        ("I", lambda eight_bit: eight_bit.astype(np.int32) * 1000 - 70_000),
        ("F", lambda eight_bit: eight_bit.astype(np.float32) / 255.0),
    ],
    ids=["int32", "float32"],
)
def test_32_bit_and_float_pictures_are_stretched_from_their_own_range(tmp_path, mode, levels):
    eight_bit = grey_paper_digit()
    path = tmp_path / "digit.tif"
    Image.fromarray(levels(eight_bit)).save(path)
    with Image.open(path) as image:
        assert image.mode == mode
        result = mnist_like(grayscale(image))
    assert np.array_equal(result, mnist_like(grayscale(Image.fromarray(eight_bit))))


def test_float_picture_with_nan_is_refused():
    levels = np.full((40, 40), 0.5, dtype=np.float32)
    levels[3, 4] = np.nan
    with pytest.raises(DataError, match="levels that are not numbers"):
        grayscale(Image.fromarray(levels))


@pytest.mark.parametrize(
    "gray",
    [
        np.full((50, 50), 255.0),
        np.full((50, 50), 3.0),
        np.random.default_rng(0).uniform(100, 120, (50, 50)),
    ],
)
def test_a_blank_or_contrastless_picture_is_refused(gray):
    with pytest.raises(DataError, match="no digit found"):
        mnist_like(gray.astype(np.float32))


def test_real_mnist_digits_come_back_nearly_unchanged(shared_mnist):
    """MNIST digits are already MNIST-like, so the preprocessing must be near the identity."""
    images, _ = mnist_test_digits(shared_mnist, 500)
    correlations, differences = [], []
    for image in images:
        result = mnist_like(image.astype(np.float32)).astype(np.float64)
        correlations.append(np.corrcoef(result.ravel(), image.ravel())[0, 1])
        differences.append(np.abs(result - image).mean())
    # Measured on the first 500: 98.8% above 0.9 and a mean absolute change of 0.2 of 255.
    assert np.mean(np.array(correlations) > 0.9) > 0.97
    assert np.mean(differences) < 2.0
