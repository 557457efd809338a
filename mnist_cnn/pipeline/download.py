"""Stage `download`: the four MNIST IDX files, each the first good copy over the mirrors."""

from __future__ import annotations

import sys

from mnist_cnn import files
from mnist_cnn.data.mirrors import fetch_verified, make_fetcher
from mnist_cnn.layout import Layout
from mnist_cnn.params import Params


def run(layout: Layout, params: Params) -> None:
    settings = params.download
    fetch = make_fetcher(settings.timeout_seconds, sys.stderr.isatty())
    verified = {}
    for filename, sha256 in settings.sha256.items():
        verified[filename], _ = fetch_verified(filename, sha256, settings, fetch)
    # Written only once all four are good, into a folder that replaces data/raw only when
    # complete, so a failed or killed run leaves the old data/raw or none, never a mix.
    with files.atomic_directory(layout.raw_dir) as staging:
        for filename, data in verified.items():
            files.write_bytes(staging / filename, data)
