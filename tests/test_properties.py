"""Property-based tests: the linter never crashes, reports positions inside the file, honours
``# noqa`` exactly, and its fixes are sound (they parse, remove what they fix, are idempotent
and touch nothing outside the edited nodes and the import block).

Inputs come from hypothesmith (arbitrary valid Python) and from ``tests/strategies.py``
(Sentry-shaped models, migrations and migration tests).

Two hypothesis profiles are registered here, chosen with ``HYPOTHESIS_PROFILE``:

- ``ci`` (the default, used by CI and a plain ``pytest``): deterministic. ``derandomize=True``
  seeds each test from its own source instead of a new random seed per run, and
  ``database=None`` keeps the ``.hypothesis/`` folder out of it (no example saved by an earlier
  run is replayed, nothing is saved). The same command over the same code (tests,
  ``tests/strategies.py``, and ``src/``, whose literals hypothesis mixes into what it draws)
  gives the same examples on every run and every machine, so a red run stays red on a re-run
  and a green one stays green. 20 examples per test (a quarter for the
  ``hypothesmith.from_node()`` test, half for the all-fixes-at-once test): this file runs in
  well under a minute on a two-core machine. The plain command::

      .venv/bin/python -m pytest -q -p no:cacheprovider

- ``long``: random, to look for new defects: a new seed on every run, 2000 examples per test or
  ``HYPOTHESIS_EXAMPLES`` (with the same fractions for the two slow tests), and hypothesis's
  example database (``.hypothesis/``), which replays the failures it saved first. Run it, with
  statistics, as::

      HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py -q \\
          --hypothesis-show-statistics

  It takes hours at 2000 examples on two cores (the three hypothesmith tests alone take about
  forty minutes): ``-k`` narrows it (``-k fix_is_sound``), two processes with complementary
  ``-k`` halves use both cores, and ``HYPOTHESIS_EXAMPLES=500`` gives a shorter long run, for
  example::

      HYPOTHESIS_PROFILE=long HYPOTHESIS_EXAMPLES=500 .venv/bin/python -m pytest \\
          tests/test_properties.py -q -k "all_fixes_together or fix_is_sound"

A failure prints the minimal input and a ``@reproduce_failure`` blob to replay it. Every input
found this way becomes a fixed test in ``tests/test_regressions.py`` (shrunk by hand to the
smallest module that shows the defect, marked ``xfail(strict=True)`` while the defect is not
fixed), so that every plain run checks it whatever examples the ``ci`` profile draws.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import difflib
import io
import os
import re
import textwrap
import tokenize
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

import strategies as sst
from sentry_model_lint import flake8_plugin
from sentry_model_lint.cli import main
from sentry_model_lint.config import Config
from sentry_model_lint.engine import lint_source
from sentry_model_lint.fixes import SAFE_FIXES, UNSAFE_FIXES, apply_fixes
from sentry_model_lint.flake8_plugin import Plugin
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.rules.base import Violation

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles odd code

# --- profiles ------------------------------------------------------------------------------------

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
# ci: deterministic (derandomize: a fixed seed per test; no example database read or written)
settings.register_profile(
    "ci", max_examples=20, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET, print_blob=True
)
# long: random, larger, with the example database
_LONG = int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000"))
settings.register_profile("long", max_examples=_LONG, deadline=None, suppress_health_check=_QUIET, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def scaled(fraction: float) -> settings:
    """The active profile's example count times ``fraction`` (at least 1): for the slow tests."""
    return settings(max_examples=max(1, int(settings.default.max_examples * fraction)))


# --- helpers -------------------------------------------------------------------------------------

ROOT = "/nonexistent-sml-project"  # never read: the project index is off
CONFIG = Config(select=("SML",), project_index=False)
PATHS = ("src/sentry/models/x.py", "src/sentry/migrations/0002_x.py", "tests/sentry/migrations/test_x.py")
FIXABLE = sorted(SAFE_FIXES | UNSAFE_FIXES)


def compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<generated>", "exec", dont_inherit=True)
    except Exception:  # SyntaxError, ValueError (null bytes), UnicodeEncodeError, RecursionError...
        return False
    return True


def physical_lines(source: str) -> list[str]:
    """The lines as Python counts them (only \\r\\n, \\r and \\n end a line)."""
    lines = re.split(r"\r\n|\r|\n", source)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def check_position(line: int, col: int, lines: list[str], what: object) -> None:
    assert 1 <= line <= max(1, len(lines)), f"line {line} outside 1..{len(lines)}: {what}"
    width = len(lines[line - 1].encode("utf-8")) if lines else 0
    assert col >= 0 and (col < width or col == width == 0), f"column {col} outside the line ({width} bytes): {what}"


def lint(path: str, source: str) -> list[Violation]:
    """Engine findings of ``source`` linted as ``path``: no error, no internal error, in bounds."""
    result = lint_source(source, f"{ROOT}/{path}", CONFIG, root=ROOT)
    assert result.error is None, result.error and result.error.message
    assert result.internal_errors == [], result.internal_errors
    lines = physical_lines(source)
    for violation in result.violations:
        check_position(violation.line, violation.col, lines, violation)
    return result.violations


def reported(path: str, source: str) -> list[Violation]:
    """What the CLI reports: engine findings after ``# noqa``."""
    return filter_violations(lint(path, source), source)


def flake8_lines(source: str) -> list[str]:
    """The physical lines flake8 hands to plugins (universal newlines, ends kept)."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def run_plugin(project: Path, path: str, source: str) -> list[tuple[int, int, str]] | None:
    """The flake8 adapter's findings, as flake8 would get them; None when the text flake8
    reads (universal newlines) does not parse (``"\\\r\n"`` at the end of a file, say):
    flake8 reports that itself and never calls the plugin."""
    lines = flake8_lines(source)
    if not compiles("".join(lines)):
        return None
    tree = ast.parse("".join(lines))
    flake8_plugin._REPORTED.clear()  # it warns once per message; every example must be seen
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        found = [(line, col, text) for line, col, text, _ in Plugin(tree, str(project / path), lines).run()]
    assert "internal error" not in err.getvalue(), err.getvalue()
    stripped = [line.rstrip("\r\n") for line in lines]
    for line, col, text in found:
        assert re.match(r"SML\d{3} ", text), text
        check_position(line, col, stripped, text)
    return found


OUTPUT_LINE = re.compile(r"^(?P<path>.*):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) ")


def run_cli(project: Path, path: str, source: str) -> int:
    target = project / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        fh.write(source)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-project", "--no-cache", str(target)])
    assert code in (0, 1), (code, out.getvalue(), err.getvalue())
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
    lines = physical_lines(source)
    for row in out.getvalue().splitlines():
        match = OUTPUT_LINE.match(row)
        assert match is not None, row
        assert match["code"] != "E999", row  # the source compiles
        check_position(int(match["line"]), int(match["col"]) - 1, lines, row)
    return code


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root for the flake8 adapter and the CLI, with the index and the cache off."""
    root = tmp_path_factory.mktemp("sml-properties")
    (root / "pyproject.toml").write_text("[tool.sentry-model-lint]\nproject-index = false\ncache = false\n")
    return root


def all_front_doors(project: Path, source: str, cli_path: str = PATHS[0]) -> None:
    """The engine and the flake8 adapter at the three kinds of path (and ``cli_path``), then
    the CLI at ``cli_path``."""
    for path in dict.fromkeys((*PATHS, cli_path)):
        engine = lint(path, source)
        plugin = run_plugin(project, path, source)
        if plugin is None:
            continue
        # both front doors run the same rules: they must agree on what and where
        assert sorted((v.line, v.col, v.code) for v in engine) == sorted(
            (line, col, text.split()[0]) for line, col, text in plugin
        ), path
    run_cli(project, cli_path, source)


# --- 1. arbitrary valid Python -------------------------------------------------------------------


@given(source=hypothesmith.from_grammar())
def test_arbitrary_python_from_grammar(project: Path, source: str) -> None:
    assume(compiles(source))
    all_front_doors(project, source)


@scaled(0.25)
@given(source=hypothesmith.from_node())
def test_arbitrary_python_from_node(project: Path, source: str) -> None:
    assume(compiles(source))
    all_front_doors(project, source)


CONTAINERS = {
    "src/sentry/models/x.py": (
        "from django.db import models\n"
        "from sentry.backup.scopes import RelocationScope\n"
        "from sentry.db.models import Model, cell_silo_model\n\n\n"
        "@cell_silo_model\nclass Widget(Model):\n    __relocation_scope__ = RelocationScope.Organization\n"
    ),
    "src/sentry/migrations/0002_x.py": (
        "from django.db import migrations, models\n"
        "from sentry.new_migrations.migrations import CheckedMigration\n\n\n"
        "class Migration(CheckedMigration):\n    is_post_deployment = False\n"
    ),
    "tests/sentry/migrations/test_x.py": (
        "from sentry.testutils.cases import TestMigrations\n\n\n"
        'class WidgetTest(TestMigrations):\n    migrate_from = "0001_initial"\n    migrate_to = "0002_x"\n'
    ),
}


@given(body=hypothesmith.from_grammar(), path=st.sampled_from(sorted(CONTAINERS)))
def test_arbitrary_python_inside_a_sentry_class(project: Path, body: str, path: str) -> None:
    """Arbitrary statements in the body of a model, a ``Migration`` or a ``TestMigrations``."""
    source = CONTAINERS[path] + textwrap.indent(body, "    ") + "\n"
    assume(compiles(source))
    for other in PATHS:
        lint(other, source)
    run_plugin(project, path, source)


# --- 2. Sentry-shaped modules never crash --------------------------------------------------------


@pytest.mark.parametrize("kind", ["model", "migration", "test"])
@given(data=st.data())
def test_sentry_shaped_modules_never_crash(project: Path, kind: str, data: st.DataObject) -> None:
    strategy = {"model": sst.model_modules(), "migration": sst.migration_modules(), "test": sst.migration_test_modules()}[kind]
    sample = data.draw(strategy, label="sample")
    assert compiles(sample.source), "the strategy must write valid Python"
    for violation in lint(sample.path, sample.source):
        event(violation.code)
    all_front_doors(project, sample.source, cli_path=sample.path)


# --- 3. noqa -------------------------------------------------------------------------------------


def simple_lines(source: str) -> set[int]:
    """Lines that are a whole noqa unit by themselves (not joined to another line by a
    multi-line string or a backslash), without a comment: appending ``# noqa`` is safe there
    and affects that line only."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return set()
    simple: set[int] = set()
    low, high, comment = None, None, False
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low = tok.start[0] if low is None else min(low, tok.start[0])
        high = tok.end[0] if high is None else max(high, tok.end[0])
        comment = comment or tok.type == tokenize.COMMENT
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            if low == high and not comment:
                simple.add(low)
            low, high, comment = None, None, False
    return simple


def append_comment(source: str, line: int, comment: str) -> str:
    parts = re.split(r"(\r\n|\r|\n)", source)  # text, newline, text, newline, ...
    index = 2 * (line - 1)
    parts[index] = parts[index] + comment
    return "".join(parts)


@given(sample=sst.sentry_modules(), data=st.data())
def test_noqa_silences_exactly_that_finding(sample: sst.Sample, data: st.DataObject) -> None:
    before = reported(sample.path, sample.source)
    simple = simple_lines(sample.source)
    candidates = sorted({(v.line, v.code) for v in before if v.line in simple})
    assume(candidates)
    line, code = data.draw(st.sampled_from(candidates), label="silenced")
    source = append_comment(sample.source, line, f"  # noqa: {code}")
    note(source)
    after = reported(sample.path, source)
    expected = {v for v in before if not (v.line == line and v.code == code)}
    assert set(after) == expected


# --- 4. fixes ------------------------------------------------------------------------------------


def _node_spans(source: str) -> dict[tuple[int, int], int]:
    """(line, UTF-8 column) -> the last line of the largest node starting there."""
    spans: dict[tuple[int, int], int] = {}
    for node in ast.walk(ast.parse(source)):
        if hasattr(node, "lineno") and getattr(node, "end_lineno", None) is not None:
            key = (node.lineno, node.col_offset)
            spans[key] = max(spans.get(key, 0), node.end_lineno)
    return spans


def _statement_spans(tree: ast.Module) -> list[tuple[int, int]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            out.append((first, node.end_lineno or node.lineno))
    return out


def _flag_assignments(tree: ast.Module, line: int) -> set[int]:
    """Lines of the assignments to the legacy flag assigned on ``line``, in the same class body."""
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and stmt.lineno == line:
                names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
                return {
                    number
                    for other in cls.body
                    if isinstance(other, ast.Assign) and {t.id for t in other.targets if isinstance(t, ast.Name)} & names
                    for number in range(other.lineno, (other.end_lineno or other.lineno) + 1)
                }
    return set()


def allowed_lines(source: str, fixed: list[Violation]) -> set[int]:
    """Lines of ``source`` a fix may change: the fixed nodes (the whole statement that holds
    them for statement-level fixes, the whole class for SML202), the module's imports and the
    header above the first statement that is not an import."""
    tree = ast.parse(source)
    spans = _node_spans(source)
    statements = _statement_spans(tree)
    allowed: set[int] = set()
    for violation in fixed:
        end = spans.get((violation.line, violation.col), violation.line)
        allowed.update(range(violation.line, end + 1))
        if violation.code in ("SML104", "SML202", "SML203", "SML304", "SML306"):
            # statement-level edits: the statements that start on the reported line
            for first, last in statements:
                if first <= violation.line <= last and (violation.code == "SML202" or first == violation.line):
                    allowed.update(range(first, last + 1))
        if violation.code == "SML104":
            # the fix also drops earlier assignments of the same flag in that class (dead stores)
            allowed.update(_flag_assignments(tree, violation.line))
    body = tree.body
    position = 0
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        position = 1
    while position < len(body) and isinstance(body[position], (ast.Import, ast.ImportFrom)):
        position += 1
    if position < len(body):
        stmt = body[position]
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        allowed.update(range(1, first))
    else:
        allowed.update(range(1, len(physical_lines(source)) + 2))
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            allowed.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 2))
    # a blank line next to an edited one may go or come with it (a removed statement's spacing)
    lines = physical_lines(source)
    blank = {number for number, text in enumerate(lines, start=1) if not text.strip()}
    allowed |= {n for n in blank if n - 1 in allowed or n + 1 in allowed}
    return allowed


def check_confined(before: str, after: str, fixed: list[Violation]) -> None:
    """Every line the diff marks as changed lies in a fixed node or the import block; every
    other line is kept byte for byte."""
    allowed = allowed_lines(before, fixed)
    old, new = physical_lines(before), physical_lines(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            # between old lines i1 and i1 + 1 (1-based): either neighbour must be editable
            assert i1 in allowed or i1 + 1 in allowed, f"lines inserted after line {i1}: {new[j1:j2]!r}"
            continue
        outside = [number for number in range(i1 + 1, i2 + 1) if number not in allowed]
        assert not outside, f"{tag} of lines {outside} outside the fixed nodes: {old[i1:i2]!r} -> {new[j1:j2]!r}"


def check_fix_round(path: str, source: str, targets: list[Violation], unsafe: bool) -> str | None:
    """Fix ``targets`` in ``source`` and check the fix. Returns the fixed source (None when
    nothing was fixed)."""
    result = apply_fixes(source, targets, unsafe=unsafe)
    assert sorted(result.fixed + result.skipped) == sorted(targets), "every finding is fixed or skipped"
    if not result.fixed:
        assert result.source == source, "nothing fixed, yet the source changed"
        return None
    fixed = result.source
    note(f"fixed source:\n{fixed}")
    assert fixed != source
    assert compiles(fixed), "the fixed source does not parse"
    before = reported(path, source)
    after = reported(path, fixed)
    for code in sorted({v.code for v in result.fixed}):
        done = {(v.line, v.col) for v in result.fixed if v.code == code}
        count_before = sum(v.code == code for v in before)
        count_after = sum(v.code == code for v in after)
        assert count_after <= count_before - len(done), f"{code}: {count_before} findings, {len(done)} fixed, {count_after} after"
        symbols_before = collections.Counter(v.symbol for v in before if v.code == code)
        symbols_fixed = collections.Counter(v.symbol for v in result.fixed if v.code == code)
        symbols_after = collections.Counter(v.symbol for v in after if v.code == code)
        for symbol, count in symbols_fixed.items():
            assert symbols_after[symbol] <= symbols_before[symbol] - count, f"{code} on {symbol!r} still reported"
    check_confined(source, fixed, result.fixed)
    # a second round over the fixed source changes nothing
    codes = {v.code for v in targets}
    again = apply_fixes(fixed, [v for v in after if v.code in codes], unsafe=unsafe)
    assert again.source == fixed and not again.fixed, f"a second round fixed {again.fixed}:\n{again.source}"
    return fixed


@pytest.mark.parametrize("code", FIXABLE)
@given(data=st.data())
def test_fix_is_sound(code: str, data: st.DataObject) -> None:
    sample = data.draw(sst.focused(code), label="sample")
    targets = [v for v in reported(sample.path, sample.source) if v.code == code]
    event("reported" if targets else "not reported")
    fixed = check_fix_round(sample.path, sample.source, targets, unsafe=code in UNSAFE_FIXES)
    event("fixed" if fixed is not None else "nothing fixed")


@scaled(0.5)
@given(sample=st.one_of(sst.sentry_modules(), st.sampled_from(FIXABLE).flatmap(sst.focused)))
def test_all_fixes_together_are_sound(sample: sst.Sample) -> None:
    """What ``check --fix --unsafe-fixes`` does: every fixable finding at once."""
    targets = [v for v in reported(sample.path, sample.source) if v.code in SAFE_FIXES | UNSAFE_FIXES]
    assume(targets)
    fixed = check_fix_round(sample.path, sample.source, targets, unsafe=True)
    event("fixed" if fixed is not None else "nothing fixed")


# --- exclusion patterns ------------------------------------------------------------------------

_SEGMENTS = st.sampled_from(["a", "b", "src", "build", "x.py", "y_test.py", ".hidden", "a.egg-info"])
_PATTERN_PARTS = st.sampled_from(["a", "b", "src", "build", "*.py", "*_test.py", ".*", "*.egg-info", "**", "?.py", "[ab]"])


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    body = "/".join(draw(st.lists(_PATTERN_PARTS, min_size=1, max_size=3)))
    return draw(st.sampled_from(["", "/"])) + body + draw(st.sampled_from(["", "/"]))


@given(
    patterns=st.lists(_patterns(), max_size=6),
    path=st.lists(_SEGMENTS, min_size=1, max_size=4).map("/".join),
    is_dir=st.booleans(),
)
def test_combined_exclusion_matcher_agrees_with_pathspec(patterns: list[str], path: str, is_dir: bool) -> None:
    """The walker matches exclusions with one combined expression: same answers as pathspec."""
    import pathspec

    from sentry_model_lint.discover import matcher

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    name = path + "/" if is_dir else path
    assert matcher(spec)(name) == spec.match_file(name)
