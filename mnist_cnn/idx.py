"""The IDX file format of MNIST (big-endian header, then raw unsigned bytes), parsed strictly."""

from __future__ import annotations

import math
import zlib

import numpy as np

from mnist_cnn.errors import DataError

# Magic number: two zero bytes, a type code, the number of dimensions.
UNSIGNED_BYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"
# zlib's window bits for a gzip wrapper (16 + the largest window).
GZIP_WBITS = 16 + zlib.MAX_WBITS
# Output asked of zlib per call: small steps, so no call builds a large block to copy again.
INFLATE_STEP = 1 << 20
# The largest MNIST file (train images) is 47,040,016 bytes; a header claiming more than 64 MiB
# is refused, so no copy, however it lies, makes us hold more than that.
MAX_IDX_BYTES = 64 * 1024 * 1024
# The four files of the MNIST distribution, by role.
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
MNIST_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


def idx_dims(head: bytes | bytearray, name: str) -> tuple[int, ...] | None:
    """The dimensions declared by an IDX file that starts with `head`, or None while `head` is
    too short to hold them all.

    Refuses, naming the file, as soon as `head` shows a bad magic number, a type other than
    unsigned byte, or no dimensions.
    """
    if len(head) < 4:
        return None
    if head[0:2] != b"\x00\x00":
        raise DataError(f"{name}: not an IDX file (bad magic number {head[:4].hex()})")
    type_code, num_dims = head[2], head[3]
    if type_code != UNSIGNED_BYTE:
        raise DataError(f"{name}: IDX type 0x{type_code:02x} is not unsigned byte (0x08)")
    if num_dims < 1:
        raise DataError(f"{name}: IDX header declares no dimensions")
    if len(head) < 4 + 4 * num_dims:
        return None
    return tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dims))


def shape_text(dims: tuple[int, ...]) -> str:
    return "x".join(map(str, dims))


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file of unsigned bytes into an array.

    Refuses, naming the file: a bad magic number, a non-uint8 type, and a body whose length
    disagrees with the dimensions in the header (short read or trailing bytes).
    """
    if len(data) < 4:
        raise DataError(f"{name}: not an IDX file (bad magic number {data.hex() or 'empty'})")
    dims = idx_dims(data, name)
    if dims is None:
        raise DataError(f"{name}: truncated IDX header ({len(data)} bytes)")
    header_size = 4 + 4 * len(dims)
    expected = math.prod(dims)
    actual = len(data) - header_size
    if actual != expected:
        raise DataError(
            f"{name}: IDX header says {shape_text(dims)} = {expected} bytes of data but the file "
            f"has {actual} (short read or wrong count)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def encode_idx(array: np.ndarray) -> bytes:
    """The inverse of parse_idx, for uint8 arrays (used to write fixtures and checks)."""
    if array.dtype != np.uint8:
        raise ValueError(f"encode_idx needs uint8, got {array.dtype}")
    header = bytes([0, 0, UNSIGNED_BYTE, array.ndim])
    return header + np.asarray(array.shape, dtype=">u4").tobytes() + array.tobytes()


def allowed_size(head: bytes | bytearray, name: str, max_bytes: int) -> int:
    """The most bytes an IDX file starting with `head` may have, as far as its header is known:
    4 before the magic number, then the header's own size, then the header's declared total."""
    if len(head) < 4:
        return 4
    dims = idx_dims(head, name)
    if dims is None:
        return 4 + 4 * head[3]
    size = 4 + 4 * len(dims) + math.prod(dims)
    if size > max_bytes:
        raise DataError(
            f"{name}: IDX header declares {shape_text(dims)} = {size:,} bytes, over the limit "
            f"of {max_bytes:,} bytes for one file"
        )
    return size


def gunzip_idx(data: bytes, name: str, max_bytes: int) -> bytes:
    """Gunzip `data` incrementally, never producing more than the IDX header inside declares.

    The header is read as it comes out of the stream; from then on zlib is asked for at most
    one byte beyond the declared size, so a gzip bomb is stopped after that many bytes.
    """
    output = bytearray()
    pending = data
    inflater = zlib.decompressobj(GZIP_WBITS)
    while True:
        # One byte more than allowed: a stream that goes on shows itself with the least output.
        wanted = min(allowed_size(output, name, max_bytes) - len(output) + 1, INFLATE_STEP)
        chunk = inflater.decompress(pending, wanted)
        output += chunk
        pending = inflater.unconsumed_tail
        allowed = allowed_size(output, name, max_bytes)
        if len(output) > allowed:
            raise DataError(
                f"{name}: gzip data goes on past the {allowed:,} bytes its IDX header declares "
                "(trailing bytes or a gzip bomb)"
            )
        if inflater.eof:
            # gzip allows several members one after another, and zero bytes as padding.
            pending = inflater.unused_data.lstrip(b"\x00")
            if not pending:
                return bytes(output)
            if not pending.startswith(GZIP_MAGIC):
                raise DataError(f"{name}: corrupt or truncated gzip data (trailing bytes)")
            inflater = zlib.decompressobj(GZIP_WBITS)
        elif len(chunk) < wanted:
            # zlib had room for more output, so it ran out of input before the stream's end.
            raise DataError(f"{name}: corrupt or truncated gzip data (the stream ends early)")


def decompress(data: bytes, name: str, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Gunzip `data` if it is gzip, never beyond the size its IDX header declares or
    `max_bytes`; a broken, truncated or overlong gzip stream is refused by name."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gunzip_idx(data, name, max_bytes)
    except zlib.error as error:
        raise DataError(f"{name}: corrupt or truncated gzip data ({error})") from None
