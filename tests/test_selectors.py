"""A selector that selects no rule is an error (exit 2), in the CLI and in the configuration;
a run never exits 0 having checked nothing because of a typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_model_lint.cli import main
from sentry_model_lint.config import ConfigError, from_mapping

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "example_repo"


@pytest.mark.parametrize("selector", ["SML01", "SMLXYZ", "SML9", "SML5", "SML139", "SML1000"])
@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_cli_refuses_a_selector_that_matches_no_rule(option: str, selector: str, capsys) -> None:
    assert main(["check", option, selector, "--no-cache", str(EXAMPLE)]) == 2
    assert selector in capsys.readouterr().err


@pytest.mark.parametrize("selector", ["SML", "ALL", "SML1", "SML21", "SML101", "sml4"])
def test_cli_accepts_codes_prefixes_and_all(selector: str, capsys) -> None:
    assert main(["check", "--select", selector, "--no-cache", "--quiet", str(EXAMPLE)]) in (0, 1)


@pytest.mark.parametrize("selector", ["SML01", "SMLXYZ", "SML9"])
def test_configuration_refuses_a_selector_that_matches_no_rule(selector: str) -> None:
    with pytest.raises(ConfigError, match="matches no rule"):
        from_mapping({"select": [selector]})
