"""A picture file to an MNIST-like digit: opened, its size checked, decoded, prepared."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnist_cnn.errors import DataError
from mnist_cnn.predict.digit_image import grayscale, mnist_like

# A 48-megapixel phone photo fits; decoding and preparing take about 16 bytes and 60 ns a pixel
# (measured at 48 megapixels), so one picture costs at most about 800 MB and 3 seconds.
MAX_PICTURE_PIXELS = 50_000_000


@contextlib.contextmanager
def pillow_size_check_off() -> Iterator[None]:
    """Pillow's own size check (a warning from 89 megapixels, an error from 179, neither in one
    line with the picture's size) is off while a picture is opened: check_size does it."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PICTURE_PIXELS:
        raise DataError(
            f"{width}x{height} = {width * height:,} pixels is over the limit of "
            f"{MAX_PICTURE_PIXELS:,} pixels for one picture; scale it down"
        )


def decoded_grayscale(path: Path) -> np.ndarray:
    """The picture at `path` in grey levels 0-255, its size checked before any pixel is decoded
    (Pillow knows the size from the header once the file is open)."""
    with pillow_size_check_off():
        opened = Image.open(path)
    with opened as image:
        check_size(image.size)
        image.load()
        return grayscale(image)


def read_picture(path: Path) -> np.ndarray:
    """The picture at `path` as MNIST-like 28x28 uint8 pixels; DataError says what is wrong."""
    try:
        return mnist_like(decoded_grayscale(path))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not an image") from None
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image Pillow can read (PNG or JPEG expected)") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(f"{path}: unreadable image ({error})") from None
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
