"""Any picture of one digit to a 28x28 MNIST-like image, the way MNIST itself was made.

MNIST digits are light ink on a black background, size-normalised to fit a 20x20 box with
their aspect ratio kept (anti-aliased), then placed in a 28x28 field so that their centre of
mass sits at the centre. These functions repeat those steps on arrays: no files, no printing.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from mnist_cnn.errors import DataError

FIELD_SIZE = 28
BOX_SIZE = 20
# Ink is whatever stands out from the background by more than this share of the full
# contrast: enough to ignore paper grain and JPEG ringing, low enough to keep thin strokes.
INK_THRESHOLD = 0.2
# Background lighter than mid-grey means dark ink on light paper, the opposite of MNIST.
MID_GREY = 127.5
# A picture whose ink is weaker than this (out of 255) holds no digit, only noise.
MIN_CONTRAST = 32.0
# The top of Pillow's 16-bit modes (I;16, I;16B, ...): a 16-bit PNG or TIFF in grey.
SIXTEEN_BIT_TOP = 65535.0
# Pillow's 32-bit integer and float modes: no range is fixed by the type.
OPEN_RANGE_MODES = ("I", "F")


def stretched(levels: np.ndarray) -> np.ndarray:
    """Levels of any range mapped linearly onto 0-255: the darkest to 0, the lightest to 255."""
    if not np.isfinite(levels).all():
        raise DataError("the picture has levels that are not numbers (NaN or infinity)")
    darkest, lightest = float(levels.min()), float(levels.max())
    if lightest == darkest:
        return np.zeros(levels.shape, dtype=np.float32)
    return ((levels - darkest) * (255.0 / (lightest - darkest))).astype(np.float32)


def grayscale(image: Image.Image) -> np.ndarray:
    """Luminance 0-255 as float32; transparent areas count as white paper.

    Camera orientation tags (EXIF) are applied first, so a photo is read upright. Pictures of
    more than 8 bits a level are scaled, not clipped at 255 as Pillow's convert("L") would:
    16-bit ones by their type's range (as Pillow reads a 16-bit colour PNG), 32-bit integer
    and float ones, whose type fixes no range, from their own darkest to their lightest level.
    """
    upright = ImageOps.exif_transpose(image)
    if upright.mode.startswith("I;16"):
        return np.asarray(upright, dtype=np.float32) * np.float32(255.0 / SIXTEEN_BIT_TOP)
    if upright.mode in OPEN_RANGE_MODES:
        # float64: 32-bit integers far from zero keep their differences exactly.
        return stretched(np.asarray(upright, dtype=np.float64))
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        paper = Image.new("RGBA", upright.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(paper, upright.convert("RGBA"))
    return np.asarray(upright.convert("L"), dtype=np.float32)


def border_level(gray: np.ndarray) -> float:
    """The background level: the median of the outermost rows and columns."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border))


def ink_on_black(gray: np.ndarray) -> np.ndarray:
    """Ink strength 0-255 over a 0 background, inverting dark-on-light pictures.

    The background level (from the border) is subtracted and the contrast stretched to 255,
    so grey paper and faded ink look like MNIST's black field and white strokes.
    """
    background = border_level(gray)
    ink = background - gray if background > MID_GREY else gray - background
    ink = np.clip(ink, 0.0, None)
    strongest = float(ink.max())
    if strongest < MIN_CONTRAST:
        raise DataError("no digit found: the picture is blank or has almost no contrast")
    return ink * (255.0 / strongest)


def ink_box(ink: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the smallest box holding every ink pixel."""
    rows = np.flatnonzero((ink > INK_THRESHOLD * 255.0).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD * 255.0).any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def fit_box(digit: np.ndarray, box_size: int = BOX_SIZE) -> np.ndarray:
    """Scale so the longer side is `box_size`, keeping the aspect ratio, anti-aliased."""
    height, width = digit.shape
    scale = box_size / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32)).resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 255.0)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted mean row and column."""
    total = float(image.sum())
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum()) / total, float((cols * image).sum()) / total


def place_by_mass(digit: np.ndarray, field_size: int = FIELD_SIZE) -> np.ndarray:
    """Put `digit` in a field_size square so its centre of mass lands on the centre.

    The shift is rounded to whole pixels (as MNIST's was) and clamped so no ink falls off.
    """
    height, width = digit.shape
    mass_row, mass_col = centre_of_mass(digit)
    centre = field_size / 2.0
    top = int(np.clip(round(centre - mass_row), 0, field_size - height))
    left = int(np.clip(round(centre - mass_col), 0, field_size - width))
    field = np.zeros((field_size, field_size), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field


def mnist_like(gray: np.ndarray) -> np.ndarray:
    """A grayscale picture of one digit (any size, any polarity) as a 28x28 uint8 MNIST image."""
    if gray.ndim != 2 or min(gray.shape) < 2:
        raise DataError(f"expected a 2-D picture of at least 2x2 pixels, got shape {gray.shape}")
    ink = ink_on_black(gray.astype(np.float32))
    rows, cols = ink_box(ink)
    digit = fit_box(ink[rows, cols])
    return np.rint(place_by_mass(digit)).astype(np.uint8)
