"""The plugin as users run it: real ``flake8`` in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from marks import FIXTURES, REPO, describe, fixture_files, marks_of

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$")


def flake8(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def parse(output: str) -> list[dict[str, str]]:
    rows = []
    for line in output.splitlines():
        match = LINE.match(line)
        assert match, f"unexpected flake8 output line: {line!r}"
        rows.append(match.groupdict())
    return rows


def test_flake8_reports_exactly_the_marked_findings() -> None:
    proc = flake8("--select", "SML", "fixtures")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    reported: dict[Path, set[tuple[int, str]]] = defaultdict(set)
    for row in parse(proc.stdout):
        reported[(REPO / row["path"]).resolve()].add((int(row["line"]), row["code"]))
    failures = []
    for path in fixture_files():
        expected = marks_of(path)
        got = reported.pop(path.resolve(), set())
        if got != expected:
            failures.append(f"{path.relative_to(FIXTURES)}: {describe(expected - got, got - expected)}")
    assert not reported, f"findings in files that are not fixtures: {sorted(reported)}"
    assert not failures, "\n".join(failures)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    models = tmp_path / "src" / "sentry" / "models"
    models.mkdir(parents=True)
    return tmp_path


MODEL = textwrap.dedent(
    """\
    from django.db import models

    from sentry.backup.scopes import RelocationScope
    from sentry.db.models import Model, cell_silo_model
    from sentry.db.models.paranoia import ParanoidModel


    @cell_silo_model
    class Widget(Model):
        __relocation_scope__ = RelocationScope.Organization

        config = models.JSONField(
            null=True,
            default={},
        )


    @cell_silo_model
    class Gadget(Model):{noqa}
        name = models.CharField(max_length=256)


    @cell_silo_model
    class Soft(ParanoidModel):
        __relocation_scope__ = RelocationScope.Excluded
    """
)


def _write(project: Path, noqa: str = "") -> Path:
    path = project / "src" / "sentry" / "models" / "widget.py"
    path.write_text(MODEL.replace("{noqa}", noqa))
    return path


def test_positions_are_one_based_columns_of_the_offending_node(project: Path) -> None:
    _write(project)
    rows = parse(flake8("--select", "SML1", "src", cwd=project).stdout)
    found = {(r["code"], r["line"], r["col"]) for r in rows}
    # keyword findings point at the value, model findings at the `class` keyword
    assert ("SML130", "14", "17") in found
    assert ("SML101", "19", "1") in found


def test_noqa_with_the_code_silences_only_that_code(project: Path) -> None:
    _write(project, "  # noqa: SML101")
    codes = {r["code"] for r in parse(flake8("--select", "SML1", "src", cwd=project).stdout)}
    assert "SML101" not in codes and "SML130" in codes
    _write(project, "  # noqa: E501")
    codes = {r["code"] for r in parse(flake8("--select", "SML1", "src", cwd=project).stdout)}
    assert "SML101" in codes
    _write(project, "  # noqa")
    codes = {r["code"] for r in parse(flake8("--select", "SML1", "src", cwd=project).stdout)}
    assert "SML101" not in codes


def test_default_off_rules_need_selecting(project: Path) -> None:
    _write(project)
    plain = {r["code"] for r in parse(flake8("src", cwd=project).stdout)}
    assert "SML130" in plain and "SML134" not in plain
    extended = {r["code"] for r in parse(flake8("--extend-select", "SML134", "src", cwd=project).stdout)}
    assert "SML134" in extended


def test_files_under_tests_and_fixtures_are_skipped(project: Path) -> None:
    for folder in ("tests/sentry/models", "fixtures/models"):
        target = project / folder
        target.mkdir(parents=True)
        (target / "widget.py").write_text(MODEL.replace("{noqa}", ""))
    assert parse(flake8("--select", "SML", "tests", "fixtures", cwd=project).stdout) == []


def test_editor_case_one_file_gets_its_project_findings() -> None:
    """flake8 on a single migration reports the project findings that belong to that file."""
    example = REPO / "fixtures" / "example_repo"
    leaf = "src/sentry/workflow_engine/migrations/0005_detector_autovacuum_settings.py"
    rows = parse(flake8("--select", "SML", leaf, cwd=example).stdout)
    assert {(r["line"], r["code"]) for r in rows} == {("1", "SML404"), ("23", "SML240")}
    model = "src/sentry/workflow_engine/models/detector_workflow.py"
    rows = parse(flake8("--select", "SML4", model, cwd=example).stdout)
    assert [(r["line"], r["code"]) for r in rows] == [("10", "SML409")]


def test_project_rules_follow_the_project_setting(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\nproject-index = false\n")
    models = project / "src" / "sentry" / "models"
    (models / "__init__.py").write_text("from .a import A\n")
    (models / "a.py").write_text(
        "from sentry.backup.scopes import RelocationScope\n"
        "from sentry.db.models import Model, cell_silo_model\n\n\n"
        "@cell_silo_model\nclass A(Model):\n    __relocation_scope__ = RelocationScope.Excluded\n"
    )
    (models / "b.py").write_text((models / "a.py").read_text().replace("class A", "class B"))
    assert parse(flake8("--select", "SML4", "src", cwd=project).stdout) == []
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    rows = parse(flake8("--select", "SML4", "src", cwd=project).stdout)
    assert [(Path(r["path"]).name, r["code"]) for r in rows] == [("b.py", "SML409")]


def test_default_off_codes_match_the_rules() -> None:
    """The adapter tells flake8 which rules are off by default without loading them."""
    from sentry_model_lint.rules import DEFAULT_OFF
    from sentry_model_lint.rules.base import all_rules

    assert set(DEFAULT_OFF) == {r.code for r in all_rules() if not r.default_on}


def _results_files(project: Path) -> list[Path]:
    return sorted((project / ".sentry_model_lint_cache").glob("results-*.json"))


def test_results_cache_serves_unchanged_files_and_follows_edits(project: Path) -> None:
    path = _write(project)
    first = parse(flake8("--select", "SML", "src", cwd=project).stdout)
    assert {r["code"] for r in first} >= {"SML101", "SML130"}
    assert len(_results_files(project)) == 1
    again = parse(flake8("--select", "SML", "src", cwd=project).stdout)
    assert again == first
    # an edit of the file itself is seen at once
    path.write_text(MODEL.replace("{noqa}", "").replace("default={},", "default=dict,"))
    edited = {r["code"] for r in parse(flake8("--select", "SML", "src", cwd=project).stdout)}
    assert "SML130" not in edited and "SML101" in edited


def test_results_cache_follows_other_files_of_the_project(project: Path) -> None:
    """A project finding depends on other files: changing one of them invalidates the entry."""
    models = project / "src" / "sentry" / "models"
    (models / "__init__.py").write_text("from .a import A\n")
    (models / "a.py").write_text(
        "from sentry.backup.scopes import RelocationScope\n"
        "from sentry.db.models import Model, cell_silo_model\n\n\n"
        "@cell_silo_model\nclass A(Model):\n    __relocation_scope__ = RelocationScope.Excluded\n"
    )
    (models / "b.py").write_text((models / "a.py").read_text().replace("class A", "class B"))
    rows = parse(flake8("--select", "SML4", "src", cwd=project).stdout)
    assert [(Path(r["path"]).name, r["code"]) for r in rows] == [("b.py", "SML409")]
    assert parse(flake8("--select", "SML4", "src", cwd=project).stdout) == rows  # served from the cache
    (models / "__init__.py").write_text("from .a import A\nfrom .b import B\n")  # b.py itself is unchanged
    assert parse(flake8("--select", "SML4", "src", cwd=project).stdout) == []


def test_parallel_workers_share_the_results_cache(project: Path) -> None:
    models = project / "src" / "sentry" / "models"
    for number in range(40):
        (models / f"m{number}.py").write_text(
            MODEL.replace("{noqa}", "")
            .replace("Widget", f"Widget{number}")
            .replace("Gadget", f"Gadget{number}")
            .replace("Soft", f"Soft{number}")
        )
    first = flake8("--select", "SML", "-j", "2", "src", cwd=project)
    assert "Traceback" not in first.stderr
    import json

    entries = json.loads(_results_files(project)[0].read_text())["entries"]
    assert len(entries) == 40  # no worker dropped what the other wrote
    second = flake8("--select", "SML", "-j", "2", "src", cwd=project)
    assert sorted(second.stdout.splitlines()) == sorted(first.stdout.splitlines())
