import gzip
import tracemalloc

import numpy as np
import pytest

from mnist_cnn.errors import DataError
from mnist_cnn.idx import MAX_IDX_BYTES, decompress, encode_idx, parse_idx
from tests.mnist_fixtures import BOMB_STEP, gzip_bomb


def test_round_trip_keeps_shape_and_pixels():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    parsed = parse_idx(encode_idx(images), "images")
    assert parsed.shape == (2, 3, 4)
    np.testing.assert_array_equal(parsed, images)


def test_header_is_big_endian_as_in_the_mnist_spec():
    data = encode_idx(np.zeros((1, 28, 28), dtype=np.uint8))
    assert data[:4] == bytes([0, 0, 8, 3])
    assert data[4:8] == (1).to_bytes(4, "big") and data[8:12] == (28).to_bytes(4, "big")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x00", "bad magic number"),
        (b"\x00\x00\x0d\x01" + (1).to_bytes(4, "big") + b"\x00", "not unsigned byte"),
        (b"\x00\x00\x08\x02" + (5).to_bytes(4, "big"), "truncated IDX header"),
        (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"\x00\x01", "short read or wrong count"),
        (b"\x00\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x00\x01", "short read or wrong count"),
        (b"", "bad magic number"),
    ],
)
def test_malformed_files_are_refused_with_their_name(data, message):
    with pytest.raises(DataError, match=message) as raised:
        parse_idx(data, "labels.idx")
    assert "labels.idx" in str(raised.value)


def test_decompress_passes_plain_bytes_and_refuses_truncated_gzip():
    payload = encode_idx(np.ones((3,), dtype=np.uint8))
    assert decompress(payload, "plain") == payload
    assert decompress(gzip.compress(payload), "packed") == payload
    with pytest.raises(DataError, match="truncated.gz: corrupt or truncated gzip"):
        decompress(gzip.compress(payload)[:-6], "truncated.gz")


def test_a_small_gzip_bomb_is_valid_gzip():
    """The bombs of the tests below are real gzip files, not streams that break by themselves."""
    data = gzip.decompress(gzip_bomb((3,), 2))
    assert data == b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes(2 * BOMB_STEP)


def test_gzip_bomb_stops_one_byte_past_the_size_its_header_declares():
    bomb = gzip_bomb((10, 28, 28), 256)  # 7,856 bytes declared, 256 MiB of zeros inside
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as raised:
            decompress(bomb, "images")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(raised.value) == (
        "images: gzip data goes on past the 7,856 bytes its IDX header declares "
        "(trailing bytes or a gzip bomb)"
    )
    # Measured: 0.6 MiB (copies of the bomb's compressed tail), against 256 MiB inflated.
    assert peak < 4 * 2**20


@pytest.mark.parametrize(
    "dims, declared",
    [((100_000, 28, 28), "100000x28x28 = 78,400,016"), ((2**32 - 1,) * 3, "4294967295x")],
)
def test_header_declaring_more_than_the_limit_is_refused_before_its_data(dims, declared):
    with pytest.raises(DataError) as raised:
        decompress(gzip_bomb(dims, 1), "images")
    message = str(raised.value)
    assert message.startswith(f"images: IDX header declares {declared}")
    assert message.endswith(f"over the limit of {MAX_IDX_BYTES:,} bytes for one file")


def test_concatenated_gzip_members_and_zero_padding_are_one_file():
    payload = encode_idx(np.arange(6, dtype=np.uint8))
    packed = gzip.compress(payload[:7]) + gzip.compress(payload[7:]) + bytes(8)
    assert decompress(packed, "labels") == payload


def test_garbage_after_the_gzip_stream_is_refused():
    payload = encode_idx(np.arange(6, dtype=np.uint8))
    with pytest.raises(DataError, match="labels: corrupt or truncated gzip data"):
        decompress(gzip.compress(payload[:9]) + b"junk", "labels")
