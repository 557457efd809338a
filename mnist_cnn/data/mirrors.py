"""Fetching the four MNIST IDX files from the first mirror that serves a good copy.

A copy is good when its decompressed bytes match the SHA-256 in params.yaml and parse as IDX.
Network errors are retried with exponential backoff; a wrong or malformed file is never retried
on the same mirror and never written: the next mirror is tried. So is a copy that would take
more memory than any MNIST file: more than MAX_DOWNLOAD_BYTES served, or more than its IDX
header declares once inflated. Files are stored decompressed, so the DVC hash of `data/raw`
does not depend on which mirror's gzip wrapper was used.
"""

from __future__ import annotations

import http.client
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mnist_cnn import files
from mnist_cnn.errors import DataError
from mnist_cnn.idx import MAX_IDX_BYTES, decompress, parse_idx
from mnist_cnn.params import DownloadParams
from mnist_cnn.params.urls import is_url

CHUNK_BYTES = 1 << 16
# A mirror serves an IDX file or its gzip, which is a little larger than incompressible data; a
# body beyond this is refused however the mirror declares it, so none can stream forever.
MAX_DOWNLOAD_BYTES = MAX_IDX_BYTES + (1 << 20)


class TransientError(Exception):
    """A failure worth retrying on the same mirror: a dropped connection, a timeout, a 5xx."""


class MirrorRefused(Exception):
    """This mirror cannot serve the file (missing, 4xx, wrong or malformed bytes): try the next."""


@dataclass(frozen=True)
class Attempt:
    mirror: str
    reason: str


def declared_length(header: str | None) -> int | None:
    """The Content-Length as a number, or None when absent or not a plain decimal number."""
    return int(header) if header is not None and header.isdigit() else None


def over_limit(name: str, max_bytes: int, what: str) -> MirrorRefused:
    return MirrorRefused(f"{name}: {what} is over the limit of {max_bytes:,} bytes for one file")


def read_body(
    response: http.client.HTTPResponse,
    name: str,
    max_bytes: int,
    progress: Callable[[int, int], None] | None,
) -> bytes:
    """The body of `response`, refused as soon as it is or would be longer than `max_bytes`.

    A short body (connection dropped mid-file) is a TransientError.
    """
    expected = declared_length(response.headers.get("Content-Length"))
    if expected is not None and expected > max_bytes:
        raise over_limit(name, max_bytes, f"Content-Length {expected:,}")
    body = bytearray()
    while chunk := response.read(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise over_limit(name, max_bytes, "the body sent")
        if progress:
            progress(len(body), -1 if expected is None else expected)
    if expected is not None and len(body) != expected:
        raise TransientError(f"connection dropped after {len(body)} of {expected} bytes")
    return bytes(body)


def read_http(
    url: str,
    timeout: float,
    progress: Callable[[int, int], None] | None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> bytes:
    """GET `url` fully, at most `max_bytes`; network failures are TransientErrors, a URL that
    cannot be requested or a body over the limit is MirrorRefused."""
    name = url.rsplit("/", 1)[-1]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return read_body(response, name, max_bytes, progress)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise TransientError(f"HTTP {error.code}") from None
        raise MirrorRefused(f"HTTP {error.code}") from None
    except (ValueError, http.client.InvalidURL) as error:
        # What urllib raises for a URL it cannot parse or send: `http://[::1`, a space in the host.
        raise MirrorRefused(f"not a valid URL ({error})") from None
    except (
        urllib.error.URLError,
        TimeoutError,
        ConnectionError,
        http.client.HTTPException,
        OSError,
    ) as error:
        raise TransientError(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from None


def read_local(directory: str, filename: str, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """Read `filename` (.gz or plain) from a local mirror directory, at most `max_bytes`."""
    for candidate in (Path(directory) / f"{filename}.gz", Path(directory) / filename):
        if candidate.is_file():
            size = candidate.stat().st_size
            if size > max_bytes:
                raise over_limit(candidate.name, max_bytes, f"size {size:,}")
            return candidate.read_bytes()
    raise MirrorRefused(f"no {filename}.gz or {filename} in {directory}")


def verified_copy(raw: bytes, filename: str, sha256: str) -> bytes:
    """Decompress and check `raw`; MirrorRefused says why a copy is not good."""
    try:
        data = decompress(raw, filename)
        parse_idx(data, filename)
    except DataError as error:
        raise MirrorRefused(str(error)) from None
    actual = files.sha256_hex(data)
    if actual != sha256:
        raise MirrorRefused(f"SHA-256 mismatch: got {actual[:16]}..., expected {sha256[:16]}...")
    return data


def fetch_verified(
    filename: str,
    sha256: str,
    settings: DownloadParams,
    fetch: Callable[[str, str], bytes],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bytes, str]:
    """The first good copy of `filename` over the mirrors, and the mirror that served it.

    Raises DataError naming every mirror tried and why each failed.
    """
    attempts: list[Attempt] = []
    for mirror in settings.mirrors:
        for attempt in range(settings.attempts):
            try:
                return verified_copy(fetch(mirror, filename), filename, sha256), mirror
            except TransientError as error:
                attempts.append(Attempt(mirror, f"try {attempt + 1}: {error}"))
                if attempt + 1 < settings.attempts:
                    sleep(settings.backoff_seconds * 2**attempt)
            except MirrorRefused as error:
                attempts.append(Attempt(mirror, str(error)))
                break
    tried = "; ".join(f"{a.mirror}: {a.reason}" for a in attempts)
    raise DataError(f"no mirror served a good copy of {filename}. Tried {tried}")


def make_fetcher(timeout: float, show_progress: bool) -> Callable[[str, str], bytes]:
    def fetch(mirror: str, filename: str) -> bytes:
        if not is_url(mirror):
            return read_local(mirror, filename)
        url = f"{mirror.rstrip('/')}/{filename}.gz"

        def progress(received: int, expected: int) -> None:
            total = f"/{expected // 1024} KiB" if expected > 0 else " KiB"
            print(f"\r{filename}: {received // 1024}{total}", end="", file=sys.stderr)

        data = read_http(url, timeout, progress if show_progress else None)
        if show_progress:
            print(file=sys.stderr)
        return data

    return fetch
