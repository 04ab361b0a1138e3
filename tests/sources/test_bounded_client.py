"""Every command that talks to STS ends, whatever the endpoint does: silent, trickling, failing
for ever, refusing, answering too much or not like STS. Run as the real executable against
misbehaving servers on loopback (hostile_endpoints)."""

from __future__ import annotations

import subprocess
import time

import pytest

from envgen_process import assert_failed_cleanly, run_envgen
from hostile_endpoints import (
    ACCESS_DENIED,
    NETWORK_COMMANDS,
    HostileEndpoint,
    answer,
    answering,
    closed_port_url,
    endless_body,
    silent,
    trickling,
)
from network_audit import NetworkAudit, audited, read_audit
from sts_server import ENVGEN, with_long_term_keys

# What the README promises: a network command gives up within this, whatever the endpoint does.
PROMISED_SECONDS = 30
ATTEMPTS = 2


@pytest.fixture
def keys_env(clean_env: dict[str, str]) -> dict[str, str]:
    """Long-term keys in ~/.aws/credentials, and a profile that asks for many retries."""
    env = with_long_term_keys(
        clean_env, "[default]\nregion = eu-west-1\nmax_attempts = 9\nretry_mode = adaptive\n"
    )
    # Settings that would lengthen botocore's retries if envgen let them.
    return dict(env, AWS_MAX_ATTEMPTS="8", AWS_RETRY_MODE="legacy")


def run_all(env: dict[str, str], names=tuple(NETWORK_COMMANDS)):  # type: ignore[no-untyped-def]
    """Every network command at once (they wait on the same endpoint), each with its time."""
    started = time.monotonic()
    processes = {
        name: subprocess.Popen(
            [ENVGEN, *NETWORK_COMMANDS[name]],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for name in names
    }
    results = {}
    for name, process in processes.items():
        try:
            stdout, stderr = process.communicate(
                timeout=max(0.1, PROMISED_SECONDS - (time.monotonic() - started))
            )
        except subprocess.TimeoutExpired:
            for other in processes.values():
                other.kill()
                other.wait()
            pytest.fail(f"envgen {name} ran longer than {PROMISED_SECONDS} s")
        results[name] = (
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr),
            time.monotonic() - started,
        )
    return results


def test_silent_endpoint_every_command_ends_in_time(keys_env):
    with HostileEndpoint(silent) as server:
        results = run_all(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url))
    for name, (result, _) in results.items():
        message = assert_failed_cleanly(result)
        assert "cannot reach STS" in message and "ReadTimeoutError" in message, name


def test_trickling_endpoint_every_command_ends_in_time(keys_env):
    # A byte every two seconds resets botocore's per-read timeout for ever.
    with HostileEndpoint(trickling(2.0)) as server:
        results = run_all(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url))
    for name, (result, _) in results.items():
        message = assert_failed_cleanly(result)
        assert f"{server.url} gave no complete answer within" in message, name


def test_failing_endpoint_is_tried_exactly_as_often_as_the_readme_says(keys_env):
    page = b"<html><body><h1>503 Service Unavailable</h1></body></html>"
    with HostileEndpoint(answering(answer("503 Service Unavailable", page, "text/html"))) as server:
        results = run_all(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url))
        # AWS_MAX_ATTEMPTS, AWS_RETRY_MODE and the profile's max_attempts change nothing.
        assert server.requests == ATTEMPTS * len(NETWORK_COMMANDS)
    for name, (result, _) in results.items():
        message = assert_failed_cleanly(result)
        assert f"HTTP 503 on each of {ATTEMPTS} attempts" in message, name


@pytest.mark.parametrize("name", list(NETWORK_COMMANDS))
def test_refused_connection_fails_at_once(keys_env, name, tmp_path):
    """A refused connection is tried once and ends the command: no retry, so none of
    botocore's back-off pauses (up to 1 s, then 2 s). Counted inside the real process, from
    its audit events, not judged by its wall time, which a busy machine stretches."""
    # First against an STS that answers at once: the process counts what the server counts.
    with HostileEndpoint(answering(ACCESS_DENIED)) as server:
        answered_log = tmp_path / "answered.log"
        answered = run_envgen(
            NETWORK_COMMANDS[name],
            audited(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url), answered_log),
        )
        assert server.requests == 1
    assert "AccessDenied" in assert_failed_cleanly(answered)
    port = int(server.url.rsplit(":", 1)[1])
    assert read_audit(answered_log) == NetworkAudit([("127.0.0.1", port)], [])

    url = closed_port_url()
    refused_log = tmp_path / "refused.log"
    result = run_envgen(
        NETWORK_COMMANDS[name], audited(dict(keys_env, AWS_ENDPOINT_URL_STS=url), refused_log)
    )
    message = assert_failed_cleanly(result)
    assert f"cannot reach STS at {url}" in message
    port = int(url.rsplit(":", 1)[1])
    assert read_audit(refused_log) == NetworkAudit([("127.0.0.1", port)], [])


NOT_STS = {
    "html page": answer(
        "200 OK", b"<!DOCTYPE html><html><body>Sign in to the proxy</body></html>", "text/html"
    ),
    "other xml": answer("200 OK", b"<AssumeRoleResponse><Nothing/></AssumeRoleResponse>"),
    "empty": answer("200 OK", b""),
}


@pytest.mark.parametrize("body", list(NOT_STS))
def test_an_answer_that_is_not_from_sts_is_one_line(keys_env, body):
    with HostileEndpoint(answering(NOT_STS[body])) as server:
        results = run_all(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url))
    for name, (result, _) in results.items():
        assert "did not answer like STS" in assert_failed_cleanly(result), name


def test_an_oversized_answer_is_not_read_whole(keys_env):
    declared = 50 * 1024 * 1024
    with HostileEndpoint(endless_body(declared)) as server:
        results = run_all(dict(keys_env, AWS_ENDPOINT_URL_STS=server.url), names=["assume"])
        time.sleep(0.5)
        sent = server.bytes_sent
    message = assert_failed_cleanly(results["assume"][0])
    assert "more than 1024 KiB" in message
    # What the kernel buffers on loopback aside, envgen stopped reading at its cap.
    assert sent < declared // 4
