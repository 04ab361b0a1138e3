"""Whatever it is given, envgen fails the way it promises or succeeds: never an internal error.

Hypothesis builds command lines from envgen's own commands and options (read from the typer
app, so new ones are fuzzed as they come) mixed with junk, an environment of AWS_* and
ENVGEN_* variables, AWS config and credentials files, and JSON documents on stdin and in files.
Each example runs the installed executable in a throw-away home, with every STS endpoint a
closed loopback port, and checks what the user would see:

- no traceback and no "unexpected" error, and never exit status 70;
- nothing on stdout unless the exit status is 0;
- an end within a bounded time.

ENVGEN_DEBUG is left out: printing the traceback is what it is for.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import BIN_DIR, ENVGEN
from envgen.cli import app
from envgen.dialects import FORMATS, SHELLS

# Per example: a failing run on a busy machine takes a second or two; a hang is a finding.
# The inputs hold FIFOs, /dev paths, `true` and `sh`, and environments of raw bytes.
pytestmark = pytest.mark.posix("FIFOs, /dev/zero, sh and byte-string environments")

PATIENCE_SECONDS = 45
EXAMPLES = 150


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Nothing listens here for the whole run: every request envgen makes is refused at once.
CLOSED = f"http://127.0.0.1:{closed_port()}"

_COMMAND = typer.main.get_command(app)
ROOT_OPTIONS = [opts[0] for opts in (p.opts for p in _COMMAND.params)]
COMMANDS = {
    name: [
        p
        for p in sub.params
        if p.param_type_name == "option"
        and p.opts != ["-q", "--quiet"]
        and p.opts != ["-v", "--verbose"]
    ]
    for name, sub in _COMMAND.commands.items()  # type: ignore[attr-defined]
}
ALL_OPTIONS = sorted({opt for params in COMMANDS.values() for p in params for opt in p.opts})
FLAGS = {opt for params in COMMANDS.values() for p in params if p.is_flag for opt in p.opts}

ROLE = "arn:aws:iam::123456789012:role/Dev"
# Commands exec may run once it has credentials: none of them writes to stdout.
SAFE_CHILDREN = [["true"], ["false"], ["sh", "-c", "exit 7"]]


def no_nul(data: bytes) -> bytes:
    return data.replace(b"\0", b"")


# Text of every kind: control characters, bidirectional marks, lone surrogates' bytes.
junk_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
    max_size=24,
).map(lambda text: text.encode("utf-8"))
junk_bytes = st.binary(max_size=24).map(no_nul)
junk = st.one_of(junk_text, junk_bytes, st.sampled_from([b"", b"-", b"=", b" "]))


def words(*choices: str) -> st.SearchStrategy[bytes]:
    return st.sampled_from([choice.encode() for choice in choices])


MALFORMED_URLS = [
    "http://[::1",
    "ftp://x",
    "http://host:99999",
    "",
    "http://:80",
    "http://user:pw@127.0.0.1:1",
    "https://a b",
    "http://127.0.0.1:0",
    "//x",
    "http://[::1]:99999",
]
URLS = words(CLOSED, CLOSED + "/", f"http://localhost:{CLOSED.rsplit(':', 1)[1]}", *MALFORMED_URLS)
EXPIRIES = words(
    "2099-01-31T12:00:00Z",
    "2001-02-03T04:05:06Z",
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00Z",
    "tomorrow",
    "2030-02-30T00:00:00Z",
    "2030-01-01T00:00:00",
    "2030-01-01T00:00:00+99:00",
)


def option_values(home: Path) -> dict[str, st.SearchStrategy[bytes]]:
    """Values that mean something to each option, beside junk for all."""
    documents = [f"file://{home / name}" for name in ("doc.json", "fifo", "missing", "")]
    secrets = words(
        "-",
        "file:///dev/zero",
        "file:///dev/null",
        *documents,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "IQoJb3JpZ2luX2Vj",
    )
    return {
        "--role-arn": words(
            ROLE, "arn:aws:iam::123456789012:role/a/b/c", "role/Dev", "arn:aws:iam::1:role/x"
        ),
        "--principal-arn": words("arn:aws:iam::123456789012:saml-provider/corp", "x"),
        "--role-session-name": words("ci.build@42", "a", "x" * 65),
        "--duration-seconds": words("900", "43200", "899", "-1", "1e3", "9" * 40, "0x10"),
        "--external-id": words("ext-id", "a"),
        "--serial-number": words("arn:aws:iam::123456789012:mfa/alice", "short"),
        "--token-code": words("123456", "12345", "abcdef"),
        "--endpoint-url": URLS,
        "--region": words("eu-west-1", "us-east-1", "EU-WEST-1", "mars-north-9", "", "a b"),
        "--shell": words(*SHELLS, "rbash", "", "BASH"),
        "--format": words("shell", *FORMATS, "yaml", ""),
        "--save-profile": words("saved", "default", "[x]", "a b", "", "x" * 300),
        "--profile": words("default", "dev", "chain", "missing", "", "sso"),
        "--access-key-id": words("AKIAIOSFODNN7EXAMPLE", "ASIAEXAMPLEKEYID0001", "", "x"),
        "--secret-access-key": secrets,
        "--session-token": secrets,
        "--expiration": EXPIRIES,
        "--saml-assertion": secrets,
        "--web-identity-token": secrets,
    }


# What the commands take as words: import a SOURCE, assume and exec a PROFILE.
POSITIONALS = {
    "import": lambda home: words(
        "-", "-", "doc.json", str(home / "doc.json"), "fifo", "/dev/zero", "missing.json"
    ),
    "assume": lambda home: words("default", "dev", "chain", "sso", "missing"),
    "exec": lambda home: words("default", "dev", "chain"),
}


# A command line each command accepts, for the well-formed half of the examples to start from.
def starting_line(name: str, home: Path, draw: st.DrawFn) -> list[bytes]:
    values = option_values(home)
    if name == "import":
        return [b"import", draw(POSITIONALS["import"](home))]
    if name == "saml":
        return [b"saml", b"--saml-assertion", draw(values["--saml-assertion"])]
    if name == "web-identity":
        return [
            b"web-identity",
            b"--role-arn",
            ROLE.encode(),
            b"--web-identity-token",
            draw(values["--web-identity-token"]),
        ]
    line = [name.encode()]
    if name in ("assume", "exec") and draw(st.booleans()):
        line.append(draw(POSITIONALS[name](home)))
    if name in ("assume", "exec") and draw(st.booleans()):
        line += [b"--role-arn", ROLE.encode()]
    return line


@st.composite
def command_lines(draw: st.DrawFn, home: Path) -> list[bytes]:
    """Half the examples: a line the command accepts with one or two of its options added,
    with values that mean something to them, so they get past the parser into the sources,
    the STS calls and the output. The other half: any of its options, junk among the values,
    stray words and options of other commands."""
    values = option_values(home)
    wild = draw(st.booleans())

    def value_for(option: str) -> bytes:
        meaningful = values.get(option)
        if meaningful is not None and (not wild or draw(st.integers(0, 7))):
            return draw(meaningful)
        return draw(junk)

    def with_value(option: str) -> list[bytes]:
        if option in FLAGS:
            return [option.encode()]
        value = value_for(option)
        if draw(st.booleans()):
            return [option.encode(), value]
        return [option.encode() + b"=" + value]

    line: list[bytes] = []
    if not wild:
        name = draw(st.sampled_from(list(COMMANDS)))
        line = starting_line(name, home, draw)
        own = [p.opts[-1] for p in COMMANDS[name]]
        for option in draw(st.lists(st.sampled_from(own), max_size=2, unique=True)) if own else []:
            line += with_value(option)
    else:
        if draw(st.integers(0, 9)) == 0:
            line.append(draw(st.sampled_from(ROOT_OPTIONS)).encode())
        name = draw(st.sampled_from([*COMMANDS, None]))
        line.append(name.encode() if name else draw(junk))
        if name in POSITIONALS and draw(st.booleans()):
            line.append(draw(POSITIONALS[name](home)))
        for param in COMMANDS.get(name or "", []):
            if draw(st.integers(0, 9)) < (9 if param.required else 2):
                line += with_value(draw(st.sampled_from(param.opts)))
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.integers(0, 3))
            if kind == 0:
                line += with_value(draw(st.sampled_from(ALL_OPTIONS)))
            elif kind == 1:
                line.append(draw(st.sampled_from(ROOT_OPTIONS)).encode())
            else:
                line.append(draw(st.one_of(junk, words("default", "dev", "-", "doc.json"))))
    if name == "exec" and (not wild or draw(st.integers(0, 3))):
        line += [b"--", *(word.encode() for word in draw(st.sampled_from(SAFE_CHILDREN)))]
    return line


@st.composite
def environments(draw: st.DrawFn, home: Path) -> dict[bytes, bytes]:
    choices = {
        "AWS_PROFILE": words("default", "dev", "chain", "missing", "sso", ""),
        "AWS_DEFAULT_PROFILE": words("dev", "missing"),
        "AWS_REGION": words("eu-west-1", "mars-north-9", "", "a b"),
        "AWS_DEFAULT_REGION": words("us-east-1", "x"),
        "AWS_ACCESS_KEY_ID": words("AKIAIOSFODNN7EXAMPLE", "ASIAEXAMPLEKEYID0001", ""),
        "AWS_SECRET_ACCESS_KEY": words("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
        "AWS_SESSION_TOKEN": words("IQoJb3JpZ2luX2Vj", ""),
        "AWS_SECURITY_TOKEN": words("IQoJb3JpZ2luX2Vj"),
        "AWS_CREDENTIAL_EXPIRATION": EXPIRIES,
        "AWS_ENDPOINT_URL": URLS,
        "AWS_MAX_ATTEMPTS": words("1", "50", "0", "-3", "x"),
        "AWS_RETRY_MODE": words("standard", "adaptive", "legacy", "bogus"),
        "AWS_STS_REGIONAL_ENDPOINTS": words("regional", "legacy", "bogus"),
        "AWS_CONFIG_FILE": words(
            str(home / ".aws" / "config"),
            str(home / "fifo"),
            "/dev/zero",
            str(home),
            str(home / "missing"),
            "",
        ),
        "AWS_SHARED_CREDENTIALS_FILE": words(
            str(home / ".aws" / "credentials"), str(home / "fifo"), "/dev/null", str(home)
        ),
        "AWS_CA_BUNDLE": words(str(home / "missing.pem"), "/dev/null"),
        "ENVGEN_SHELL": words(*SHELLS, "rbash", "", "x" * 100),
    }
    environment: dict[bytes, bytes] = {}
    for name in draw(st.lists(st.sampled_from(sorted(choices)), max_size=6, unique=True)):
        environment[name.encode()] = draw(choices[name] if draw(st.integers(0, 3)) else junk)
    if draw(st.booleans()):
        # Long-term keys, so that commands which need some get as far as STS.
        environment[b"AWS_ACCESS_KEY_ID"] = b"AKIAIOSFODNN7EXAMPLE"
        environment[b"AWS_SECRET_ACCESS_KEY"] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    # Always somewhere to fail fast: STS at a closed port, unless junk replaced it.
    environment[b"AWS_ENDPOINT_URL_STS"] = draw(st.one_of(st.just(CLOSED.encode()), URLS))
    # And the console's federation endpoint: never the real one.
    environment[b"ENVGEN_SIGNIN_URL"] = draw(st.one_of(st.just(CLOSED.encode()), URLS))
    return environment


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
credential_fields = st.fixed_dictionaries(
    {},
    optional={
        "AccessKeyId": st.one_of(st.just("ASIAEXAMPLEKEYID0001"), json_values),
        "SecretAccessKey": st.one_of(
            st.just("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), json_values
        ),
        "SessionToken": st.one_of(st.just("IQoJb3JpZ2luX2Vj"), json_values),
        "Expiration": st.one_of(EXPIRIES.map(bytes.decode), json_values),
        "Version": st.one_of(st.sampled_from([1, True, 1.0, "1", 2, 0]), json_values),
    },
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    fields = draw(credential_fields)
    shape = draw(st.integers(0, 4))
    if shape == 0:
        document: object = {"Credentials": fields}
    elif shape == 1:
        document = fields
    elif shape == 2:
        document = draw(json_values)
    else:
        document = {"Credentials": fields, "AssumedRoleUser": {"Arn": "x"}}
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    if shape == 4:
        text = draw(
            st.sampled_from(
                [
                    text[: len(text) // 2],
                    text + "}",
                    "9" * 5000,
                    '{"AccessKeyId": -' + "1" * 5000 + "}",
                    "\ufeff" + text,
                    "[" * 100000,
                ]
            )
        )
    return text.encode("utf-8", "surrogatepass")


def config_text(draw: st.DrawFn, home: Path) -> str:
    """An AWS config file: sections envgen meets in the field, some broken."""
    process = f"cat {home / 'doc.json'}"
    keys = {
        "region": ["eu-west-1", "mars-north-9", ""],
        "role_arn": [ROLE, "not-an-arn"],
        "source_profile": ["default", "dev", "chain", "missing"],
        "credential_source": ["Environment", "Ec2InstanceMetadata", "Bogus"],
        "credential_process": [process, "false", "true"],
        "mfa_serial": ["arn:aws:iam::123456789012:mfa/alice"],
        "duration_seconds": ["3600", "x", "99999999999999999999"],
        "endpoint_url": [CLOSED, *MALFORMED_URLS],
        "max_attempts": ["9", "x"],
        "retry_mode": ["adaptive", "bogus"],
        "sso_start_url": ["https://example.awsapps.com/start"],
        "sso_session": ["corp"],
        "web_identity_token_file": [str(home / "fifo"), "/dev/zero", str(home / "missing")],
        "aws_access_key_id": ["AKIAIOSFODNN7EXAMPLE"],
    }
    sections = []
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    "default",
                    "profile dev",
                    "profile chain",
                    "profile sso",
                    "sso-session corp",
                    "junk[",
                ]
            ),
            max_size=4,
            unique=True,
        )
    ):
        lines = [f"[{name}]"]
        for key in draw(st.lists(st.sampled_from(sorted(keys)), max_size=4, unique=True)):
            lines.append(f"{key} = {draw(st.sampled_from(keys[key]))}")
        sections.append("\n".join(lines))
    return "\n".join(sections) + draw(st.sampled_from(["\n", "", "\n\x00\n", "\nno equals\n"]))


def credentials_text(draw: st.DrawFn) -> str:
    entries = []
    for name in draw(
        st.lists(st.sampled_from(["default", "dev", "saved", "chain"]), max_size=3, unique=True)
    ):
        key = draw(st.sampled_from(["AKIAIOSFODNN7EXAMPLE", "ASIAEXAMPLEKEYID0001", ""]))
        secret = draw(st.sampled_from(["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""]))
        entry = f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
        if draw(st.booleans()):
            entry += "aws_session_token = IQoJb3JpZ2luX2Vj\n"
        entries.append(entry)
    return "".join(entries)


@st.composite
def scenarios(draw: st.DrawFn, home: Path):  # type: ignore[no-untyped-def]
    return {
        "line": draw(command_lines(home)),
        "environment": draw(environments(home)),
        "stdin": draw(st.one_of(documents(), st.binary(max_size=64))),
        "document": draw(documents()),
        "config": config_text(draw, home),
        "credentials": credentials_text(draw),
    }


# One home for the whole run, its contents rewritten for each example: Hypothesis draws
# paths inside it.
HOME = Path(tempfile.mkdtemp(prefix="envgen-any-input-"))
atexit.register(shutil.rmtree, HOME, ignore_errors=True)


def prepare_home(scenario: dict) -> Path:  # type: ignore[type-arg]
    for entry in HOME.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (HOME / ".aws").mkdir(mode=0o700)
    (HOME / ".aws" / "config").write_text(scenario["config"], encoding="utf-8")
    (HOME / ".aws" / "credentials").write_text(scenario["credentials"], encoding="utf-8")
    (HOME / "doc.json").write_bytes(scenario["document"])
    os.mkfifo(HOME / "fifo")
    return HOME


def base_environment() -> dict[bytes, bytes]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    environment = {name.encode(): os.environ[name].encode() for name in keep if name in os.environ}
    environment.update(
        {
            b"HOME": str(HOME).encode(),
            b"XDG_CONFIG_HOME": str(HOME / ".config").encode(),
            b"PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}".encode(),
            b"LANG": b"C.UTF-8",
            b"LC_ALL": b"C.UTF-8",
            b"AWS_CONFIG_FILE": str(HOME / ".aws" / "config").encode(),
            b"AWS_SHARED_CREDENTIALS_FILE": str(HOME / ".aws" / "credentials").encode(),
            # No instance metadata, no container credentials: nothing beyond loopback.
            b"AWS_EC2_METADATA_DISABLED": b"true",
        }
    )
    return environment


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(HOME))
def test_envgen_never_fails_internally(scenario) -> None:  # type: ignore[no-untyped-def]
    prepare_home(scenario)
    environment = base_environment()
    environment.update(scenario["environment"])
    # A new session: no controlling terminal, so nothing waits for a person.
    result = subprocess.run(
        [ENVGEN.encode(), *scenario["line"]],
        input=scenario["stdin"],
        capture_output=True,
        env=environment,
        cwd=HOME,
        timeout=PATIENCE_SECONDS,
        start_new_session=True,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    # Seen with --hypothesis-show-statistics: how far the examples got.
    event(f"exit status {result.returncode}")
    assert "Traceback" not in stderr, stderr
    assert "unexpected" not in stderr.lower(), stderr
    assert result.returncode != 70, stderr
    if result.returncode != 0:
        assert result.stdout == b"", (result.returncode, stderr, result.stdout[:300])
