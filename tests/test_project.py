"""The project index: discovery, replay, readers and the facts cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sentry_model_lint.cache import CACHE_DIR
from sentry_model_lint.project import ProjectIndex, parse_lockfile

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "fixtures" / "example_repo"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(CACHE_DIR, "__pycache__"))
    return target


def test_replay_of_the_example_repository(example: Path) -> None:
    index = ProjectIndex(str(example), use_cache=False)
    sentry = index.histories["sentry"]
    assert sentry.order[0] == "0001_squashed_1118_example" and sentry.leaf == "1127_team_org_status_index"
    assert not sentry.problems and not sentry.uncertain
    project = sentry.models["project"]
    assert project.table == "sentry_project"
    assert "forced_color" not in project.fields  # pending in 1122, dropped in 1125
    assert project.fields["is_internal"].ref == "django.db.models.BooleanField"
    assert "organizationdigestcursor" in sentry.pending_models  # phase 1 only
    # every concrete model of the app matches its replayed fields
    for (app, name), entry in index.models.items():
        state = index.histories[app].models[name]
        declared = {f.name for f in entry.cls.fields}
        assert declared <= set(state.fields), (name, declared - set(state.fields))
    assert index.lockfile.entries["workflow_engine"][0] == "0004_backfill_detector_config"  # planted SML404
    assert "sentry_organizationdigestcursor" in index.router_tables("sentry")
    assert "API_TOKEN_UPDATE" in index.outbox_members
    assert not index.broken


def test_cross_file_class_lookup_follows_reexports(example: Path) -> None:
    index = ProjectIndex(str(example), use_cache=False)
    base = index.get("sentry.models.avatars.base.AvatarBase")
    assert base is not None and base.is_abstract
    assert index.get("sentry.models.Organization") is not None  # through models/__init__.py
    assert index.get("sentry.models.NoSuchModel") is None


def test_cache_gives_the_same_facts_and_survives_corruption(example: Path) -> None:
    cold = ProjectIndex(str(example))
    cold_state = {app: sorted(h.models) for app, h in cold.histories.items()}
    assert cold.cache.misses > 0 and cold.cache.hits == 0
    warm = ProjectIndex(str(example))
    assert {app: sorted(h.models) for app, h in warm.histories.items()} == cold_state
    assert warm.cache.hits > 0 and warm.cache.misses == 0
    entries = list((example / CACHE_DIR).rglob("*.json"))
    for number, entry in enumerate(entries):
        entry.write_text(["{", "[]", '{"path": 3}', "null", "\x00garbage"][number % 5])
    again = ProjectIndex(str(example))
    assert {app: sorted(h.models) for app, h in again.histories.items()} == cold_state
    assert again.cache.hits == 0


def test_a_changed_file_is_read_again(example: Path) -> None:
    _ = ProjectIndex(str(example)).histories  # builds the histories, which fills the cache
    migration = example / "src/sentry/migrations/1127_team_org_status_index.py"
    migration.write_text(migration.read_text().replace("sentry_team_org_status_idx", "sentry_team_org_st_idx"))
    index = ProjectIndex(str(example))
    facts = index.facts_of(str(migration))
    assert "sentry_team_org_st_idx" in repr(facts.migration.operations[0].call)


def test_a_read_only_cache_folder_is_not_an_error(example: Path) -> None:
    (example / CACHE_DIR).mkdir()
    os.chmod(example / CACHE_DIR, 0o500)
    try:
        index = ProjectIndex(str(example))
        assert index.histories["sentry"].leaf == "1127_team_org_status_index"
    finally:
        os.chmod(example / CACHE_DIR, 0o700)


def test_a_broken_file_is_left_out_and_remembered(example: Path) -> None:
    broken = example / "src/sentry/models/broken.py"
    broken.write_text("class (:\n")
    index = ProjectIndex(str(example), use_cache=False)
    assert index.models  # everything else still indexed
    assert index.facts_of(str(broken)) is None and str(broken) in index.broken


def test_lockfile_parser() -> None:
    text = "header\n" * 6 + "\nsentry: 0002_b\n\nuptime: 0001_a\nsentry: 0003_c\nbroken line\n<<<<<<< HEAD\n"
    lock = parse_lockfile("x", text)
    assert lock.entries["uptime"] == ("0001_a", 10)
    assert lock.duplicates["sentry"] == [8, 11]
    assert [n for n, _ in lock.malformed] == [12, 13]


def _fields(index: ProjectIndex, model: str) -> dict[str, tuple[str, bool | None, bool]]:
    state = index.histories["uptime"].models[model]
    return {f.name: (f.kind, f.null, f.has_db_default) for f in state.fields.values()}


def test_replay_matches_a_real_apps_models() -> None:
    """fixtures/projects/replay_uptime restates the real uptime app (squash 0001..0055, then 0056)."""
    index = ProjectIndex(str(REPO / "fixtures/projects/replay_uptime"), use_cache=False)
    history = index.histories["uptime"]
    assert history.order == ["0001_squashed_0055_backfill_2xx_status_assertion", "0056_encrypt_uptime_subscription_headers_body"]
    assert not history.problems and not history.uncertain
    subscription = _fields(index, "uptimesubscription")
    assert subscription["headers"] == ("EncryptedJSONField", False, True)  # altered by 0056
    assert subscription["body"] == ("EncryptedTextField", True, False)
    assert subscription["status"] == ("SmallIntegerField", False, True)
    assert subscription["date_added"][1] is True  # DefaultFieldsModelExisting keeps it nullable
    capture = _fields(index, "uptimeresponsecapture")
    assert capture["uptime_subscription"][0] == "FlexibleForeignKey"
    region = _fields(index, "uptimesubscriptionregion")
    assert region["mode"] == ("CharField", False, True)
    # and the model files declare exactly those fields (own, inherited from a base in another
    # file, and the implicit ones of Sentry's abstract bases)
    from sentry_model_lint.rules.project import _declared_fields

    for (_app, name), entry in index.models.items():
        declared = set(_declared_fields(entry))
        assert declared == set(_fields(index, name)), name
