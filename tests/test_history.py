"""Shipped history vs new work: the per-file migration rules (SML2xx) leave history alone.

History is what a squash replaces, what git says was there before the merge-base with
``since``, and what ``history-floor`` puts at or below an app's floor. The tests build real git
repositories in temporary folders.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from marks import FIXTURES
from sentry_model_lint import history
from sentry_model_lint.cli import main
from sentry_model_lint.config import Config, ConfigError, from_mapping
from sentry_model_lint.engine import lint_file
from sentry_model_lint.paths import classify

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

LOCK_HEADER = textwrap.dedent(
    """\
    Django migrations lock file. This helps us avoid migration conflicts on master.
    If you have a conflict in this file, it means that someone has committed a migration
    ahead of you.

    To resolve this, rebase against latest master and regenerate your migration. This file
    will then be regenerated, and you should be able to merge without conflicts.

    """
)

MIGRATION = """\
from django.db import migrations, models

import sentry.db.models.fields.bounded
from sentry.new_migrations.migrations import CheckedMigration


class Migration(CheckedMigration):
    is_post_deployment = False

    dependencies = [{dependencies}]

    operations = [
{operations}
    ]
"""

CREATE = """\
        migrations.CreateModel(
            name="Widget",
            fields=[
                ("id", sentry.db.models.fields.bounded.BoundedBigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=256)),
                ("color", models.CharField(max_length=256, null=True)),
                ("size", models.CharField(max_length=256, null=True)),
                ("label", models.CharField(max_length=256, null=True)),
                ("note", models.CharField(max_length=256, null=True)),
            ],
        ),"""

BAD_MODEL = """\
from django.db import models
from sentry.db.models import Model, cell_silo_model


@cell_silo_model
class Gadget(Model):
    config = models.JSONField(default={})
"""


def remove(field: str) -> str:
    """A plain RemoveField: SML220 (and SML401 across files) wherever it is new work."""
    return f'        migrations.RemoveField(model_name="widget", name="{field}"),'


def migration(after: str | None, operations: str, app: str = "sentry") -> str:
    dependencies = f'("{app}", "{after}")' if after else ""
    return MIGRATION.format(dependencies=dependencies, operations=operations)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No answer from git kept between tests; no outer git environment (a hook's GIT_DIR)."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES"):
        monkeypatch.delenv(name, raising=False)
    history.forget()
    yield
    history.forget()


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
    )
    return env


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=master", *args],
        cwd=repo,
        env=_git_env(repo.parent),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout


def write_lockfile(repo: Path, leaf: str) -> None:
    (repo / "migrations_lockfile.txt").write_text(f"{LOCK_HEADER}sentry: {leaf}\n")


def add_migration(repo: Path, name: str, after: str | None, operations: str) -> Path:
    path = repo / "src" / "sentry" / "migrations" / f"{name}.py"
    path.write_text(migration(after, operations))
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository: master holds the shipped 0001 and 0002 (0002 drops a column with a
    plain RemoveField, and a model with a finding); the branch ``feature``, checked out, adds
    0003, which does the same."""
    repo = tmp_path / "repo"
    (repo / "src" / "sentry" / "migrations").mkdir(parents=True)
    (repo / "src" / "sentry" / "models").mkdir()
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (repo / "src" / "sentry" / "__init__.py").write_text("")
    (repo / "src" / "sentry" / "migrations" / "__init__.py").write_text("")
    (repo / "src" / "sentry" / "models" / "gadget.py").write_text(BAD_MODEL)
    add_migration(repo, "0001_initial", None, CREATE)
    add_migration(repo, "0002_remove_color", "0001_initial", remove("color"))
    write_lockfile(repo, "0002_remove_color")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "shipped")
    git(repo, "switch", "-q", "-c", "feature")
    add_migration(repo, "0003_remove_size", "0002_remove_color", remove("size"))
    write_lockfile(repo, "0003_remove_size")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "new work")
    return repo


def findings(out: str) -> set[tuple[str, str]]:
    """(file name, code) of each reported line."""
    rows = set()
    for line in out.splitlines():
        location, _, rest = line.partition(": ")
        rows.add((Path(location.split(":")[0]).name, rest.split()[0]))
    return rows


# --- since: the CLI ------------------------------------------------------------------------------


@needs_git
def test_since_checks_only_the_migrations_added_since_the_merge_base(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", "SML1,SML2", str(repo)]) == 1
    before = findings(capsys.readouterr().out)
    assert {("0002_remove_color.py", "SML220"), ("0003_remove_size.py", "SML220"), ("gadget.py", "SML130")} <= before

    # master moves on after the branch point: the merge-base, not master's tip, decides
    git(repo, "switch", "-q", "master")
    (repo / "NOTES.txt").write_text("master moved on\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later on master")
    git(repo, "switch", "-q", "feature")
    # a staged migration, an untracked one, and an unstaged edit of a shipped one
    add_migration(repo, "0004_remove_label", "0003_remove_size", remove("label"))
    git(repo, "add", "src/sentry/migrations/0004_remove_label.py")
    add_migration(repo, "0005_remove_note", "0004_remove_label", remove("note"))
    shipped = repo / "src" / "sentry" / "migrations" / "0002_remove_color.py"
    shipped.write_text("# edited after it shipped\n" + shipped.read_text())

    assert main(["check", "--since", "master", "--select", "SML1,SML2", str(repo)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    after = findings(captured.out)
    assert {name for name, code in after if code.startswith("SML2")} == {
        "0003_remove_size.py",
        "0004_remove_label.py",
        "0005_remove_note.py",
    }
    assert ("gadget.py", "SML130") in after  # model files are not affected


@needs_git
def test_since_from_pyproject_and_the_flag_wins(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text('[tool.sentry-model-lint]\nsince = "master"\n')
    assert main(["check", "--select", "SML2", str(repo)]) == 1
    assert findings(capsys.readouterr().out) == {("0003_remove_size.py", "SML220")}
    # the flag overrides the configuration: since HEAD, nothing is new (pyproject.toml is not a migration)
    assert main(["check", "--since", "HEAD", "--select", "SML2", str(repo)]) == 0
    assert capsys.readouterr().out == ""


@needs_git
def test_cross_file_findings_a_new_migration_causes_are_still_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the branch adds a second 0002 (a duplicate number: SML405 on both, the shipped one too)
    duplicate = add_migration(repo, "0002_remove_name", "0001_initial", remove("name"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "duplicate")
    assert main(["check", "--since", "master", str(repo)]) == 1
    found = findings(capsys.readouterr().out)
    assert ("0002_remove_color.py", "SML405") in found  # lands on the shipped file
    assert ("0002_remove_name.py", "SML405") in found
    assert ("0002_remove_name.py", "SML220") in found  # the new file is checked
    assert not {code for name, code in found if name == "0002_remove_color.py" and code.startswith("SML2")}

    # a new leaf that leaves the lockfile behind (SML404 on it)
    duplicate.unlink()
    add_migration(repo, "0004_remove_label", "0003_remove_size", remove("label"))
    assert main(["check", "--since", "master", "--select", "SML2,SML404", str(repo)]) == 1
    assert findings(capsys.readouterr().out) == {
        ("0003_remove_size.py", "SML220"),
        ("0004_remove_label.py", "SML220"),
        ("0004_remove_label.py", "SML404"),
    }


@needs_git
def test_a_cached_result_follows_the_merge_base(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No file changes when master moves to the branch tip (the branch is merged): the results
    cache must still see that 0003 became history, and the other way round."""
    assert main(["check", "--since", "master", "--select", "SML2", str(repo)]) == 1
    assert findings(capsys.readouterr().out) == {("0003_remove_size.py", "SML220")}
    assert list((repo / ".sentry_model_lint_cache").glob("results-*.json"))
    git(repo, "branch", "-f", "master", "feature")
    assert main(["check", "--since", "master", "--select", "SML2", str(repo)]) == 0
    assert capsys.readouterr().out == ""
    git(repo, "branch", "-f", "master", "feature~1")
    assert main(["check", "--since", "master", "--select", "SML2", str(repo)]) == 1
    assert findings(capsys.readouterr().out) == {("0003_remove_size.py", "SML220")}


@needs_git
def test_git_runs_once_per_root_and_ref(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real = history._git

    def counting(folder: str, what: str, *args: str) -> tuple[bool, bytes, str]:
        calls.append(args)
        return real(folder, what, *args)

    monkeypatch.setattr(history, "_git", counting)
    config = Config(since="master")
    migrations = sorted((repo / "src" / "sentry" / "migrations").glob("0*.py"))
    decided = {path.name: history.is_history(classify(str(path)), config) for path in migrations}
    assert decided == {"0001_initial.py": True, "0002_remove_color.py": True, "0003_remove_size.py": False}
    once = len(calls)
    assert history.is_history(classify(str(migrations[0])), config)
    assert len(calls) == once  # remembered
    assert not history.is_history(classify(str(repo / "src" / "sentry" / "models" / "gadget.py")), config)
    assert len(calls) == once  # only migration files ask


# --- since: errors --------------------------------------------------------------------------------


@needs_git
def test_cli_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = tmp_path / "project"
    (project / "src" / "sentry" / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    path = project / "src" / "sentry" / "migrations" / "0002_remove_color.py"
    path.write_text(migration("0001_initial", remove("color")))
    assert main(["check", "--since", "origin/master", str(project)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "sentry-model-lint: error: " in captured.err
    assert f"{project} is not inside a git repository" in captured.err
    assert "Traceback" not in captured.err
    # the same from the configuration
    (project / "pyproject.toml").write_text('[tool.sentry-model-lint]\nsince = "origin/master"\n')
    assert main(["check", str(project)]) == 2
    assert "is not inside a git repository" in capsys.readouterr().err
    assert main(["baseline", "--output", str(tmp_path / "b.json"), str(project)]) == 2
    assert "is not inside a git repository" in capsys.readouterr().err


@needs_git
def test_cli_unknown_ref_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--since", "origin/nope", str(repo)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "git does not know the ref 'origin/nope'" in captured.err
    assert main(["check", "--since=--output=x", str(repo)]) == 2
    assert "is not a git ref" in capsys.readouterr().err
    (repo / "pyproject.toml").write_text('[tool.sentry-model-lint]\nsince = "origin/nope"\n')
    assert main(["check", str(repo)]) == 2
    assert "git does not know the ref 'origin/nope'" in capsys.readouterr().err


# --- since: flake8 --------------------------------------------------------------------------------


def flake8(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@needs_git
def test_flake8_sml_since(repo: Path) -> None:
    proc = flake8(repo, "--select", "SML2", "--sml-since", "master", "src")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    assert findings(proc.stdout) == {("0003_remove_size.py", "SML220")}
    # one migration, as an editor runs it
    shipped = "src/sentry/migrations/0002_remove_color.py"
    assert flake8(repo, "--select", "SML2", "--sml-since", "master", shipped).stdout == ""
    # the configuration's `since`, and the flag over it
    (repo / "pyproject.toml").write_text('[tool.sentry-model-lint]\nsince = "master"\n')
    assert findings(flake8(repo, "--select", "SML2", "src").stdout) == {("0003_remove_size.py", "SML220")}
    assert flake8(repo, "--select", "SML2", "--sml-since", "HEAD", "src").stdout == ""
    # a result served from the cache follows git: the branch merged into master
    git(repo, "branch", "-f", "master", "feature")
    assert flake8(repo, "--select", "SML2", "src").stdout == ""


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("sentry-model-lint: warning: ")]


@needs_git
def test_flake8_unknown_ref_warns_once_and_checks_everything(repo: Path) -> None:
    proc = flake8(repo, "--select", "SML2", "--sml-since", "origin/nope", "-j", "2", "src")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    warnings = _warnings(proc.stderr)
    assert warnings and all("git does not know the ref 'origin/nope'" in w for w in warnings)
    assert warnings[0].endswith("; checking every migration as new work")
    if multiprocessing.get_start_method() == "fork":  # forked workers inherit the answer
        assert len(warnings) == 1, proc.stderr
    assert {name for name, _ in findings(proc.stdout)} == {"0002_remove_color.py", "0003_remove_size.py"}


@needs_git
def test_flake8_outside_a_git_repository_warns_and_keeps_going(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src" / "sentry" / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.sentry-model-lint]\nsince = "origin/master"\n')
    for number in range(1, 4):
        path = project / "src" / "sentry" / "migrations" / f"000{number}_remove_f{number}.py"
        path.write_text(migration(None, remove(f"f{number}")))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    proc = flake8(project, "--select", "SML2", "-j", "1", "src", env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(_warnings(proc.stderr)) == 1, proc.stderr
    assert "is not inside a git repository" in proc.stderr
    assert len(findings(proc.stdout)) == 3


# --- history-floor --------------------------------------------------------------------------------


def test_history_floor_is_parsed_from_strings_and_numbers() -> None:
    config = from_mapping({"history-floor": {"sentry": "0583", "uptime": 40, "getsentry": "0012_x"}})
    assert dict(config.history_floor) == {"sentry": 583, "uptime": 40, "getsentry": 12}
    for bad in ({"sentry": "latest"}, {"sentry": True}, ["sentry"]):
        with pytest.raises(ConfigError, match="history-floor"):
            from_mapping({"history-floor": bad})


@pytest.mark.parametrize(
    ("folder", "label"),
    [
        ("src/sentry/migrations", "sentry"),
        ("src/sentry/uptime/migrations", "uptime"),
        ("src/social_auth/migrations", "social_auth"),
        ("getsentry/migrations", "getsentry"),
    ],
)
@pytest.mark.parametrize("floor", ['"0583"', "583", '"0583_last_shipped"'])
def test_history_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str, label: str, floor: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.sentry-model-lint]\nhistory-floor = {{ {label} = {floor}, other = 9999 }}\n")
    migrations = tmp_path / folder
    migrations.mkdir(parents=True)
    for name in ("0582_remove_a", "0583_remove_b", "0584_remove_c"):
        (migrations / f"{name}.py").write_text(migration(None, remove(name[-1]), app=label))
    assert classify(str(migrations / "0583_remove_b.py")).app_folder == label
    assert main(["check", "--select", "SML220", "--no-cache", str(tmp_path)]) == 1
    assert findings(capsys.readouterr().out) == {("0584_remove_c.py", "SML220")}


def test_history_floor_leaves_other_apps_and_files_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sentry-model-lint]\nhistory-floor = { sentry = "0583" }\n')
    uptime = tmp_path / "src" / "sentry" / "uptime" / "migrations"
    uptime.mkdir(parents=True)
    (uptime / "0001_remove_a.py").write_text(migration(None, remove("a"), app="uptime"))
    models = tmp_path / "src" / "sentry" / "models"
    models.mkdir()
    (models / "gadget.py").write_text(BAD_MODEL)
    assert main(["check", "--select", "SML130,SML220", "--no-cache", str(tmp_path)]) == 1
    assert findings(capsys.readouterr().out) == {("0001_remove_a.py", "SML220"), ("gadget.py", "SML130")}


# --- squashed away --------------------------------------------------------------------------------

SQUASH = FIXTURES / "projects" / "history_squash"
SQUASH_MIGRATIONS = SQUASH / "src" / "sentry" / "migrations"


@pytest.mark.parametrize("name", ["0001_initial", "0002_widget_remove_color", "0003_widget_add_size"])
def test_files_a_squash_replaces_get_no_per_file_finding(name: str) -> None:
    path = str(SQUASH_MIGRATIONS / f"{name}.py")
    everything = Config(select=("SML",), use_cache=False)
    assert lint_file(path, everything).violations == []
    # without the index nobody knows about the squash: the file is checked as new work
    if name == "0002_widget_remove_color":
        codes = {v.code for v in lint_file(path, everything.with_options(project_index=False)).violations}
        assert "SML220" in codes


def test_a_squash_and_what_follows_are_still_checked() -> None:
    config = Config(select=("SML",), use_cache=False)
    squash = classify(str(SQUASH_MIGRATIONS / "0001_squashed_0003_widget_add_size.py"))
    after = classify(str(SQUASH_MIGRATIONS / "0004_widget_add_label.py"))
    from sentry_model_lint.engine import project_for

    project = project_for(squash, config)
    assert project is not None
    assert not history.is_history(squash, config, project)
    assert not history.is_history(after, config, project)
    assert history.is_history(classify(str(SQUASH_MIGRATIONS / "0002_widget_remove_color.py")), config, project)
    assert not history.is_history(classify(str(SQUASH_MIGRATIONS / "0002_widget_remove_color.py")), config, None)


def test_sml407_leaves_shipped_migrations_alone(tmp_path: Path, capsys) -> None:
    """A test cannot be added for a migration that shipped: SML407 judges new work only."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "projects" / "sml407_run_python_without_test" / "bad", repo)
    args = ["check", "--select", "SML407", "--format", "json", "--no-cache", str(repo)]
    assert main(args) == 1
    assert sorted(Path(f["path"]).name for f in json.loads(capsys.readouterr().out)) == [
        "0002_backfill_widget_note.py",
        "0003_backfill_widget_name.py",
    ]
    config = repo / "pyproject.toml"
    config.write_text(config.read_text() + '\n[tool.sentry-model-lint.history-floor]\nsentry = "0002"\n')
    assert main(args) == 1
    assert [Path(f["path"]).name for f in json.loads(capsys.readouterr().out)] == ["0003_backfill_widget_name.py"]
