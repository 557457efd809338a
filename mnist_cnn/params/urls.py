"""Mirror addresses: an http(s) URL that urllib can request; anything else is a local folder.

Here, beside the validator that refuses a bad `download.mirrors` entry, so that imports run one
way: mnist_cnn/data/mirrors.py reads `is_url` from the params, never the params from data/.
"""

from __future__ import annotations

import re
import urllib.parse

# http.client refuses these in a URL (they would end or split the request line).
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def is_url(mirror: str) -> bool:
    return mirror.startswith(("http://", "https://"))


def url_problem(url: str) -> str | None:
    """Why urllib could not request `url` (unparsable, bad port, no or unencodable host),
    or None when it can."""
    if match := _SPACE_OR_CONTROL.search(url):
        return f"it contains a space or control character ({match.group()!r})"
    try:
        parts = urllib.parse.urlsplit(url)
        # Each raises ValueError on what urllib would fail on later: a port that is not a
        # number from 0 to 65535, a host name that cannot be encoded (`a..b`).
        parts.port  # noqa: B018
        if parts.hostname:
            parts.hostname.encode("idna")
    except ValueError as error:
        return str(error)
    if not parts.hostname:
        return "no host"
    return None
