"""Whole runs on awkward trees: what ``--fix`` reports afterwards, modules too deep to rewrite,
paths that overlap, baselines that outlive their files, folders that cannot be read."""

from __future__ import annotations

import ast
import json
import os
import shutil
from pathlib import Path

import pytest

from sentry_model_lint.cli import main
from sentry_model_lint.fixes import MAX_FIX_DEPTH, apply_fixes, syntax_depth
from sentry_model_lint.rules.base import Violation
from sentry_model_lint.source import SourceError, parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "projects"

MODEL = (
    "from django.db import models\n"
    "from sentry.db.models import Model, cell_silo_model\n"
    "\n"
    "\n"
    "@cell_silo_model\n"
    "class Widget(Model):\n"
    '    __relocation_scope__ = "x"\n'
    "    config = models.JSONField(default={})\n"
)


@pytest.fixture
def project(bare_project: Path) -> Path:
    return bare_project


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--quiet", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines_of(out: str, code: str) -> list[int]:
    return [int(line.split(":")[1]) for line in out.splitlines() if f" {code} " in line]


# --fix reports what the tree holds after the fixes ----------------------------------------------

REMOVE = """\
from django.db import migrations

from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [
        ("sentry", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="widget",
            name="legacy_code",
        ),
    ]
"""


@pytest.fixture
def removal(tmp_path: Path) -> Path:
    """An app whose second migration plainly removes a NOT NULL column without db_default."""
    root = tmp_path / "app"
    shutil.copytree(
        FIXTURES / "sml402_pending_not_nullable" / "bad", root, ignore=shutil.ignore_patterns(".sentry_model_lint_cache")
    )
    migrations = root / "src" / "sentry" / "migrations"
    (migrations / "0002_widget_gadget_pending.py").write_text(REMOVE)
    return root


def test_fix_reports_the_cross_file_finding_it_causes_at_its_new_line(removal: Path, capsys) -> None:
    migration = removal / "src" / "sentry" / "migrations" / "0002_widget_gadget_pending.py"
    code, before, _ = run(capsys, str(removal / "src"))
    assert code == 1 and "SML220" in before and "SML402" not in before

    code, out, err = run(capsys, "--fix", "--unsafe-fixes", str(removal / "src"))
    assert "Traceback" not in err
    text = migration.read_text()
    assert "SafeRemoveField(" in text and "MOVE_TO_PENDING" in text
    # the fixed RemoveField is gone from the report; the pending phase of a NOT NULL column
    # without db_default (a finding of the app's history, SML402) is reported at once, at the
    # line the operation has in the new text
    assert "SML220" not in out
    expected = text.splitlines().index("        SafeRemoveField(") + 1
    assert lines_of(out, "SML402") == [expected], out
    assert code == 1
    # and a fresh run agrees
    assert run(capsys, str(removal / "src"))[1] == out


def test_fix_reports_findings_at_their_lines_after_the_fix(removal: Path, capsys) -> None:
    migration = removal / "src" / "sentry" / "migrations" / "0002_widget_gadget_pending.py"
    # the SML202 fix adds the flag as a new line: the RenameField below it moves down
    migration.write_text(
        REMOVE.replace("    is_post_deployment = False\n", "").replace(
            'migrations.RemoveField(\n            model_name="widget",\n            name="legacy_code",',
            'migrations.RenameField(\n            model_name="widget",\n            old_name="name",\n            new_name="title",',
        )
    )
    selection = ("--select", "SML202,SML230", str(removal / "src"))
    _, before, _ = run(capsys, *selection)
    assert "SML202" in before and len(lines_of(before, "SML230")) == 1
    code, out, _ = run(capsys, "--fix", *selection)
    assert code == 1
    text = migration.read_text()
    assert "is_post_deployment = False" in text and "SML202" not in out
    expected = text.splitlines().index("        migrations.RenameField(") + 1
    assert lines_of(out, "SML230") == [expected] != lines_of(before, "SML230")


# modules too deep for libcst are left alone, with a message ---------------------------------------


def nested(depth: int) -> str:
    return "x = " + " if a else ".join(["1"] * depth) + "\n"


def test_syntax_depth_stops_counting_past_the_limit() -> None:
    tree = ast.parse(nested(2500))
    assert syntax_depth(tree, 10) == 11
    assert syntax_depth(ast.parse("x = 1\n"), 10) == 3


def test_apply_fixes_refuses_a_module_nested_too_deeply() -> None:
    source = MODEL + nested(2500)
    violation = Violation(8, 38, "SML130", "m", "Widget.config")
    result = apply_fixes(source, [violation])
    assert result.source == source and result.fixed == []
    assert result.refused is not None and str(MAX_FIX_DEPTH) in result.refused


def test_apply_fixes_still_rewrites_a_module_at_the_depth_limit() -> None:
    body = "y = " + "[" * 90 + "]" * 90 + "\n"
    source = MODEL + body
    assert syntax_depth(ast.parse(source), MAX_FIX_DEPTH) <= MAX_FIX_DEPTH
    result = apply_fixes(source, [Violation(8, 38, "SML130", "m", "Widget.config")])
    assert result.refused is None and "default=dict" in result.source


def test_fix_on_a_deep_module_says_why_and_leaves_the_file(project: Path, capsys) -> None:
    path = project / "src" / "sentry" / "models" / "widget.py"
    path.write_text(MODEL + nested(2500))
    before = path.read_bytes()
    for option in ("--fix", "--diff"):
        code, out, err = run(capsys, option, "--select", "SML130", str(project / "src"))
        assert code == 1
        assert "Traceback" not in err
        assert f"widget.py: cannot fix: nested more than {MAX_FIX_DEPTH} levels deep" in err
        assert ("SML130" in out) == (option == "--fix")  # --diff prints the diff alone, as ruff's
        assert path.read_bytes() == before


# the parser's own limits --------------------------------------------------------------------------


def test_memory_error_from_the_parser_is_not_called_deep_nesting_alone() -> None:
    with pytest.raises(SourceError) as raised:
        parse("x = " + "-" * 100_000 + "1\n", "deep.py")  # CPython raises MemoryError here
    assert "ran out of memory" in raised.value.message
    with pytest.raises(SourceError) as raised:
        parse("x = " + "(" * 300 + ")" * 300 + "\n", "deep.py")
    assert "too many nested parentheses" in raised.value.message


# overlapping paths ---------------------------------------------------------------------------------


def test_overlapping_paths_lint_each_file_once(project: Path, capsys) -> None:
    models = project / "src" / "sentry" / "models"
    (models / "widget.py").write_text(MODEL)
    code, once, _ = run(capsys, "--select", "SML130", str(project / "src"))
    assert code == 1 and len(once.splitlines()) == 1
    code, twice, _ = run(
        capsys, "--select", "SML130", str(project / "src"), str(models), str(models / "widget.py"), str(project / "src" / ".")
    )
    assert twice == once


def test_overlapping_paths_do_not_report_baselined_findings(project: Path, capsys) -> None:
    models = project / "src" / "sentry" / "models"
    (models / "widget.py").write_text(MODEL)
    os.chdir(project)
    assert main(["baseline", "--output", "base.json", "src"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "--baseline", "base.json", "src", "src/sentry/models")
    assert code == 0 and out == ""


# stale baseline entries of deleted files ----------------------------------------------------------


def test_show_stale_baseline_lists_entries_of_deleted_files(project: Path, capsys) -> None:
    models = project / "src" / "sentry" / "models"
    (models / "widget.py").write_text(MODEL)
    (models / "gadget.py").write_text(MODEL.replace("Widget", "Gadget"))
    os.chdir(project)
    assert main(["baseline", "--output", "base.json", "src"]) == 0
    capsys.readouterr()
    (models / "gadget.py").unlink()
    code, out, _ = run(capsys, "--baseline", "base.json", "--show-stale-baseline", "src")
    assert code == 1
    assert "src/sentry/models/gadget.py: stale baseline entry SML130 Gadget.config" in out
    assert "widget.py" not in out
    # an entry of a file that exists but lies outside the paths checked is not judged
    code, out, _ = run(capsys, "--baseline", "base.json", "--show-stale-baseline", "src/sentry/models/widget.py")
    assert "gadget.py: stale" in out and "widget.py: stale" not in out
    data = json.loads((project / "base.json").read_text())
    assert any("gadget.py" in json.dumps(entry) for entry in data.values() if isinstance(entry, (list, dict)))


# folders that cannot be read -------------------------------------------------------------------


def test_an_unreadable_folder_is_reported(project: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    models = project / "src" / "sentry" / "models"
    (models / "widget.py").write_text(MODEL)
    locked = project / "src" / "sentry" / "locked"
    locked.mkdir()
    (locked / "gadget.py").write_text(MODEL)
    real_scandir = os.scandir
    failure: list[OSError] = [PermissionError(13, "Permission denied")]  # what a 0000 folder gives all but root

    def scandir(path: str) -> object:
        if os.path.abspath(path) == str(locked):
            raise failure[0]
        return real_scandir(path)

    monkeypatch.setattr("sentry_model_lint.paths.os.scandir", scandir)
    code, out, err = run(capsys, "--select", "SML130", str(project / "src"))
    assert code == 1 and "Traceback" not in err
    assert "locked:1:1: E999 cannot read folder: Permission denied" in out
    assert "widget.py" in out  # the rest is still checked
    assert "gadget.py" not in out
    failure[0] = FileNotFoundError(2, "No such file or directory")  # vanished during the walk: no finding
    code, out, _ = run(capsys, "--select", "SML130", str(project / "src"))
    assert "locked" not in out and "widget.py" in out
