"""Run by a shell under test: write the managed variables it exported, as hex, to a JSON file.

Reading os.environb in a child process sees exactly what the shell exported, byte for byte,
with no shell quoting or echo in between. Windows keeps the environment as UTF-16 text, so
there the bytes are its UTF-8 form.

`dump_environment.py OUT --user-environment NAMES...` reads the Windows user environment
(HKCU\\Environment) instead: what a window opened from now on starts with.
"""

import json
import os
import sys


def process_environment(names):
    if os.supports_bytes_environ:
        return {name: os.environb.get(name.encode()) for name in names}
    return {
        name: os.environ[name].encode("utf-8", "surrogatepass") if name in os.environ else None
        for name in names
    }


def user_environment(names):
    import winreg

    values = {}
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment") as key:
        for name in names:
            try:
                value, _kind = winreg.QueryValueEx(key, name)
            except FileNotFoundError:
                values[name] = None
            else:
                values[name] = str(value).encode("utf-8", "surrogatepass")
    return values


if sys.argv[2:3] == ["--user-environment"]:
    found = user_environment(sys.argv[3:])
else:
    found = process_environment(sys.argv[2:])

with open(sys.argv[1], "w", encoding="ascii") as out:
    json.dump({name: None if value is None else value.hex() for name, value in found.items()}, out)
