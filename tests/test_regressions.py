"""Fixed regression tests: one test per input the property suites (``tests/test_properties.py``)
found, shrunk by hand to the smallest module that shows the defect, plus the variants met
while shrinking.

Each test checks the property that failed, not an exact output: for fixes, the fixed text
parses, re-linting it shows no finding of the codes that were fixed, and fixing it a second
time changes nothing; for line counting, findings land on the right line and ``# noqa`` there
silences exactly them.

A defect found but not fixed yet would be marked ``xfail(strict=True)`` here, so the mark fails
the run (XPASS) once it is fixed; none is open.
"""

from __future__ import annotations

import ast

import pytest

from sentry_model_lint.config import Config
from sentry_model_lint.engine import lint_source
from sentry_model_lint.fixes import SAFE_FIXES, UNSAFE_FIXES, apply_fixes
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.rules.base import Violation

CONFIG = Config(select=("SML",), project_index=False)
ROOT = "/nonexistent-sml-project"  # never read: the project index is off
MODEL = "src/sentry/models/widget.py"
MIGRATION_TEST = "tests/sentry/migrations/test_0002_x.py"
FIXABLE = SAFE_FIXES | UNSAFE_FIXES


def reported(source: str, path: str) -> list[Violation]:
    """What ``check`` reports: engine findings (no error, no internal error) after ``# noqa``."""
    result = lint_source(source, f"{ROOT}/{path}", CONFIG, root=ROOT)
    assert result.error is None, result.error.message
    assert result.internal_errors == [], result.internal_errors
    return filter_violations(result.violations, source)


def assert_fix_is_sound(source: str, path: str = MODEL, codes: frozenset[str] = FIXABLE) -> str:
    """Fix every finding of ``codes`` at once (as ``check --fix --unsafe-fixes`` does) and check
    the fix: something is fixed, the output parses, no finding of a fixed code is left beyond
    those skipped, and a second round over the output changes nothing. Returns the output."""
    targets = [v for v in reported(source, path) if v.code in codes]
    assert targets, "the input must show a fixable finding"
    result = apply_fixes(source, targets, unsafe=True)
    assert sorted(result.fixed + result.skipped) == sorted(targets), "every finding is fixed or skipped"
    assert result.fixed, f"nothing fixed: {result.skipped}"
    fixed = result.source
    ast.parse(fixed)  # (1) the output parses
    after = reported(fixed, path)
    for code in sorted({v.code for v in result.fixed}):  # (2) no finding of a fixed code is left
        left = [v for v in after if v.code == code]
        skipped = [v for v in result.skipped if v.code == code]
        assert len(left) <= len(skipped), f"{code} still reported after the fix: {left}\n{fixed}"
    # (3) fixing twice gives the same text as fixing once
    again = apply_fixes(fixed, [v for v in after if v.code in codes], unsafe=True)
    assert again.source == fixed and not again.fixed, f"a second round fixed {again.fixed}:\n{fixed}\n---\n{again.source}"
    return fixed


MODEL_HEADER = "from sentry.backup.scopes import RelocationScope\nfrom sentry.db.models import Model, cell_silo_model\n"


def model(*bodies: str, header: str = MODEL_HEADER) -> str:
    """A model module: ``header``, then one ``@cell_silo_model`` class ``Widget(Model)`` per body
    (all named ``Widget``, as the shrunk examples are)."""
    classes = ["\n\n@cell_silo_model\nclass Widget(Model):\n" + body for body in bodies]
    return header + "".join(classes)


FLAG = "    __include_in_export__ = False\n"
SCOPE = "    __relocation_scope__ = RelocationScope.Excluded\n"


# --- SML104 with three classes named Widget (test_all_fixes_together_are_sound) ----------------

# ``test_all_fixes_together_are_sound`` reported "the SML104 fix is not idempotent" on a model
# module whose classes the shrinker had all renamed ``Widget``; its property, run on the suite's
# model strategies with every class named ``Widget``, found the module below (shrunk by hand).
# The defect is not in SML104's fix: the class the second round fixes was not a model in the
# first round. Its silo decorator
# ``@cell_silo_model`` was never imported, so the linter could not tell it was a Sentry model
# and reported nothing on it; SML106's fix of *another* class (``@region_silo_model`` becomes
# ``@cell_silo_model``) adds ``from sentry.db.models import cell_silo_model``, which gives the
# free name a meaning, the class becomes a model, and its legacy flag shows up as a new SML104
# finding that the second round fixes. The fixer only checks that nothing *binds* a name before
# importing it, not that nothing already *refers* to it. Two classes are the minimum (the one
# SML106 fixes and the one its import changes); the third Widget of the report is not needed.
SML106_IMPORT_BINDS_A_FREE_NAME = """\
from sentry.db.models import region_silo_model


@region_silo_model
class Widget:
    pass


@cell_silo_model
class Widget:
    __include_in_export__ = False
"""

THREE_WIDGETS_SML106_IMPORT = """\
from sentry.db.models import region_silo_model


@region_silo_model
class Widget:
    pass


@cell_silo_model
class Widget:
    __include_in_export__ = False


@cell_silo_model
class Widget:
    __include_in_export__ = False
"""


@pytest.mark.parametrize(
    "source", [SML106_IMPORT_BINDS_A_FREE_NAME, THREE_WIDGETS_SML106_IMPORT], ids=["minimal", "three-widgets"]
)
def test_sml104_three_widgets_fixing_twice_changes_nothing(source: str) -> None:
    # the SML106 fix must not import `cell_silo_model` while the module uses that name unbound:
    # the import would turn the second class into a model and wake its SML104 finding. It is
    # left for a human, and a second round has nothing new to fix.
    targets = [v for v in reported(source, MODEL) if v.code in FIXABLE]
    assert [v.code for v in targets] == ["SML106"]
    result = apply_fixes(source, targets, unsafe=True)
    assert result.source == source and [v.code for v in result.skipped] == ["SML106"]
    # the same module with the name imported: the fix applies, and is sound
    imported = source.replace("import region_silo_model\n", "import cell_silo_model, region_silo_model\n")
    assert "SML104" in {v.code for v in reported(imported, MODEL)}
    assert_fix_is_sound(imported)


# The three-Widget shape itself, each class with the legacy flag: fixed correctly today, each
# class by its own node (a fixer that looked classes up by name would edit the wrong Widget).
THREE_WIDGETS = {
    "flags": model(FLAG, FLAG, FLAG),
    "one-has-a-scope-first": model(SCOPE + FLAG, FLAG, FLAG),
    "one-has-a-scope-middle": model(FLAG, SCOPE + FLAG, FLAG),
    "one-has-a-scope-last": model(FLAG, FLAG, FLAG + SCOPE),
    "duplicate-flag-first": model(FLAG + FLAG, FLAG, FLAG),
    "duplicate-flag-last": model(FLAG, FLAG, FLAG + "    label = 1\n" + FLAG),
    "core": model("    __core__ = False\n", FLAG, "    __core__ = False\n" + FLAG),
    "scope-not-imported": model(FLAG, FLAG, FLAG, header="from sentry.db.models import Model, cell_silo_model\n"),
    "aliased-scope-import": model(
        FLAG, FLAG, FLAG, header=MODEL_HEADER.replace("RelocationScope\n", "RelocationScope as Scope\n")
    ),
}


@pytest.mark.parametrize("source", list(THREE_WIDGETS.values()), ids=list(THREE_WIDGETS))
def test_sml104_three_widgets_each_fixed_by_its_own_node(source: str) -> None:
    fixed = assert_fix_is_sound(source, codes=frozenset({"SML104"}))
    assert "__include_in_export__" not in fixed and "__core__" not in fixed
    tree = ast.parse(fixed)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert len(classes) == 3
    for cls in classes:  # each class ends with exactly one scope
        scopes = [s for s in cls.body if isinstance(s, ast.Assign) and ast.unparse(s.targets[0]) == "__relocation_scope__"]
        assert len(scopes) == 1, ast.unparse(cls)


# --- SML104: the same legacy flag assigned twice in one class (test_fix_is_sound[SML104]) ------

# The rule reports the last assignment (the one that wins at run time); the fixer used to
# rewrite only that one, so the earlier assignment survived and was reported again (a second
# round fixed it, or with ``True`` it stayed). Earlier assignments are dead stores: they go.
DUPLICATE_FLAG = {
    "false-false": model(FLAG + FLAG),
    "true-then-false": model("    __include_in_export__ = True\n    label = 1\n" + FLAG),
    "core-false-false": model("    __core__ = False\n    label = 1\n    __core__ = False\n"),
    "with-scope": model(SCOPE + FLAG + FLAG),
}


@pytest.mark.parametrize("source", list(DUPLICATE_FLAG.values()), ids=list(DUPLICATE_FLAG))
def test_sml104_duplicate_flag_is_gone_after_one_round(source: str) -> None:
    fixed = assert_fix_is_sound(source, codes=frozenset({"SML104"}))
    assert "__include_in_export__" not in fixed and "__core__" not in fixed
    assert fixed.count("__relocation_scope__") == 1


# --- SML104: the other defects of its fix listed in the CHANGELOG ---------------------------


def test_sml104_comment_above_a_removed_last_statement_stays() -> None:
    """A comment line above a flag that is the class body's last statement (it used to make
    the fix give up, leaving the finding)."""
    source = model(SCOPE + "    # kept for the old exporter\n    __core__ = False\n")
    fixed = assert_fix_is_sound(source, codes=frozenset({"SML104"}))
    assert "    # kept for the old exporter\n" in fixed


def test_sml104_reuses_an_aliased_scope_import() -> None:
    """``RelocationScope`` imported under another name: the fix uses that name rather than
    importing ``RelocationScope`` a second time."""
    source = model(FLAG, header=MODEL_HEADER.replace("RelocationScope\n", "RelocationScope as Scope\n"))
    fixed = assert_fix_is_sound(source, codes=frozenset({"SML104"}))
    assert "__relocation_scope__ = Scope.Excluded" in fixed
    assert fixed.count("sentry.backup.scopes") == 1 and "import RelocationScope as Scope\n" in fixed


# --- line separators that are not line ends (U+2028 and friends) ---------------------------------

# ``str.splitlines`` also splits at form feed, vertical tab, U+001C..U+001E, U+0085, U+2028 and
# U+2029; Python's tokenizer does not. One of them in a comment or a string shifted every line
# the linter counted after it by one: a noqa comment on a finding's line no longer silenced it
# (``test_noqa_silences_exactly_that_finding``), and the quote style of ``migrate_from`` /
# ``migrate_to`` was read off the wrong line, so SML302 was missed.
SEPARATORS = {
    "U+2028": "\u2028",
    "U+2029": "\u2029",
    "form-feed": "\x0c",
    "vertical-tab": "\x0b",
    "U+001C": "\x1c",
    "U+0085": "\x85",
}


def _model_after_separator(separator: str, noqa: str = "") -> str:
    return (
        "from sentry.db.models import Model, cell_silo_model\n"
        f"# widgets{separator}and gadgets\n"
        "\n\n"
        "@cell_silo_model\n"
        f"class Widget(Model):{noqa}\n"
        "    pass\n"
    )


@pytest.mark.parametrize("separator", list(SEPARATORS.values()), ids=list(SEPARATORS))
def test_noqa_after_a_line_separator_silences_its_line(separator: str) -> None:
    source = _model_after_separator(separator)
    assert source.split("\n")[5].startswith("class Widget")  # line 6, as Python counts lines
    assert [(v.code, v.line) for v in reported(source, MODEL)] == [("SML101", 6)]
    assert reported(_model_after_separator(separator, "  # noqa: SML101"), MODEL) == []
    # and only the code it names
    assert [v.code for v in reported(_model_after_separator(separator, "  # noqa: SML102"), MODEL)] == ["SML101"]


@pytest.mark.parametrize("separator", list(SEPARATORS.values()), ids=list(SEPARATORS))
def test_quote_style_after_a_line_separator_is_read_on_its_line(separator: str) -> None:
    source = (
        "from sentry.testutils.cases import TestMigrations\n"
        f"# widgets{separator}and gadgets\n"
        "\n\n"
        "class WidgetTest(TestMigrations):\n"
        '    migrate_from = "0001_initial"\n'
        "    migrate_to = '0002_x'\n"
        "\n"
        "    def test(self):\n"
        "        pass\n"
    )
    assert [(v.code, v.line, v.col) for v in reported(source, MIGRATION_TEST)] == [("SML302", 7, 4)]
    fixed = assert_fix_is_sound(source, MIGRATION_TEST)
    assert '    migrate_to = "0002_x"\n' in fixed
    assert f"# widgets{separator}and gadgets\n" in fixed
