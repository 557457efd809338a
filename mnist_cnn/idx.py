"""The IDX file format of MNIST (big-endian header, then raw unsigned bytes), parsed strictly."""

from __future__ import annotations

import gzip
import zlib

import numpy as np

from mnist_cnn.errors import DataError

# Magic number: two zero bytes, a type code, the number of dimensions.
UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# The four files of the MNIST distribution, by role.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file of unsigned bytes into an array.

    Refuses, naming the file: a bad magic number, a non-uint8 type, and a body whose length
    disagrees with the dimensions in the header (short read or trailing bytes).
    """
    if len(data) < 4 or data[0:2] != b"\x00\x00":
        raise DataError(f"{name}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    type_code, num_dims = data[2], data[3]
    if type_code != UNSIGNED_BYTE:
        raise DataError(f"{name}: IDX type 0x{type_code:02x} is not unsigned byte (0x08)")
    if num_dims < 1:
        raise DataError(f"{name}: IDX header declares no dimensions")
    header_size = 4 + 4 * num_dims
    if len(data) < header_size:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=num_dims, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    actual = len(data) - header_size
    if actual != expected:
        shape = "x".join(map(str, dims))
        raise DataError(
            f"{name}: IDX header says {shape} = {expected} bytes of data but the file "
            f"has {actual} (short read or wrong count)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def encode_idx(array: np.ndarray) -> bytes:
    """The inverse of parse_idx, for uint8 arrays (used to write fixtures and checks)."""
    if array.dtype != np.uint8:
        raise ValueError(f"encode_idx needs uint8, got {array.dtype}")
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim])
    return header + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()


def decompress(data: bytes, name: str) -> bytes:
    """Gunzip `data` if it is gzip; a broken or truncated gzip stream is refused by name."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{name}: corrupt or truncated gzip data ({error})") from None
