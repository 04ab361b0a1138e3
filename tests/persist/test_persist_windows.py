"""--persist for cmd and PowerShell, which cannot run here: their output, read as they read it.

cmd lines are split into argv by the C runtime's rules, which SETX.EXE and REG.EXE use.
PowerShell is parsed with tree-sitter-powershell for its structure, and its values are
evaluated by powershell_eval, which follows PowerShell's own quoting rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tree_sitter import Language, Node, Parser

from envgen.credentials import MANAGED_VARIABLES, Changes, Credentials, parse_expiration
from envgen.dialects import SHELLS, UnsupportedValue
from envgen.persist import UserPlaces, plan_persistence
from envgen.records import Origin, key_digest
from envgen_process import assert_failed_cleanly, run_envgen
from hostile_values import HOSTILE_VALUES
from powershell_eval import evaluate
from refusals import CMD_LINE_LIMIT, UTF8_LOCALE, refuses

EXPIRATION = "2099-01-31T12:00:00Z"
EXPIRATION_EPOCH = 4073544000  # EXPIRATION in epoch seconds


def records_of_import(access_key_id: str, *, persisted: bool) -> dict[str, str]:
    """envgen's records beside imported keys that expire at EXPIRATION."""
    origin = Origin("imported", key_digest(access_key_id), persisted=persisted)
    return {
        "ENVGEN_SOURCE": origin.text(),
        "ENVGEN_EXPIRATION": str(EXPIRATION_EPOCH),
        "ENVGEN_CHECK_AT": str(EXPIRATION_EPOCH - 300),
    }


SETX_LIMIT = 1024
USER_ENVIRONMENT = "HKCU\\Environment"


def _document(tmp_path: Path, **fields: str) -> str:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"Credentials": fields}), encoding="utf-8")
    return str(path)


# --- cmd -----------------------------------------------------------------------------------


def crt_argv(line: str) -> list[str]:
    """Split a command line as the Microsoft C runtime does for SETX.EXE and REG.EXE."""
    argv: list[str] = []
    current: list[str] = []
    in_quotes = False
    started = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            run = len(line[i:]) - len(line[i:].lstrip("\\"))
            if i + run < len(line) and line[i + run] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    i += run + 1
                else:
                    i += run
                started = True
                continue
            current.append("\\" * run)
            i += run
            started = True
            continue
        if char == '"':
            in_quotes = not in_quotes
            started = True
        elif char in " \t" and not in_quotes:
            if started:
                argv.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        argv.append("".join(current))
    return argv


def _cmd_writes(output: str) -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """What the lines do: SETX values, REG ADD values, REG DELETE names, and the line order."""
    setx, registry, deleted, order = {}, {}, [], []
    for line in output.splitlines():
        assert len(line) <= CMD_LINE_LIMIT
        argv = crt_argv(line)
        if argv[0] == "SETX":
            assert len(argv) == 3, argv[:2]
            setx[argv[1]] = argv[2]
            order.append("SETX")
        elif argv[:2] == ["REG", "ADD"]:
            assert argv[2:4] == [USER_ENVIRONMENT, "/v"]
            assert argv[5:8] == ["/t", "REG_SZ", "/d"] and argv[9:] == ["/f"], argv[5:8]
            registry[argv[4]] = argv[8]
            order.append("REG ADD")
        elif argv[:2] == ["REG", "DELETE"]:
            assert argv[2:4] == [USER_ENVIRONMENT, "/v"] and argv[5:] == ["/f"]
            deleted.append(argv[4])
            order.append("REG DELETE")
        else:
            assert line.startswith('SET "'), line[:40]
    return setx, registry, deleted, order


def test_long_token_goes_whole_through_the_registry(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    token = ("AbC+/=" * 400)[:1998] + "\\\\"  # 2000 characters, ending in backslashes
    secret = "/starts-like-a-switch\\"
    source = _document(
        tmp_path,
        AccessKeyId="ASIAEXAMPLE",
        SecretAccessKey=secret,
        SessionToken=token,
        Expiration=EXPIRATION,
    )
    result = run_envgen(["import", source, "--shell", "cmd", "--persist"], clean_env)
    assert result.returncode == 0, result.stderr.decode()
    output = result.stdout.decode()
    setx, registry, deleted, order = _cmd_writes(output)
    assert f'SET "AWS_SESSION_TOKEN={token}"' in output.splitlines()
    assert all(len(value) <= SETX_LIMIT for value in setx.values())
    assert token not in "".join(line for line in output.splitlines() if line.startswith("SETX"))
    assert registry == {"AWS_SESSION_TOKEN": token, "AWS_SECRET_ACCESS_KEY": secret}
    assert setx == {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "AWS_CREDENTIAL_EXPIRATION": EXPIRATION,
        "AWS_SESSION_EXPIRATION": EXPIRATION,
        **records_of_import("ASIAEXAMPLE", persisted=True),
    }
    assert deleted == [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
    ]
    # SETX broadcasts WM_SETTINGCHANGE: one must follow the last registry write.
    last_registry = max(i for i, kind in enumerate(order) if kind.startswith("REG"))
    assert "SETX" in order[last_registry + 1 :]
    assert "HKCU" in result.stderr.decode() and "expire" in result.stderr.decode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(value, id=name)
        for name, value in HOSTILE_VALUES
        # Room on the line for SETX or REG ADD around the value.
        if not refuses("cmd", value) and len(value) < CMD_LINE_LIMIT - 100
    ],
)
def test_values_safe_for_cmd_come_back_from_setx_and_reg(value: str) -> None:
    changes = Changes({"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SESSION_TOKEN": value}, ())
    output = SHELLS["cmd"].render_persist(changes)
    setx, registry, _deleted, _order = _cmd_writes(output)
    assert {**setx, **registry}["AWS_SESSION_TOKEN"] == value


def test_registry_line_over_the_cmd_limit_is_refused(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    # The SET line fits in 8191 characters; the REG ADD line, longer by its syntax, does not.
    token = "T" * 8140
    assert len(f'SET "AWS_SESSION_TOKEN={token}"') <= CMD_LINE_LIMIT
    source = _document(
        tmp_path,
        AccessKeyId="ASIAEXAMPLE",
        SecretAccessKey="secret",
        SessionToken=token,
        Expiration=EXPIRATION,
    )
    assert run_envgen(["import", source, "--shell", "cmd"], clean_env).returncode == 0
    result = run_envgen(["import", source, "--shell", "cmd", "--persist"], clean_env)
    message = assert_failed_cleanly(result, token)
    assert "AWS_SESSION_TOKEN" in message and "8191" in message


def test_nothing_left_for_setx_is_refused() -> None:
    # envgen's records always leave something for SETX beside credentials; changes without
    # them show the refusal.
    changes = Changes({"AWS_ACCESS_KEY_ID": "K" * 1100, "AWS_SECRET_ACCESS_KEY": "S" * 1100}, ())
    with pytest.raises(UnsupportedValue) as refusal:
        SHELLS["cmd"].render_persist(changes)
    assert "SETX" in refusal.value.message


def test_cmd_clear_deletes_from_the_registry(clean_env: dict[str, str]) -> None:
    result = run_envgen(["clear", "--persist", "--shell", "cmd"], clean_env)
    assert result.returncode == 0, result.stderr.decode()
    setx, registry, deleted, _order = _cmd_writes(result.stdout.decode())
    assert setx == {} and registry == {}
    assert deleted == list(MANAGED_VARIABLES)
    for name in MANAGED_VARIABLES:
        assert f'SET "{name}="' in result.stdout.decode().splitlines()


def test_cmd_save_profile_with_persist_keeps_the_profile_name(clean_env: dict[str, str]) -> None:
    result = run_envgen(
        [
            "import",
            "--access-key-id",
            "ASIAEXAMPLE",
            "--secret-access-key",
            "secret",
            "--session-token",
            "token",
            "--shell",
            "cmd",
            "--persist",
            "--save-profile",
            "work",
        ],
        clean_env,
    )
    assert result.returncode == 0, result.stderr.decode()
    setx, registry, deleted, _order = _cmd_writes(result.stdout.decode())
    assert setx == {"AWS_PROFILE": "work"} and registry == {}
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} <= set(deleted)
    assert "secret" not in result.stdout.decode()


# --- PowerShell ------------------------------------------------------------------------------

_PARSER = Parser(Language(__import__("tree_sitter_powershell").language()))


def _parse(source: str) -> Node:
    tree = _PARSER.parse(source.encode("utf-8"))
    assert not tree.root_node.has_error, source[:200]
    return tree.root_node


def _text(node: Node) -> str:
    assert node.text is not None
    return node.text.decode("utf-8")


def _string(node: Node) -> str | None:
    """The value of an expression envgen printed, by the PowerShell evaluator's rules."""
    text = _text(node).strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text.lower() == "$null":
        return None
    return evaluate(f"$env:VALUE = {text}")["VALUE"]


def _find(node: Node, node_type: str) -> list[Node]:
    found, pending = [], [node]
    while pending:
        current = pending.pop()
        if current.type == node_type:
            found.append(current)
        pending.extend(reversed(current.children))
    return found


def _kept_until(managed: str, expiration: str) -> tuple[str, str | None]:
    """The statements a managed PowerShell file runs before `expiration`, as separate lines,
    and the line it writes to stderr after it; it must test nothing but the clock."""
    root = _parse(managed)
    (statement,) = [c for c in _find(root, "statement_list")[0].children]
    assert statement.type == "if_statement"
    condition = statement.child_by_field_name("condition") or statement.children[2]
    epoch = int(parse_expiration(expiration).timestamp())
    assert _text(condition) == f"[DateTimeOffset]::UtcNow.ToUnixTimeSeconds() -lt {epoch}"
    valid = statement.child_by_field_name("consequence") or _find(statement, "statement_block")[0]
    applied = "\n".join(_text(line) for line in _find(valid, "statement_list")[0].named_children)
    (otherwise,) = _find(statement, "else_clause")
    (said,) = _find(otherwise, "pipeline_chain")
    call = _text(said)
    prefix = "[Console]::Error.WriteLine("
    assert call.startswith(prefix) and call.endswith(")")
    return applied, evaluate(f"$env:VALUE = {call[len(prefix) : -1]}").get("VALUE")


def _user_environment_calls(script: str) -> dict[str, str | None]:
    """What each `[Environment]::SetEnvironmentVariable(name, value, 'User')` line sets."""
    calls: dict[str, str | None] = {}
    for line in script.splitlines():
        # Invoke-Expression runs every line as a script of its own.
        (call,) = _find(_parse(line), "invokation_expression")
        assert _text(call).startswith("[Environment]::SetEnvironmentVariable(")
        (arguments,) = _find(call, "argument_expression_list")
        name, value, scope = [c for c in arguments.children if c.type == "argument_expression"]
        assert _string(scope) == "User"
        calls[_string(name) or ""] = _string(value)
    return calls


def _pwsh_values() -> list[str]:
    return [value for _, value in HOSTILE_VALUES if "\0" not in value]


def _packed_credentials(values: list[str]) -> Credentials:
    return Credentials(
        access_key_id="".join(values[0::3]),
        secret_access_key="".join(values[1::3]),
        session_token="".join(values[2::3]),
        expiration=parse_expiration(EXPIRATION),
    )


@pytest.mark.parametrize("shell", ["pwsh", "powershell"])
def test_powershell_on_windows_writes_the_user_environment(shell: str, tmp_path: Path) -> None:
    dialect = SHELLS[shell]
    credentials = _packed_credentials(_pwsh_values())
    changes = Changes.from_credentials(credentials)
    places = UserPlaces(tmp_path, {}, windows=True)
    persistence = plan_persistence(dialect, changes, UTF8_LOCALE, places)
    persistence.apply()
    assert list(tmp_path.iterdir()) == []  # the output does it all; envgen writes no file
    calls = _user_environment_calls(persistence.output)
    assert calls == {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_CREDENTIAL_EXPIRATION": EXPIRATION,
        "AWS_SESSION_EXPIRATION": EXPIRATION,
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_SECURITY_TOKEN": None,
        "ENVGEN_EXPIRATION": None,
        "ENVGEN_CHECK_AT": None,
        "ENVGEN_SOURCE": None,
    }
    assert "HKCU" in persistence.report

    clearing = plan_persistence(dialect, Changes.clearing(), UTF8_LOCALE, places)
    assert _user_environment_calls(clearing.output) == dict.fromkeys(MANAGED_VARIABLES)


def test_pwsh_elsewhere_dot_sources_a_managed_file_from_profile(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    values = _pwsh_values()
    credentials = _packed_credentials(values)
    source = _document(
        tmp_path,
        AccessKeyId=credentials.access_key_id,
        SecretAccessKey=credentials.secret_access_key,
        SessionToken=credentials.session_token or "",
        Expiration=EXPIRATION,
    )
    config = Path(clean_env["XDG_CONFIG_HOME"])
    profile = config / "powershell" / "Microsoft.PowerShell_profile.ps1"
    original = "# my profile\r\nSet-Alias ll Get-ChildItem\r\n"
    profile.parent.mkdir(parents=True)
    profile.write_bytes(original.encode())

    result = run_envgen(["import", source, "--shell", "pwsh", "--persist"], clean_env)
    assert result.returncode == 0, result.stderr.decode()
    # The session is set as without --persist (but for the record that it was persisted);
    # SetEnvironmentVariable would do nothing here.
    plain = run_envgen(["import", source, "--shell", "pwsh"], clean_env)
    persisted_record = records_of_import(credentials.access_key_id, persisted=True)
    plain_record = records_of_import(credentials.access_key_id, persisted=False)
    assert result.stdout == plain.stdout.replace(
        plain_record["ENVGEN_SOURCE"].encode(), persisted_record["ENVGEN_SOURCE"].encode()
    )
    assert "SetEnvironmentVariable" not in result.stdout.decode()

    managed = config / "envgen" / "persist.ps1"
    applied, expired = _kept_until(managed.read_text(encoding="utf-8"), EXPIRATION)
    assert expired == (
        f"envgen: the credentials kept by --persist expired at {EXPIRATION} and were not "
        f"applied; get new ones with: envgen import {source} --shell pwsh --persist"
    )
    stale = {"AWS_REGION": "stale", "AWS_DEFAULT_REGION": "stale"}
    assert evaluate(applied, stale) == {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_CREDENTIAL_EXPIRATION": EXPIRATION,
        "AWS_SESSION_EXPIRATION": EXPIRATION,
        **persisted_record,
    }

    text = profile.read_bytes().decode()
    assert text.startswith(original)
    block = text[len(original) :]
    root = _parse(block)
    (statement,) = _find(root, "if_statement")
    (test,) = _find(statement.child_by_field_name("condition") or statement.children[2], "command")
    assert _text(test).startswith("Test-Path -LiteralPath (")
    tested = [c for c in _find(test, "parenthesized_expression")]
    assert _string(tested[0]) == str(managed)
    assert "-PathType Leaf" in _text(test)
    (dot_source,) = _find(_find(statement, "statement_block")[0], "command")
    assert _text(dot_source.children[0]) == "."
    assert _string(_find(dot_source, "parenthesized_expression")[0]) == str(managed)

    result = run_envgen(["clear", "--persist", "--shell", "pwsh"], clean_env)
    assert result.returncode == 0, result.stderr.decode()
    assert profile.read_bytes() == original.encode()
    assert not managed.exists()


# --- the script forms, which no shell on this machine runs ---------------------------------------


@pytest.mark.parametrize("shell", ["powershell", "pwsh"])
def test_powershell_script_form_checks_the_exit_code_before_applying(shell: str) -> None:
    form = SHELLS[shell].script_hint("envgen assume prod")
    root = _parse(form)
    statements = [
        _text(child) for child in root.named_children[0].named_children if _text(child) != ";"
    ]
    assert statements == [
        "$out = envgen assume prod",
        "if ($LASTEXITCODE) { exit $LASTEXITCODE }",
        "$out | Invoke-Expression",
    ]


def test_cmd_script_form_prints_an_exit_line_when_envgen_fails() -> None:
    # FOR /F runs the quoted command through cmd /c, where `||` runs ECHO only on failure;
    # the carets keep the batch file's own parser from taking the `|` first.
    form = SHELLS["cmd"].script_hint("envgen assume prod")
    assert form == ("FOR /F \"delims=\" %%i IN ('envgen assume prod ^|^| ECHO EXIT /B 1') DO @%%i")


# AWS_PROFILE, AWS_DEFAULT_PROFILE and AWS_SECURITY_TOKEN would outlive the keys they name.
PROFILE_SELECTORS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN")


def test_clear_persist_removes_profile_variables_from_the_windows_user_environment(
    tmp_path: Path,
) -> None:
    places = UserPlaces(tmp_path, {}, windows=True)
    cmd = plan_persistence(
        SHELLS["cmd"], Changes.clearing(), UTF8_LOCALE, places
    ).output.splitlines()
    powershell = plan_persistence(
        SHELLS["powershell"], Changes.clearing(), UTF8_LOCALE, places
    ).output.splitlines()
    for name in PROFILE_SELECTORS:
        assert f"REG DELETE HKCU\\Environment /v {name} /f" in cmd
        assert f"[Environment]::SetEnvironmentVariable('{name}', $null, 'User')" in powershell
