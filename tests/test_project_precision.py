"""Project-level precision: the lockfile whitelist, the Sentry-layout root, merge migrations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentry_model_lint.paths import find_root
from sentry_model_lint.settings_reader import LockfileApps, lockfile_apps, parse_lockfile_apps

SENTRY_2023 = """
import os

MIGRATIONS_LOCKFILE_APP_WHITELIST = (
    "nodestore",
    "sentry",
    "social_auth",
    "sentry.replays",
)
MIGRATIONS_LOCKFILE_PATH = os.path.join(PROJECT_ROOT, os.path.pardir, os.path.pardir)
"""


def test_the_2023_whitelist_matches_labels_only() -> None:
    apps = parse_lockfile_apps(SENTRY_2023)
    assert apps.labels == ("nodestore", "sentry", "social_auth", "sentry.replays")
    assert apps.expects("sentry", in_lockfile=True) is True
    assert apps.expects("replays", in_lockfile=False) is False  # "sentry.replays" is not a label


@pytest.mark.parametrize(
    ("text", "label", "in_lockfile", "expected"),
    [
        ("MIGRATIONS_LOCKFILE_APP_WHITELIST = ()\n", "replays", False, True),  # empty: every app
        ("MIGRATIONS_LOCKFILE_APP_WHITELIST: tuple[str, ...] = ('flags',)\n", "flags", False, True),
        ("X = 1\n", "replays", False, False),  # no whitelist: only the apps already listed
        ("X = 1\n", "replays", True, True),
        ("MIGRATIONS_LOCKFILE_APP_WHITELIST = tuple(APPS)\n", "replays", False, None),  # not a literal
        ("if True:\n    MIGRATIONS_LOCKFILE_APP_WHITELIST = ()\n", "replays", False, None),  # set some other way
        ("def broken(:\n", "replays", False, True),  # unreadable: as without settings
    ],
)
def test_lockfile_apps_expects(text: str, label: str, in_lockfile: bool, expected: bool | None) -> None:
    assert parse_lockfile_apps(text).expects(label, in_lockfile) is expected


def test_without_settings_every_app_is_expected(tmp_path: Path) -> None:
    assert lockfile_apps(str(tmp_path)) == LockfileApps(known=False)
    assert lockfile_apps(str(tmp_path)).expects("replays", in_lockfile=False) is True


def test_settings_are_read_again_when_they_change(tmp_path: Path) -> None:
    settings = tmp_path / "src" / "sentry" / "conf" / "server.py"
    settings.parent.mkdir(parents=True)
    settings.write_text("MIGRATIONS_LOCKFILE_APP_WHITELIST = ('sentry',)\n")
    assert lockfile_apps(str(tmp_path)).labels == ("sentry",)
    settings.write_text("MIGRATIONS_LOCKFILE_APP_WHITELIST = ('sentry', 'replays')\n")
    os.utime(settings, ns=(1, 1))
    assert lockfile_apps(str(tmp_path)).labels == ("sentry", "replays")


def test_root_from_the_sentry_layout_without_a_marker(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    models = checkout / "src" / "sentry" / "models"
    models.mkdir(parents=True)
    find_root.cache_clear()
    try:
        if find_root(str(tmp_path)) is not None:
            pytest.skip("the temporary folder sits inside a project")
        assert find_root(str(models)) == str(checkout)
        assert find_root(str(checkout / "src")) == str(checkout)
        (checkout / "pyproject.toml").write_text("")
        find_root.cache_clear()
        assert find_root(str(models)) == str(checkout)
        other = tmp_path / "elsewhere" / "pkg"
        other.mkdir(parents=True)
        assert find_root(str(other)) is None  # no marker, no Sentry layout: no root
    finally:
        find_root.cache_clear()


def test_a_marker_wins_over_the_sentry_layout(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    inner = outer / "inner"
    (outer / "src" / "sentry").mkdir(parents=True)
    inner.mkdir()
    (inner / "setup.cfg").write_text("")
    find_root.cache_clear()
    try:
        assert find_root(str(inner)) == str(inner)
    finally:
        find_root.cache_clear()
