"""Every fixture file against its own ``# expect:`` marks, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from marks import FIXTURES, describe, fixture_files, marks_of
from sentry_model_lint.config import load_for_root
from sentry_model_lint.engine import lint_file
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.paths import find_root


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_matches_marks(path: Path) -> None:
    # every rule, default-off ones included; the fixture project's own settings still apply
    config = load_for_root(find_root(str(path.parent))).with_options(select=("SML",))
    result = lint_file(str(path), config)
    assert result.error is None, result.error.message
    assert result.internal_errors == []
    reported = {(v.line, v.code) for v in filter_violations(result.violations, result.source or "")}
    expected = marks_of(path)
    missing, unexpected = expected - reported, reported - expected
    assert not missing and not unexpected, describe(missing, unexpected)


def test_every_rule_has_a_fixture_finding() -> None:
    from sentry_model_lint.rules.base import all_rules

    marked = set()
    for path in fixture_files():
        marked |= {code for _, code in marks_of(path)}
    silent_per_file = {"SML132"}  # needs the project index; see its docs
    missing = [r.code for r in all_rules() if r.code not in marked and r.code not in silent_per_file]
    assert not missing, f"no fixture marks a finding of {missing}"
