"""`envgen sso login --no-browser` at a real terminal: the person reads the URL and the code
there, signs in elsewhere, and nothing reaches stdout."""

from __future__ import annotations

import json
import shutil

from pty_session import TerminalSession
from sso_server import token_file


def test_browserless_login_shows_the_code_on_the_terminal(sso_env, sso_server, tmp_path) -> None:
    stdout = tmp_path / "stdout"
    command = f"envgen sso login dev --no-browser > {stdout}; echo status=$?"
    with TerminalSession.start(
        ["bash", "--norc", "--noprofile", "-c", command],
        executable=shutil.which("bash"),
        env=sso_env,
    ) as terminal:
        shown = terminal.read_until(
            r"sign in at (\S+)\s+envgen: and check that the page shows "
            r"the code (\S+)"
        )
        device = next(iter(sso_server.devices.values()))
        assert shown.group(1) == f"{sso_server.url}/device?user_code={device.user_code}"
        assert shown.group(2) == device.user_code
        terminal.read_until("open it in a browser on any device")
        # The person signs in on another device; envgen notices at its next poll.
        sso_server.approve()
        terminal.read_until("signed in to ")
        terminal.read_until("status=0")
        screen = terminal.screen
    assert stdout.read_bytes() == b""
    token = json.loads(token_file(sso_env, "corp").read_text())
    for secret in (token["accessToken"], token["refreshToken"], token["clientSecret"]):
        assert secret not in screen
