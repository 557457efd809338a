"""Digit pictures as a user would hand them in: typeset digits on paper, and real MNIST as PNGs."""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from mnist_cnn.idx import TEST_IMAGES, TEST_LABELS, parse_idx

FONT_FAMILIES = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono")
FONT_SIZES = (24, 60, 150)
ANGLES = (-6.0, 0.0, 6.0)


@dataclass(frozen=True)
class Picture:
    image: Image.Image
    digit: int
    description: str


def typeset_digit(
    digit: int, family: str, size: int, angle: float, paper: int = 255, ink: int = 0
) -> Image.Image:
    """One digit in `family` at `size` px on a page 3x as large, rotated by `angle` degrees."""
    font = ImageFont.truetype(font_manager.findfont(family), size)
    page = Image.new("L", (3 * size, 3 * size), paper)
    ImageDraw.Draw(page).text(
        (1.5 * size, 1.5 * size), str(digit), fill=ink, font=font, anchor="mm"
    )
    return page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)


def typeset_digits() -> Iterator[Picture]:
    """Every digit in three fonts, three sizes and three tilts: 270 pictures, dark on light.

    Half the pages are grey paper with dark grey ink in colour, the rest black on white.
    """
    for family in FONT_FAMILIES:
        for size in FONT_SIZES:
            for angle in ANGLES:
                for digit in range(10):
                    grey = (digit + size) % 2 == 1
                    page = typeset_digit(
                        digit,
                        family,
                        size,
                        angle,
                        paper=215 if grey else 255,
                        ink=50 if grey else 0,
                    )
                    picture = page.convert("RGB") if grey else page
                    yield Picture(picture, digit, f"{family} {size}px {angle:+.0f} deg")


def mnist_test_digits(mnist_dir: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` images and labels of MNIST's test set."""
    images = parse_idx(gzip.decompress((mnist_dir / f"{TEST_IMAGES}.gz").read_bytes()), TEST_IMAGES)
    labels = parse_idx(gzip.decompress((mnist_dir / f"{TEST_LABELS}.gz").read_bytes()), TEST_LABELS)
    return images[:count], labels[:count]


# PNG colour types (the PNG specification, section 11.2.2).
PNG_GREY = 0
PNG_RGB = 2


def png_file(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG file written by hand, for what Pillow will not write: 16-bit colour, or a header
    declaring a size whose pixels are not there. `rows` is the raw data before compression."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png_rows(levels: np.ndarray) -> bytes:
    """Big-endian samples (height x width, or x channels) as PNG rows, each unfiltered."""
    samples = levels.astype(levels.dtype.newbyteorder(">")).reshape(levels.shape[0], -1)
    raw = samples.view(np.uint8)
    return np.hstack([np.zeros((raw.shape[0], 1), dtype=np.uint8), raw]).tobytes()
