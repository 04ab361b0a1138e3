"""Values that break naive quoting, and hypothesis strategies for arbitrary ones.

Every shell test draws its values from here, so a value added here is checked in every shell,
in the PowerShell evaluator, and against the cmd and dotenv rules.
"""

from __future__ import annotations

from hypothesis import strategies as st

from refusals import LONGEST_VARIABLE, NEVER_CARRIED, refuses

# (id, value) pairs: the id names the hazard in test output without printing a 4000-byte value.
HOSTILE_VALUES: list[tuple[str, str]] = [
    ("ascii-quote", "'"),
    ("double-quote", '"'),
    ("curly-quotes", "\u2018left\u2019right\u201abase\u201breversed"),
    ("every-single-quote-doubled", "''\u2018\u2018\u2019\u2019\u201a\u201a\u201b\u201b"),
    ("quote-pairs", "'\u2019\u2018'\u201b'"),
    ("curly-double-quotes", "\u201cdq\u201d\u201e"),
    ("apostrophe-word", "it's"),
    ("backslash", "\\"),
    ("trailing-backslash", "ends with\\"),
    ("double-backslash", "\\\\"),
    ("backslash-quote", "a\\'b\\\"c"),
    ("backslash-letters", "\\n\\t\\x41\\u0041\\e"),
    ("backslash-bang", "\\!"),
    ("backslash-dollar", "\\$HOME"),
    ("dollar-variables", "$HOME ${HOME} $1 $$ $? $@ $env:PATH $PWD"),
    ("command-substitution", "$(echo injected) `echo injected` $(echo `echo nested`)"),
    ("arithmetic", "$((1+1)) $[1+1]"),
    ("history", "! !! !$ !-1 x!y ^a^b"),
    ("percent", "% %PATH% %% %1 %~dp0"),
    ("cmd-specials", "^ & | < > && || >> 2>&1"),
    ("statement-separators", "; ;; a;b"),
    ("globs", "* ? [a] [!a] [ ** *.json"),
    ("tildes", "~ ~root ~/x a~b"),
    ("braces", "{a,b} {} {1..3} ${}"),
    ("parentheses", "() (x) @(x) $(x) ${x}"),
    ("comment", "#comment"),
    ("mid-comment", "a #b"),
    ("elvish-and-nu-syntax", "$x[0] (put x) {|x| $x} ^cmd"),
    ("xonsh-python-syntax", '@(print(1)) !(ls) $[ls] f\'{1}\' """x""" r\'\\\''),
    ("json-syntax", '{"a": null} \\u0041 \\"'),
    ("newline", "line1\nline2"),
    ("only-newline", "\n"),
    ("trailing-newline", "trailing\n"),
    ("leading-newline", "\nleading"),
    ("carriage-return", "\r"),
    ("crlf", "cr\r\nlf"),
    ("tab", "\t"),
    ("tabs-inside", "tab\tinside\t"),
    ("other-controls", "\x01\x07\x08\x0b\x0c\x1b[31mred\x1b[0m\x7f"),
    ("leading-space", " lead"),
    ("trailing-space", "trail "),
    ("runs-of-spaces", "  runs   of  spaces  "),
    ("only-space", " "),
    ("latin-1", "caf\u00e9 na\u00efve \u00ff"),
    ("cjk", "\u65e5\u672c\u8a9e"),
    ("astral", "\U0001f600x\U0001f4a9\U00010000\U0010fffd"),
    ("unicode-spaces-and-separators", "\u00a0\u2028\u2029\u3000\ufeff\u200b"),
    ("combining-and-rtl", "e\u0301 \u202eabc\u202c"),
    ("dash", "-"),
    ("dash-e", "-e"),
    ("double-dash", "--"),
    ("dash-n", "-n"),
    ("option-like", "--help"),
    ("dash-with-space", "-x y"),
    ("equals", "= x"),
    ("assignment", "x=y"),
    ("long-token", "A" * 4100),
    ("long-base64", "AbC+/=" * 800),
    ("long-hostile", ("'\\!$`\u2019\"%^ " * 500)),
    ("bsd-csh-longest-word", "\u00e9" * 4093 + "C"),
    ("over-8k-bytes", "B" * 9000),
    ("base64-alphabet", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
    ("sts-like-token", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ" * 20),
]

HOSTILE_IDS = [name for name, _ in HOSTILE_VALUES]


def carried_values(target: str) -> list[tuple[str, str]]:
    """The hostile values `target` must carry exactly, in any variable envgen sets."""
    return [
        (name, value)
        for name, value in HOSTILE_VALUES
        if not refuses(target, value, LONGEST_VARIABLE)
    ]


def refused_values(target: str) -> list[tuple[str, str]]:
    """The hostile values `target` must refuse, in any variable envgen sets."""
    return [
        (name, value) for name, value in HOSTILE_VALUES if refuses(target, value, LONGEST_VARIABLE)
    ]


# Fragments hypothesis splices into arbitrary text, so generated values hit the hazards often.
HOSTILE_FRAGMENTS = sorted(
    {char for _, value in HOSTILE_VALUES if len(value) < 100 for char in value}
    | {"''", "\\'", "'\\''", "$(", "`", "%%", "!!", "\r\n", "\\\n", "'\n'", "${", "\u2019\u2019"}
)


def value_text(excluded: str = NEVER_CARRIED, max_size: int = 40) -> st.SearchStrategy[str]:
    """Non-empty text without `excluded` and without lone surrogates (no encoding carries them)."""
    plain = st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters=excluded),
        min_size=1,
        max_size=max_size,
    )
    fragments = st.sampled_from([f for f in HOSTILE_FRAGMENTS if not set(f) & set(excluded)])
    spliced = st.lists(st.one_of(plain, fragments), min_size=1, max_size=6).map("".join)
    return st.one_of(plain, spliced)


def environment_after_import(
    unrelated: dict[str, str], secret: str, token: str | None
) -> dict[str, str]:
    """The environment once envgen's output for AKIDEXAMPLE / `secret` / `token`, expiring at
    the end of 2099, has been applied over one holding `unrelated` and stale AWS variables."""
    environment = {
        **unrelated,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CREDENTIAL_EXPIRATION": "2099-12-31T23:59:59Z",
        "AWS_SESSION_EXPIRATION": "2099-12-31T23:59:59Z",
    }
    if token is not None:
        environment["AWS_SESSION_TOKEN"] = token
    return environment
