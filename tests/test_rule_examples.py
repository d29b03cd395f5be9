"""Each rule's own examples: valid ones stay silent, invalid ones fire exactly where marked, and
the invalid examples of a rule with a fix become exactly their ``fixed`` text under ``--fix``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentry_model_lint.config import Config
from sentry_model_lint.engine import lint_source
from sentry_model_lint.fixes import apply_fixes
from sentry_model_lint.rules.base import Example, Family, Fix, Rule, all_rules, expected_marks, strip_expect_marks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ALL_RULES = Config(select=("SML",), project_index=False)  # examples are single files


def _cases():
    for rule in all_rules():
        for valid in (True, False):
            for index, (path, source) in enumerate(rule.examples(valid)):
                kind = "valid" if valid else "invalid"
                yield pytest.param(path, source, id=f"{rule.code}-{kind}-{index}")


@pytest.mark.parametrize(("path", "source"), list(_cases()))
def test_example(path: str, source: str) -> None:
    result = lint_source(source, path, ALL_RULES, root="/")
    assert result.error is None
    assert result.internal_errors == []
    reported = {(v.line, v.code) for v in result.violations}
    # an example shows one rule: it must not trip any other rule either
    assert reported == expected_marks(source)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.summary and rule.why and rule.instead and rule.message
    if rule.family is Family.PROJECT:
        # project rules are shown by whole repositories: one that fires, one that is clean
        folder = FIXTURES / "projects" / rule.fixture
        assert rule.fixture and (folder / "bad").is_dir() and (folder / "clean").is_dir(), folder
        return
    assert rule.valid, "a rule needs at least one example that stays silent"
    if rule.code != "SML132":  # silent per file; see its notes
        assert rule.invalid, "a rule needs at least one example that fires"
        assert any(code == rule.code for _, src in rule.examples(valid=False) for _, code in expected_marks(src))


def _fix_cases():
    for rule in all_rules():
        for index, example in enumerate(rule.example_items(valid=False)):
            yield pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_fix_cases()))
def test_example_fix(rule: Rule, example: Example) -> None:
    """What ``check --fix --unsafe-fixes`` makes of the example is its ``fixed`` text; fixing
    that again changes nothing, and only the findings the fix left for a human remain."""
    if rule.fix is Fix.NONE:
        assert example.fixed is None, "a rule without a fix cannot show a fixed text"
        return
    assert example.fixed is not None, "every invalid example of a rule with a fix shows the fixed text"
    reported = lint_source(example.source, example.path, ALL_RULES, root="/").violations
    result = apply_fixes(example.source, reported, unsafe=True)
    assert rule.code in {v.code for v in result.fixed}
    assert strip_expect_marks(result.source) == strip_expect_marks(example.fixed)
    after = lint_source(result.source, example.path, ALL_RULES, root="/")
    assert after.error is None
    left = [v for v in result.skipped if v.code == rule.code]
    assert len([v for v in after.violations if v.code == rule.code]) == len(left)
    assert apply_fixes(result.source, after.violations, unsafe=True).source == result.source
