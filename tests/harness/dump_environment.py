"""Run by a shell under test: write the managed variables it exported, as hex, to a JSON file.

Reading os.environb in a child process sees exactly what the shell exported, byte for byte,
with no shell quoting or echo in between.
"""

import json
import os
import sys

NAMES = sys.argv[2:]

with open(sys.argv[1], "w", encoding="ascii") as out:
    json.dump(
        {
            name: os.environb[name.encode()].hex() if name.encode() in os.environb else None
            for name in NAMES
        },
        out,
    )
