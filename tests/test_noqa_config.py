"""``# noqa`` parity with flake8, and rule selection."""

from __future__ import annotations

import pytest

from sentry_model_lint.config import Config, ConfigError, from_mapping, parse_codes
from sentry_model_lint.noqa import filter_violations, is_silenced
from sentry_model_lint.rules.base import Violation


@pytest.mark.parametrize(
    ("line", "code", "silenced"),
    [
        ("x = 1  # noqa", "SML101", True),
        ("x = 1  # NOQA", "SML101", True),
        ("x = 1  # noqa: SML101", "SML101", True),
        ("x = 1  # noqa:SML101,SML102", "SML102", True),
        ("x = 1  # noqa: SML1", "SML130", True),  # a prefix covers the family
        ("x = 1  # noqa: SML102", "SML101", False),
        ("x = 1  # noqa: E501", "SML101", False),
        ("x = 1  # noqa: SML105  # expect: SML101", "SML101", False),
        ("x = 1  # noqa : SML101", "SML101", True),  # flake8 reads this as a bare noqa
        ("x = 1  # not noqa here", "SML101", False),
    ],
)
def test_inline_noqa(line: str, code: str, silenced: bool) -> None:
    assert is_silenced(code, line) is silenced


def test_noqa_after_a_multiline_string_covers_its_lines() -> None:
    source = 'x = """\nfirst\n"""  # noqa: SML101\ny = 2\n'
    found = [Violation(2, 0, "SML101", "m"), Violation(4, 0, "SML101", "m")]
    assert [v.line for v in filter_violations(found, source)] == [4]


def test_noqa_in_a_bracketed_call_applies_to_its_own_line_only() -> None:
    source = "f(\n    a=1,\n    b=2,  # noqa: SML130\n)\n"
    found = [Violation(2, 0, "SML130", "m"), Violation(3, 0, "SML130", "m")]
    assert [v.line for v in filter_violations(found, source)] == [2]


def test_file_level_noqa() -> None:
    source = "# flake8: noqa\nx = 1\n"
    assert filter_violations([Violation(2, 0, "SML101", "m")], source) == []
    # on a line with code it is not a file-level switch (flake8 warns and ignores it)
    source = "x = 1  # flake8: noqa\ny = 2\n"
    assert len(filter_violations([Violation(2, 0, "SML101", "m")], source)) == 1


def test_selection_follows_flake8() -> None:
    default = Config()
    assert default.is_enabled("SML101", True) and not default.is_enabled("SML134", False)
    assert Config(select=("SML",)).is_enabled("SML134", False)
    assert not Config(select=("SML2",)).is_enabled("SML101", True)
    assert Config(extend_select=("SML134",)).is_enabled("SML134", False)
    assert not Config(ignore=("SML13",)).is_enabled("SML130", True)
    assert Config(select=("SML130",), ignore=("SML13",)).is_enabled("SML130", True)  # longer wins
    assert not Config(select=("SML13",), ignore=("SML13",)).is_enabled("SML130", True)  # tie ignores


def test_config_values_are_validated() -> None:
    assert parse_codes("SML1, sml20", "select") == ("SML1", "SML20")
    assert parse_codes(["ALL"], "select") == ("SML",)
    with pytest.raises(ConfigError, match="select"):
        parse_codes(["E501"], "select")
    with pytest.raises(ConfigError, match="must be a list"):
        parse_codes(3, "ignore")
    with pytest.raises(ConfigError, match="unknown key `nope`"):
        from_mapping({"nope": 1})
    with pytest.raises(ConfigError, match="import-aliases"):
        from_mapping({"import-aliases": ["x"]})
