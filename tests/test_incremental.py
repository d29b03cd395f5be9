"""Incremental runs equal cold runs.

The results cache keeps each file's findings with the cross-file facts they read (see
``sentry_model_lint.workspace``). After each edit below (a migration, a model, the lockfile, the
router, a migration test, a new migration, a deleted model module) a run that uses the cache must
report exactly what a run without any cache reports, through both doors, and the edit must change
what is reported (so the comparison cannot pass by reporting nothing new).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from marks import FIXTURES
from sentry_model_lint import cli

EXAMPLE = FIXTURES / "example_repo"
SENTRY = Path("src/sentry")


def _touch(path: Path) -> None:
    """Move the mtime forward so that even a coarse file system sees a new stamp."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new))
    _touch(path)


def _check(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[tuple[str, int, str, str]]:
    capsys.readouterr()
    cli.main(["check", "--select", "SML", "--format", "json", "--exit-zero", "--quiet", *extra, str(root)])
    out = capsys.readouterr().out
    return sorted((f["path"].replace(str(root), ""), f["line"], f["code"], f["message"]) for f in json.loads(out))


def _edit_migration(root: Path) -> None:
    # the team column is kept: SML220 goes, and the model/state comparison changes
    _edit(root / SENTRY / "migrations/1126_team_remove_actor_id.py", "migrations.RemoveField(", "migrations.AlterField(")


def _edit_model(root: Path) -> None:
    # Organization leaves the cell silo: foreign keys that point at it from cell models cross silos
    _edit(root / SENTRY / "models/organization.py", "cell_silo_model", "control_silo_model")


def _edit_model_body(root: Path) -> None:
    # a field added to Organization and a comment above it: its silo is unchanged, so the models
    # that point at it keep their cached results (the target's value is unchanged), while the
    # file itself reports the new field's finding
    _edit(
        root / SENTRY / "models/organization.py",
        "    name = models.CharField(max_length=256)\n",
        "    name = models.CharField(max_length=256)\n    # a comment\n    extra = models.IntegerField(default=[])\n",
    )


def _edit_model_ids(root: Path) -> None:
    # Organization gets global ids: a hybrid-cloud key to it from its own silo is accepted
    path = root / SENTRY / "models/organization.py"
    _edit(path, "\n@control_silo_model\n", "\n@snowflake_id_model\n@control_silo_model\n")
    _edit(
        path,
        "from django.utils import timezone\n",
        "from django.utils import timezone\n\nfrom sentry.utils.snowflake import snowflake_id_model\n",
    )


def _edit_lockfile(root: Path) -> None:
    _edit(
        root / "migrations_lockfile.txt",
        "workflow_engine: 0004_backfill_detector_config",
        "workflow_engine: 0005_detector_autovacuum_settings",
    )


def _edit_router(root: Path) -> None:
    _edit(root / SENTRY / "db/router.py", '        "sentry_organizationdigestcursor": SiloMode.CELL,\n', "")


def _edit_migration_test(root: Path) -> None:
    test = root / "tests/sentry/migrations/test_1124_backfill_project_is_internal.py"
    _edit(test, 'migrate_to = "1124_backfill_project_is_internal"', 'migrate_to = "1124_no_such_migration"')


def _add_migration(root: Path) -> None:
    source = root / SENTRY / "migrations/1127_team_org_status_index.py"
    target = source.with_name("1128_team_org_status_index_again.py")
    target.write_text(source.read_text().replace("1126_team_remove_actor_id", "1127_team_org_status_index"))
    _touch(source.parent)


def _delete_model_module(root: Path) -> None:
    (root / SENTRY / "models/option.py").unlink()


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("migration", _edit_migration),
    ("model", _edit_model),
    ("model body", _edit_model_body),
    ("model ids", _edit_model_ids),
    ("lockfile", _edit_lockfile),
    ("router", _edit_router),
    ("migration test", _edit_migration_test),
    ("new migration", _add_migration),
    ("deleted model module", _delete_model_module),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    return root


def test_check_after_each_edit_equals_a_cold_run(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _check(tree, capsys)
    assert before == _check(tree, capsys)  # warm, unchanged
    assert before == _check(tree, capsys, "--no-cache")
    for what, edit in EDITS:
        edit(tree)
        incremental = _check(tree, capsys)
        cold = _check(tree, capsys, "--no-cache")
        assert incremental == cold, f"after editing the {what}"
        assert incremental != before, f"editing the {what} changed nothing: the comparison proves nothing"
        before = incremental


def _flake8(root: Path, cwd: Path) -> list[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flake8",
            "--isolated",
            "--select",
            "SML",
            "--format",
            "%(path)s:%(row)d:%(code)s",
            "src",
            "tests",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(line for line in proc.stdout.splitlines() if line)


def test_flake8_after_each_edit_equals_a_cold_run(tree: Path, tmp_path: Path) -> None:
    before = _flake8(tree, tree)
    for what, edit in EDITS:
        edit(tree)
        incremental = _flake8(tree, tree)
        cold_copy = tmp_path / f"cold-{what.replace(' ', '-')}"
        shutil.copytree(tree, cold_copy, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
        cold = _flake8(cold_copy, cold_copy)
        assert incremental == cold, f"after editing the {what}"
        assert incremental != before, f"editing the {what} changed nothing: the comparison proves nothing"
        before = incremental


# --- an app's replay resumed from its checkpoint ---------------------------------------------------

TAIL = SENTRY / "migrations/1127_team_org_status_index.py"
ALTER_STATUS = '        migrations.AlterField(model_name="team", name="status", field=models.IntegerField(null=True)),\n'


def _history(root: Path, use_cache: bool = True):  # type: ignore[no-untyped-def]
    from sentry_model_lint.project import ProjectIndex, reset_indexes

    reset_indexes()
    index = ProjectIndex(str(root), use_cache=use_cache)
    history = index.history_for("sentry")
    assert history is not None
    return index, history


def _state(history) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (
        history.order,
        history.leaves,
        [(p.kind, p.migration, p.message) for p in history.problems],
        history.aliases,
        history.models,
        history.pending_models,
        history.pending_fields,
        history.created,
        history.uncertain,
    )


def test_a_resumed_replay_equals_a_whole_one(tree: Path) -> None:
    from sentry_model_lint.replay import _Snapshots

    _history(tree)  # replays whole and keeps the checkpoint
    _edit(tree / TAIL, "    operations = [\n", f"    operations = [\n{ALTER_STATUS}")
    _, resumed = _history(tree)
    _, whole = _history(tree, use_cache=False)
    assert isinstance(resumed.snapshots, _Snapshots), "the checkpoint was not used"
    assert _state(resumed) == _state(whole)
    tail = TAIL.stem
    assert any(k[0] == tail for k in resumed.snapshots)
    assert {k: v for k, v in resumed.snapshots.items() if k[0] == tail} == {
        k: v for k, v in whole.snapshots.items() if k[0] == tail
    }
    assert dict(resumed.snapshots) != dict(whole.snapshots)  # the others are not taken yet...
    first = next(k for k in whole.snapshots if k[0] != tail)
    assert resumed.snapshots.get(first) == whole.snapshots[first]  # ...until one is asked for
    assert dict(resumed.snapshots) == dict(whole.snapshots)
    assert [(n, node.deps, node.number) for n, node in sorted(resumed.nodes.items())] == [
        (n, node.deps, node.number) for n, node in sorted(whole.nodes.items())
    ]


def test_no_checkpoint_when_another_migration_changed(tree: Path) -> None:
    from sentry_model_lint.replay import _Snapshots

    _history(tree)
    _touch(tree / SENTRY / "migrations/1125_project_forced_color_delete.py")
    _, history = _history(tree)
    assert not isinstance(history.snapshots, _Snapshots)


def test_a_planted_checkpoint_is_ignored(tree: Path) -> None:
    index, _ = _history(tree)
    blob = Path(index.cache._blob_path("history:sentry"))
    data = json.loads(blob.read_text())
    data["data"]["models"] = {"team": {"name": 1}}  # not a model state
    blob.write_text(json.dumps(data))
    _, history = _history(tree)
    _, whole = _history(tree, use_cache=False)
    assert _state(history) == _state(whole)


def test_flake8_on_the_edited_newest_migration_equals_a_cold_run(tree: Path, tmp_path: Path) -> None:
    target = str(TAIL)
    _flake8_one(tree, target)  # keeps the checkpoint
    _edit(tree / TAIL, "    operations = [\n", f"    operations = [\n{ALTER_STATUS}")
    cold = tmp_path / "cold"
    shutil.copytree(tree, cold, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    assert _flake8_one(tree, target) == _flake8_one(cold, target)


def _flake8_one(root: Path, target: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "SML", "--format", "%(row)d:%(code)s %(text)s", target],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(proc.stdout.splitlines())


def test_an_edit_that_keeps_a_targets_silo_relints_only_the_edited_file(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentry_model_lint import engine

    _check(tree, capsys)
    _edit_model_body(tree)
    linted: list[str] = []
    real = engine.lint_file

    def spy(path: str, *args: object, **kwargs: object) -> object:
        linted.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint_file", spy)
    incremental = _check(tree, capsys)
    assert linted == ["organization.py"]  # apitoken.py and project.py point at it: not linted again
    monkeypatch.undo()
    assert incremental == _check(tree, capsys, "--no-cache")


# --- a cold run spread over processes --------------------------------------------------------------


@pytest.mark.parametrize("with_baseline", [False, True])
def test_a_cold_run_over_processes_equals_one_process(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, with_baseline: bool
) -> None:
    monkeypatch.setattr(cli, "PROBE", 4)  # the example repository is small: spread it after 4 files
    if with_baseline:
        cli.main(["baseline", "--quiet", str(tree)])
        (tree / "src/sentry/models/organization.py").write_text(
            (tree / "src/sentry/models/organization.py").read_text().replace("default=timezone.now()", "default=timezone.now")
        )
        capsys.readouterr()
    other = tmp_path / "other"
    shutil.copytree(tree, other, ignore=shutil.ignore_patterns(".sentry_model_lint_cache"))
    shutil.rmtree(tree / ".sentry_model_lint_cache", ignore_errors=True)
    args = ["check", "--exit-zero", "--quiet", "--show-stale-baseline", "--select", "SML"]
    spread = cli.main([*args, "-j", "2", str(tree)]), capsys.readouterr()
    alone = cli.main([*args, "-j", "1", str(other)]), capsys.readouterr()
    assert spread[0] == alone[0]
    assert spread[1].out.replace(str(tree), "X") == alone[1].out.replace(str(other), "X")
    if with_baseline:  # every finding is baselined; the one fixed since is a stale entry
        assert spread[1].out.splitlines() == [
            "src/sentry/models/organization.py: stale baseline entry SML136 Organization.date_added"
        ]
    else:
        assert spread[1].out.count("\n") > 5
    # the workers wrote what they learnt: a second run finds every file in the cache
    before = cli._CACHE_MISSES[0]
    assert cli.main([*args, "-j", "2", str(tree)]) == 0
    assert cli._CACHE_MISSES[0] == before
    assert capsys.readouterr().out.replace(str(tree), "X") == alone[1].out.replace(str(other), "X")


# --- the project scan kept between runs ----------------------------------------------------------------


def test_a_kept_scan_stands_while_its_folders_hold_the_same_files(tree: Path) -> None:
    from sentry_model_lint.paths import ProjectFiles, _scan

    root = str(tree)
    kept = _scan(root).to_json()
    models = tree / SENTRY / "models"
    assert ProjectFiles.from_json(root, kept) is not None
    # an editor saving through a new file and a rename: the folder's mtime changes, its files do not
    organization = models / "organization.py"
    (models / ".organization.py.tmp").write_text(organization.read_text() + "# saved\n")
    os.replace(models / ".organization.py.tmp", organization)
    _touch(models)
    again = ProjectFiles.from_json(root, kept)
    assert again is not None and again.model_modules == _scan(root).model_modules
    # a new model module, a removed migration, a new folder: walk again
    (models / "gadget.py").write_text("")
    assert ProjectFiles.from_json(root, kept) is None
    (models / "gadget.py").unlink()
    kept = _scan(root).to_json()
    (tree / SENTRY / "migrations/1127_team_org_status_index.py").unlink()
    assert ProjectFiles.from_json(root, kept) is None
    kept = _scan(root).to_json()
    (models / "more").mkdir()
    assert ProjectFiles.from_json(root, kept) is None
    assert ProjectFiles.from_json(root, {"folders": {"": "x"}}) is None  # not a scan
    assert ProjectFiles.from_json(root, {"folders": {"../..": 1}}) is None
