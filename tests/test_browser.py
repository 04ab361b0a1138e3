"""envgen.browser: a secret URL reaches the browser through a one-time loopback redirect, never
through a process argument, and only a process of the same user gets it."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from conftest import HARNESS
from envgen import browser
from envgen.errors import EnvgenError, UsageError

SECRET_URL = "https://signin.example.com/federation?Action=login&SigninToken=SECRET-TOKEN"


def fake_browser(record: Path) -> list[str]:
    return [sys.executable, str(HARNESS / "fake_browser.py"), str(record), "%s"]


def test_the_browser_gets_a_loopback_address_and_is_redirected_once(tmp_path):
    record = tmp_path / "browser.json"
    warnings: list[str] = []
    browser.open_secret_url(SECRET_URL, fake_browser(record), warnings.append, wait_seconds=30)
    seen = json.loads(record.read_text())
    (address,) = seen["argv"][1:]
    assert address.startswith("http://127.0.0.1:")
    assert "SECRET-TOKEN" not in " ".join(seen["argv"])
    assert seen["status"] == 303
    assert seen["location"] == SECRET_URL
    assert warnings == []


def test_the_redirect_is_served_once_and_then_gone(tmp_path):
    # The browser asks twice (a reload): the second time nothing answers any more.
    script = (
        "import http.client, json, os, sys, urllib.parse\n"
        "parts = urllib.parse.urlsplit(sys.argv[2])\n"
        "statuses = []\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)\n"
        "        c.request('GET', parts.path)\n"
        "        statuses.append(c.getresponse().status)\n"
        "    except OSError:\n"
        "        statuses.append('closed')\n"
        # Whole or not at all: the test reads the record as soon as it exists.
        "with open(sys.argv[1] + '.part', 'w') as part:\n"
        "    part.write(json.dumps(statuses))\n"
        "os.replace(sys.argv[1] + '.part', sys.argv[1])\n"
    )
    record = tmp_path / "statuses.json"
    command = [sys.executable, "-c", script, str(record), "%s"]
    browser.open_secret_url(SECRET_URL, command, print, wait_seconds=30)
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    first, second = json.loads(record.read_text())
    assert first == 303
    assert second in ("closed", 410)


def test_a_wrong_path_gets_nothing(tmp_path):
    script = (
        "import http.client, sys, urllib.parse\n"
        "parts = urllib.parse.urlsplit(sys.argv[1])\n"
        "c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)\n"
        "c.request('GET', '/guess')\n"
        "sys.exit(0 if c.getresponse().status == 404 else 3)\n"
    )
    with pytest.raises(EnvgenError, match="no browser came for the sign-in page within 1 s"):
        browser.open_secret_url(SECRET_URL, [sys.executable, "-c", script], print, wait_seconds=1)


@pytest.mark.posix("/proc/net/tcp, and root to act as another user")
@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0 or not os.path.exists(browser.PROC_NET_TCP),
    reason="acting as another user needs root, and the owner check Linux's /proc/net/tcp",
)
def test_another_user_asking_first_is_refused_and_the_browser_still_served(tmp_path):
    # The "browser" first lets a process of user nobody ask for the address it read, as any
    # local user can from the browser's arguments, then asks itself.
    script = (
        "import http.client, json, os, sys, urllib.parse\n"
        "parts = urllib.parse.urlsplit(sys.argv[2])\n"
        "def ask():\n"
        "    c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)\n"
        "    c.request('GET', parts.path)\n"
        "    r = c.getresponse()\n"
        "    return [r.status, r.getheader('Location')]\n"
        # Python loads the codec for host names lazily, from files user nobody cannot read.
        "'x'.encode('idna')\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os.setgid(65534); os.setuid(65534)\n"
        "    os._exit(0 if ask()[0] == 403 else 3)\n"
        "_, status = os.waitpid(child, 0)\n"
        "mine = ask()\n"
        # Whole or not at all, as above.
        "with open(sys.argv[1] + '.part', 'w') as part:\n"
        "    part.write(json.dumps([os.waitstatus_to_exitcode(status), mine]))\n"
        "os.replace(sys.argv[1] + '.part', sys.argv[1])\n"
    )
    record = tmp_path / "record.json"
    warnings: list[str] = []
    command = [sys.executable, "-c", script, str(record), "%s"]
    browser.open_secret_url(SECRET_URL, command, warnings.append, wait_seconds=30)
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    intruder_status, mine = json.loads(record.read_text())
    assert intruder_status == 0  # the other user got 403
    assert mine == [303, SECRET_URL]
    assert len(warnings) == 1 and "another user" in warnings[0]
    assert "SECRET" not in warnings[0]


def test_the_owner_of_a_socket_is_read_from_the_kernel_table():
    table = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000 "
        "       0 12345 1 0000000000000000 20 4 30 10 -1\n"
        "   1: 0100007F:1F90 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0 "
        "       0 12346 1 0000000000000000 20 4 30 10 -1\n"
    )
    if sys.byteorder != "little":
        pytest.skip("the sample table is a little-endian host's")
    assert browser.socket_owner(("127.0.0.1", 40000), ("127.0.0.1", 8080), table) == 1000
    assert browser.socket_owner(("127.0.0.1", 8080), ("127.0.0.1", 40000), table) == 0
    assert browser.socket_owner(("127.0.0.1", 1), ("127.0.0.1", 2), table) is None


def test_a_browser_that_fails_is_reported_at_once():
    started = time.monotonic()
    with pytest.raises(EnvgenError, match=r"failed \(exit status 3\)"):
        browser.open_secret_url(
            SECRET_URL, [sys.executable, "-c", "import sys; sys.exit(3)"], print, wait_seconds=30
        )
    assert time.monotonic() - started < 10


@pytest.mark.posix("sh, and : between BROWSER's commands")
def test_browser_variable_is_read_as_xdg_open_reads_it(tmp_path):
    path = os.environ["PATH"]
    assert browser.browser_command({"BROWSER": "no-such-browser:sh -c 'x %s'", "PATH": path}) == [
        "sh",
        "-c",
        "x %s",
    ]
    assert browser._with_address(["sh", "-c", "x %s"], "ADDR") == ["sh", "-c", "x ADDR"]
    assert browser._with_address(["firefox"], "ADDR") == ["firefox", "ADDR"]


@pytest.mark.skipif(
    sys.platform in ("darwin", "win32"), reason="the system opener needs no display"
)
def test_without_a_display_or_browser_the_command_says_to_print_the_url():
    with pytest.raises(UsageError, match="--print-url"):
        browser.browser_command({"PATH": os.environ["PATH"]})


def test_a_windows_browser_path_keeps_its_backslashes_and_spaces():
    entry = '"C:\\Program Files\\Mozilla Firefox\\firefox.exe" -new-tab %s'
    assert browser.split_command(entry, windows=True) == [
        "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
        "-new-tab",
        "%s",
    ]
    assert browser.split_command("firefox '%s'", windows=False) == ["firefox", "%s"]
