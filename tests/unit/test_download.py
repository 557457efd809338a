import gzip

import pytest

from mnist_cnn.data.mirrors import (
    MirrorRefused,
    TransientError,
    fetch_verified,
    make_fetcher,
    read_http,
    read_local,
    verified_copy,
)
from mnist_cnn.errors import DataError
from mnist_cnn.idx import TEST_LABELS
from mnist_cnn.params import DownloadParams


def settings(mirrors, attempts=3):
    return DownloadParams(
        mirrors=tuple(mirrors),
        sha256={},
        attempts=attempts,
        backoff_seconds=0.5,
        timeout_seconds=1.0,
    )


GOOD = b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"\x07\x09"


def sha(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_good_copy_is_decompressed_and_accepted():
    assert verified_copy(gzip.compress(GOOD), "f", sha(GOOD)) == GOOD


def test_checksum_mismatch_is_refused():
    with pytest.raises(MirrorRefused, match="SHA-256 mismatch"):
        verified_copy(GOOD, "f", "0" * 64)


def test_bad_copy_falls_through_to_the_next_mirror_and_is_never_returned():
    served = {"bad": GOOD[:-1] + b"\x08", "good": GOOD}
    data, mirror = fetch_verified(
        "f",
        sha(GOOD),
        settings(["bad", "good"]),
        lambda mirror, name: served[mirror],
        sleep=lambda s: None,
    )
    assert (data, mirror) == (GOOD, "good")


def test_transient_errors_are_retried_with_doubling_backoff():
    calls, waits = [], []

    def flaky(mirror, name):
        calls.append(mirror)
        if len(calls) < 3:
            raise TransientError("connection reset")
        return GOOD

    data, _ = fetch_verified("f", sha(GOOD), settings(["m"]), flaky, sleep=waits.append)
    assert data == GOOD and len(calls) == 3 and waits == [0.5, 1.0]


def test_no_good_mirror_names_each_one_and_why():
    def fetch(mirror, name):
        if mirror == "down":
            raise TransientError("timed out")
        return GOOD if mirror == "wrong" else b"junk"

    with pytest.raises(DataError) as raised:
        fetch_verified(
            "f",
            "0" * 64,
            settings(["down", "wrong", "junk"], attempts=2),
            fetch,
            sleep=lambda s: None,
        )
    message = str(raised.value)
    assert message.startswith("no mirror served a good copy of f.")
    assert "down: try 1: timed out; down: try 2: timed out" in message
    assert "wrong: SHA-256 mismatch" in message
    assert "junk: f: not an IDX file" in message


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://[::1/t10k-labels-idx1-ubyte.gz", "Invalid IPv6 URL"),
        ("http://mirror:80a/t10k-labels-idx1-ubyte.gz", "nonnumeric port: '80a'"),
        ("http://a..b/t10k-labels-idx1-ubyte.gz", "encoding with 'idna' codec failed"),
        ("http://a b/t10k-labels-idx1-ubyte.gz", "URL can't contain control characters"),
    ],
)
def test_a_url_urllib_cannot_request_is_refused_not_raised(url, reason):
    with pytest.raises(MirrorRefused) as raised:
        read_http(url, timeout=1.0, progress=None)
    assert str(raised.value).startswith(f"not a valid URL ({reason}")


def test_a_mirror_with_a_bad_url_falls_through_to_the_next(idx_mirror):
    """Params refuse such a URL first; a DownloadParams built in code still cannot crash."""
    mirror, checksums = idx_mirror
    data, served_by = fetch_verified(
        TEST_LABELS,
        checksums[TEST_LABELS],
        settings(["http://[::1", str(mirror)], attempts=2),
        make_fetcher(timeout=1.0, show_progress=False),
        sleep=lambda s: None,
    )
    assert served_by == str(mirror) and sha(data) == checksums[TEST_LABELS]


def test_local_file_over_the_limit_is_refused_unread(tmp_path):
    packed = gzip.compress(GOOD, mtime=0)
    (tmp_path / "f.gz").write_bytes(packed)
    size = len(packed)
    with pytest.raises(MirrorRefused) as raised:
        read_local(str(tmp_path), "f", max_bytes=size - 1)
    assert (
        str(raised.value) == f"f.gz: size {size} is over the limit of {size - 1} bytes for one file"
    )
    assert read_local(str(tmp_path), "f", max_bytes=size) == packed
