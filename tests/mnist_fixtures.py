"""Tiny, learnable MNIST look-alikes written as real IDX (.gz) files, for fast tests."""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from mnist_cnn.idx import (
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    UNSIGNED_BYTE,
    encode_idx,
)

# Zero bytes per repeated piece of a gzip bomb.
BOMB_STEP = 1 << 20


def synthetic_digits(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images whose class is a bright 7x7 block at one of ten spots, plus noise.

    Every class appears equally often, so stratified splits always work.
    """
    rng = np.random.default_rng(seed)
    labels = np.resize(np.arange(10, dtype=np.uint8), count)
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(count, 28, 28), dtype=np.uint8)
    for index, label in enumerate(labels):
        row, col = divmod(int(label), 5)
        top, left = 3 + row * 12, 1 + col * 5
        images[index, top : top + 7, left : left + 5] = 230
    return images, labels


def write_idx_set(
    directory: Path, num_train: int = 400, num_test: int = 100, seed: int = 0
) -> dict[str, str]:
    """Write the four .gz files to `directory`; returns SHA-256 of each decompressed file."""
    directory.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = synthetic_digits(num_train, seed)
    test_images, test_labels = synthetic_digits(num_test, seed + 1)
    checksums = {}
    for name, array in (
        (TRAIN_IMAGES, train_images),
        (TRAIN_LABELS, train_labels),
        (TEST_IMAGES, test_images),
        (TEST_LABELS, test_labels),
    ):
        data = encode_idx(array)
        (directory / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
        checksums[name] = hashlib.sha256(data).hexdigest()
    return checksums


def gzip_bomb(dims: tuple[int, ...], zero_mib: int) -> bytes:
    """A valid gzip file of an IDX header declaring `dims` followed by `zero_mib` MiB of zeros.

    After a full flush deflate starts afresh, so one MiB of zeros compresses to the same bytes
    every time: those bytes are repeated instead of compressing gigabytes, and the bomb takes
    about a thousandth of what it inflates to, in memory and in time.
    """
    header = bytes([0, 0, UNSIGNED_BYTE, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    zeros = bytes(BOMB_STEP)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    zeros_deflated = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = zlib.crc32(header)
    for _ in range(zero_mib):
        crc = zlib.crc32(zeros, crc)
    # Deflate, no flags, no date, best compression, unknown system; the trailer: CRC-32, size.
    gzip_header = b"\x1f\x8b\x08\x00" + bytes(4) + b"\x02\xff"
    size = (len(header) + zero_mib * BOMB_STEP) % 2**32
    return gzip_header + start + zeros_deflated * zero_mib + end + struct.pack("<II", crc, size)
