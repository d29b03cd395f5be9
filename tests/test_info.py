"""``sentry-model-lint info``: the root, apps, capabilities, history and configuration it reports."""

from __future__ import annotations

import json
from pathlib import Path

from sentry_model_lint.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "fixtures" / "example_repo"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_json_describes_the_example_repository(capsys) -> None:
    code, out, _ = run(capsys, "info", str(EXAMPLE), "--format", "json", "--no-cache")
    assert code == 0
    data = json.loads(out)
    assert data["root"] == str(EXAMPLE)
    # no src/sentry/db/models/base.py there: today's Sentry, and it says so
    assert data["capabilities"]["assumed"] is True and "assumed" in data["checkout"]
    apps = {app["label"]: app for app in data["apps"]}
    assert apps["workflow_engine"]["migrations_folder"] == "src/sentry/workflow_engine/migrations"
    assert apps["workflow_engine"]["leaves"] == ["0005_detector_autovacuum_settings"]
    assert apps["workflow_engine"]["lockfile"] == "0004_backfill_detector_config"
    assert apps["sentry"]["replaced_by_squash"] > 0
    assert data["history"]["squashed"]["sentry"] == ["0001_squashed_1118_example"]
    assert data["configuration"]["large_tables"] == ["sentry_team", "sentry_organization"]


def test_info_text_names_each_part_and_the_options_in_effect(capsys) -> None:
    code, out, _ = run(capsys, "info", str(EXAMPLE), "--since", "origin/master", "--no-cache")
    assert code == 0
    for heading in ("project root:", "capabilities:", "apps:", "shipped history", "configuration in effect:"):
        assert heading in out
    assert "since: origin/master" in out
    assert "workflow_engine: src/sentry/workflow_engine/migrations" in out


def test_info_reads_a_checkout_and_its_overrides(tmp_path: Path, capsys) -> None:
    base = tmp_path / "src" / "sentry" / "db" / "models" / "base.py"
    base.parent.mkdir(parents=True)
    base.write_text(
        '__all__ = ("Model", "region_silo_only_model", "control_silo_only_model")\n'
        "control_silo_only_model = ModelSiloLimit(SiloMode.CONTROL)\n"
        "region_silo_only_model = ModelSiloLimit(SiloMode.REGION)\n"
    )
    (tmp_path / "requirements-base.txt").write_text("Django>=3.2.20,<4\n")
    (tmp_path / "pyproject.toml").write_text('[tool.sentry-model-lint.capabilities]\npost-deployment-flag = "is_dangerous"\n')
    code, out, _ = run(capsys, "info", str(tmp_path), "--format", "json", "--no-cache")
    assert code == 0
    caps = json.loads(out)["capabilities"]
    assert caps["assumed"] is False
    assert caps["silo_decorators"] == ["control_silo_only_model", "region_silo_only_model"]
    assert caps["django"] == "3.2" and caps["sources"]["django"] == "requirements-base.txt"
    assert caps["post_deployment_flags"] == ["is_dangerous"]
    assert caps["sources"]["post_deployment_flags"] == "configured"


def test_info_on_a_missing_path_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "info", str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in err


def test_cached_results_follow_the_checkouts_django_pin(tmp_path: Path, capsys) -> None:
    """SML210 needs Django 5.0: the results cache must not replay findings across an upgrade."""
    base = tmp_path / "src" / "sentry" / "db" / "models" / "base.py"
    base.parent.mkdir(parents=True)
    base.write_text('__all__ = ("cell_silo_model",)\ncell_silo_model = ModelSiloLimit(SiloMode.CELL)\n')
    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\nproject-index = false\n")
    pin = tmp_path / "requirements-base.txt"
    pin.write_text("Django>=3.2.20,<4\n")
    migration = tmp_path / "src" / "sentry" / "migrations" / "1001_add_flag.py"
    migration.parent.mkdir(parents=True)
    migration.write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [migrations.AddField('widget', 'on', models.BooleanField(default=True, null=True))]\n"
    )
    args = ("check", "--select", "SML210", "--format", "json", str(migration))
    assert run(capsys, *args)[0] == 0  # Django 3.2: no db_default to recommend
    pin.write_text("Django>=5.2.1,<5.3\n")
    code, out, _ = run(capsys, *args)
    assert code == 1 and [f["code"] for f in json.loads(out)] == ["SML210"]
