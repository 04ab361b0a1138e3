"""The quick reading of the AWS config files (checked by regular expressions, each section
parsed when asked for) gives what configparser gives for the whole file, error for error."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envgen import config_files
from envgen.config_files import ConfigUnreadable, LazySections, section_profile_name, sections_of

# Lines of the shapes real config files have, and of shapes configparser reads otherwise or
# refuses: settings before a header, repeated headers and settings (in other letter cases
# too), DEFAULT, indented lines after a header, continuation lines, comments, a carriage
# return, a tab, non-ASCII text, a `[` that opens no header.
LINES = st.sampled_from(
    [
        "",
        "   ",
        "# comment",
        "; comment",
        "  # indented comment",
        "[default]",
        "[profile a]",
        "[profile b]  ",
        "[profile 'q u']",
        '[profile "b"]',
        "[profile  a]",
        "[sso-session s]",
        "[DEFAULT]",
        "[services x]",
        "[profile]",
        "[ a ]",
        "[a]b]",
        "[unclosed",
        "region = eu-west-1",
        "Region = eu-west-2",
        "REGION=eu-west-3",
        "role_arn = arn:aws:iam::1:role/r",
        "source_profile = a",
        "s3 =",
        "  addressing_style = path",
        "\tmax_concurrent_requests = 10",
        "key: value",
        "key = value # not a comment",
        "no delimiter here",
        "= no name",
        "name with space = x",
        "  [profile indented]",
        "  continued",
        "crlf = yes\r",
        "tab\t= x",
        "café = x",
        "x = é",
    ]
)


def as_configparser_reads(text: str) -> dict[str, dict[str, str]] | str:
    try:
        return config_files._configparser_sections(text, "config")
    except ConfigUnreadable as error:
        return str(error)


def as_envgen_reads(text: str) -> dict[str, dict[str, str]] | str:
    try:
        sections = sections_of(text, "config")
        return {name: sections[name] for name in sections}
    except ConfigUnreadable as error:
        return str(error)


@settings(max_examples=3000, deadline=None)
@given(st.lists(LINES, max_size=14), st.booleans())
def test_every_file_reads_as_configparser_reads_it(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert as_envgen_reads(text) == as_configparser_reads(text)


def test_a_plain_file_is_parsed_only_where_asked() -> None:
    text = "".join(
        f"[profile p{n}]\nregion = eu-west-1\nrole_arn = arn:aws:iam::1:role/p{n}\n"
        "source_profile = default\n# note\ns3 =\n  addressing_style = path\n\n"
        for n in range(300)
    )
    sections = sections_of("[default]\nregion = us-east-1\n" + text, "config")
    assert isinstance(sections, LazySections)
    assert sections["profile p299"] == {
        "region": "eu-west-1",
        "role_arn": "arn:aws:iam::1:role/p299",
        "source_profile": "default",
        "s3": "\naddressing_style = path",
    }
    assert len(sections._made) == 1


def test_a_file_with_an_unusual_line_is_parsed_whole() -> None:
    for text in ("[a]\n  x = 1\n", "[a]\nx = 1\r\n", "[DEFAULT]\nx = 1\n[a]\n", "[a]\nx = é\n"):
        assert not isinstance(sections_of(text, "config"), LazySections), text


def test_a_setting_repeated_in_other_letters_is_refused_as_configparser_refuses_it() -> None:
    text = "[a]\nregion = x\n[b]\nregion = y\n  more\n# c\nREGION = z\n"
    assert as_envgen_reads(text) == as_configparser_reads(text)
    assert isinstance(as_envgen_reads(text), str)


@given(st.text(alphabet="profile abc'\"\\ \t-_", max_size=20))
def test_profile_names_split_as_shlex_splits_them(section: str) -> None:
    if section.startswith("profile"):
        try:
            words: list[str] | None = shlex.split(section)
        except ValueError:
            words = None
        expected = words[1] if words is not None and len(words) == 2 else None
    else:
        expected = section if section == "default" else None
    assert section_profile_name(section) == expected


def test_a_profile_changed_between_two_readings_is_read_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run reads the profiles more than once and keeps the last reading; a file changed
    in between (the credentials file, say) is what the next reading says."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile dev]\nregion = eu-west-1\n")
    credentials.write_text("[dev]\naws_access_key_id = A\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    first = config_files.read_profiles()
    assert config_files.read_profiles() is first
    assert first["dev"] == {"region": "eu-west-1", "aws_access_key_id": "A"}
    credentials.write_text("[dev]\naws_access_key_id = B\n[ops]\naws_access_key_id = C\n")
    assert dict(config_files.read_profiles()) == {
        "dev": {"region": "eu-west-1", "aws_access_key_id": "B"},
        "ops": {"aws_access_key_id": "C"},
    }
    config.write_text("[profile dev]\nregion = eu-west-2\n")
    assert config_files.read_profiles()["dev"]["region"] == "eu-west-2"
