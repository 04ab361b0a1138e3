"""A browser for tests: records the arguments it was started with, then asks for the address it
was given as a browser would, without following the redirect, and records the answer.

Run as `python fake_browser.py RECORD_FILE ADDRESS` (tests put it in BROWSER with `%s`).
"""

from __future__ import annotations

import http.client
import json
import sys
import urllib.parse


def main() -> int:
    record_path, address = sys.argv[1], sys.argv[-1]
    record: dict[str, object] = {"argv": sys.argv[1:]}
    try:
        parts = urllib.parse.urlsplit(address)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        record["status"] = response.status
        record["location"] = response.getheader("Location")
    except Exception as error:
        record["error"] = repr(error)
    with open(record_path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
