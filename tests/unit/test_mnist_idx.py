import gzip

import numpy as np
import pytest

from mnist_cnn.errors import DataError
from mnist_cnn.idx import decompress, encode_idx, parse_idx


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
