"""Capabilities: what a Sentry checkout provides, read from its source, and the findings and
fixes that follow from it.

Two fixture repositories hold the same models and migrations: ``fixtures/projects/era_2023`` is
a mid-2023 checkout (``*_only_model`` silo decorators, ``is_dangerous``, Django 3.2, no ``Safe*``
operations, no ``DeletionAction``, no ``RelocationScope``), ``fixtures/projects/era_current``
today's. In the 2023 one no finding, and no fix, may name what that checkout lacks.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marks import FIXTURES, marks_of
from sentry_model_lint.capabilities import KNOWN, TODAY, detect, for_root, parse_overrides, with_overrides
from sentry_model_lint.cli import main
from sentry_model_lint.config import Config, ConfigError, from_mapping, load_for_root
from sentry_model_lint.engine import capabilities_for, lint_file
from sentry_model_lint.paths import classify

ERA_2023 = FIXTURES / "projects" / "era_2023"
ERA_CURRENT = FIXTURES / "projects" / "era_current"
ERAS = {"era_2023": ERA_2023, "era_current": ERA_CURRENT}

#: what a mid-2023 checkout does not have: no finding or fix there may name one of these
MISSING_IN_2023 = (
    "cell_silo_model",
    "region_silo_model",
    "control_silo_model",
    "is_post_deployment",
    "SafeRunSQL",
    "SafeRemoveField",
    "SafeDeleteModel",
    "DeletionAction",
    "RelocationScope",
    "db_default",
)
_MISSING_2023 = re.compile(r"\b(" + "|".join(MISSING_IN_2023) + r")\b")

BOUNDED = tuple(name for name in KNOWN if name.startswith("Bounded"))


def missing_names(text: str) -> list[str]:
    return _MISSING_2023.findall(text)


# --- detection on the two fixture repositories --------------------------------------------------


def test_detect_era_2023() -> None:
    caps = detect(str(ERA_2023))
    assert not caps.assumed
    assert caps.silo_decorators == {"region_silo_only_model", "control_silo_only_model"}
    assert caps.cell_decorator == "region_silo_only_model"
    assert caps.control_decorator == "control_silo_only_model"
    assert caps.post_deployment_flags == {"is_dangerous"}
    assert caps.post_deployment_flag == "is_dangerous"
    assert caps.django == (3, 2)
    assert caps.defines == {"CheckedMigration", "HybridCloudForeignKey", *BOUNDED}
    described = caps.describe()
    for lacking in ("SafeRunSQL", "SafeRemoveField", "SafeDeleteModel", "DeletionAction", "RelocationScope"):
        assert lacking in described["lacks"]
    assert not caps.django_at_least(5, 0)
    assert caps.satisfies("reads:is_dangerous") and not caps.satisfies("reads:is_post_deployment")
    assert caps.current_silo_name("region_silo_only_model") is None  # already the checkout's name
    assert caps.current_silo_name("cell_silo_model") == "region_silo_only_model"
    assert caps.silo_advice() == "`@region_silo_only_model` (the default) or `@control_silo_only_model`"
    assert caps.sources == {
        "silo_decorators": "src/sentry/db/models/base.py",
        "post_deployment_flags": "src/sentry/new_migrations/monkey/executor.py",
        "django": "requirements-frozen.txt",
        "CheckedMigration": "src/sentry/new_migrations/migrations.py",
        "HybridCloudForeignKey": "src/sentry/db/models/fields/hybrid_cloud_foreign_key.py",
        **dict.fromkeys(BOUNDED, "src/sentry/db/models/fields/bounded.py"),
    }


def test_detect_era_current() -> None:
    caps = detect(str(ERA_CURRENT))
    assert not caps.assumed
    assert caps.silo_decorators == {"cell_silo_model", "control_silo_model"}
    assert caps.post_deployment_flags == {"is_post_deployment"}
    assert caps.django == (5, 2)
    assert caps.defines == {
        "CheckedMigration",
        "HybridCloudForeignKey",
        "SafeRunSQL",
        "SafeRemoveField",
        "SafeDeleteModel",
        "DeletionAction",
        "RelocationScope",
        "DefaultFieldsModelExisting",
        *BOUNDED,
    }
    assert caps.silo_advice() == "`@cell_silo_model` (the default) or `@control_silo_model`"
    assert caps.current_silo_name("region_silo_model") == "cell_silo_model"
    assert caps.current_silo_name("control_silo_only_model") == "control_silo_model"
    assert caps.sources == {
        "silo_decorators": "src/sentry/db/models/base.py",
        "post_deployment_flags": "src/sentry/new_migrations/monkey/executor.py",
        "django": "uv.lock",
        "CheckedMigration": "src/sentry/new_migrations/migrations.py",
        "HybridCloudForeignKey": "src/sentry/db/models/fields/hybrid_cloud_foreign_key.py",
        "SafeRunSQL": "src/sentry/new_migrations/monkey/special.py",
        "SafeRemoveField": "src/sentry/new_migrations/monkey/fields.py",
        "SafeDeleteModel": "src/sentry/new_migrations/monkey/models.py",
        "DeletionAction": "src/sentry/new_migrations/monkey/state.py",
        "RelocationScope": "src/sentry/backup/scopes.py",
        "DefaultFieldsModelExisting": "src/sentry/db/models/base.py",
        **dict.fromkeys(BOUNDED, "src/sentry/db/models/fields/bounded.py"),
    }


def test_the_engine_gives_each_file_its_own_checkouts_capabilities() -> None:
    for root in ERAS.values():
        path = root / "src" / "sentry" / "models" / "project.py"
        config = load_for_root(str(root))
        assert capabilities_for(classify(str(path)), config) == detect(str(root))


# --- detection shapes on small trees ------------------------------------------------------------


def checkout(root: Path, files: dict[str, str], base: str | None = None) -> Path:
    """A Sentry-shaped tree: ``base`` is ``src/sentry/db/models/base.py`` (always written)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'sentry'\n")
    files = {"src/sentry/db/models/base.py": base or "", **files}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


SILO_BASE = """\
    from sentry.silo.base import SiloMode

    __all__ = ("cell_silo_model", "control_silo_model")

    cell_silo_model = ModelSiloLimit(SiloMode.CELL)
    control_silo_model = ModelSiloLimit(SiloMode.CONTROL)
    region_silo_model = ModelSiloLimit(SiloMode.CELL)  # kept for old imports, not exported
    """


def test_silo_decorators_are_those_exported_by_all(tmp_path: Path) -> None:
    caps = detect(str(checkout(tmp_path, {}, SILO_BASE)))
    assert caps.silo_decorators == {"cell_silo_model", "control_silo_model"}


def test_without_all_every_silo_decorator_defined_counts(tmp_path: Path) -> None:
    base = "\n".join(line for line in SILO_BASE.splitlines() if "__all__" not in line)
    caps = detect(str(checkout(tmp_path, {}, base)))
    assert caps.silo_decorators == {"cell_silo_model", "control_silo_model", "region_silo_model"}


def test_an_alias_of_a_silo_decorator_counts_when_exported(tmp_path: Path) -> None:
    base = """\
        __all__ = ["control_silo_only_model", "region_silo_only_model", "control_silo_with_replication_model"]

        control_silo_only_model = ModelSiloLimit(SiloMode.CONTROL)
        region_silo_only_model = ModelSiloLimit(SiloMode.REGION)
        control_silo_with_replication_model = control_silo_only_model
        """
    caps = detect(str(checkout(tmp_path, {}, base)))
    assert caps.silo_decorators == {"control_silo_only_model", "region_silo_only_model", "control_silo_with_replication_model"}
    assert caps.control_decorator == "control_silo_only_model"


def test_an_alias_left_out_of_all_does_not_count(tmp_path: Path) -> None:
    base = """\
        __all__ = ["control_silo_only_model", "region_silo_only_model"]

        control_silo_only_model = ModelSiloLimit(SiloMode.CONTROL)
        region_silo_only_model = ModelSiloLimit(SiloMode.REGION)
        control_silo_with_replication_model = control_silo_only_model
        """
    caps = detect(str(checkout(tmp_path, {}, base)))
    assert caps.silo_decorators == {"control_silo_only_model", "region_silo_only_model"}


def test_bounded_fields_defined_under_a_settings_switch_count(tmp_path: Path) -> None:
    bounded = """\
        from django.conf import settings
        from django.db import models

        if settings.SENTRY_USE_BIG_INTS:

            class BoundedAutoField(models.BigAutoField):
                MAX_VALUE = 9223372036854775807

            class BoundedBigAutoField(models.BigAutoField):
                MAX_VALUE = 9223372036854775807

        else:

            class BoundedAutoField(models.AutoField):
                MAX_VALUE = 2147483647

        class BoundedIntegerField(models.IntegerField):
            MAX_VALUE = 2147483647


        def _make():
            class BoundedBigIntegerField(models.BigIntegerField):  # inside a function: not a module name
                pass

            return BoundedBigIntegerField
        """
    caps = detect(str(checkout(tmp_path, {"src/sentry/db/models/fields/bounded.py": bounded})))
    assert {"BoundedAutoField", "BoundedBigAutoField", "BoundedIntegerField"} <= caps.defines
    assert "BoundedBigIntegerField" not in caps.defines
    assert caps.sources["BoundedAutoField"] == "src/sentry/db/models/fields/bounded.py"
    assert not caps.satisfies("BoundedBigIntegerField")  # SML133's need


def test_a_runner_reading_both_flags(tmp_path: Path) -> None:
    runner = """\
        def is_post_deployment(migration):
            # is_dangerous is the old name of the flag: read both while migrations still use it
            return getattr(migration, "is_post_deployment", False) or getattr(migration, "is_dangerous", False)
        """
    caps = detect(str(checkout(tmp_path, {"src/sentry/runner/commands/migrations.py": runner})))
    assert caps.post_deployment_flags == {"is_post_deployment", "is_dangerous"}
    assert caps.post_deployment_flag == "is_post_deployment"
    assert caps.sources["post_deployment_flags"] == "src/sentry/runner/commands/migrations.py"


def test_flags_are_read_from_every_reader_and_default_to_today(tmp_path: Path) -> None:
    both = checkout(
        tmp_path / "both",
        {
            "src/sentry/new_migrations/monkey/executor.py": 'getattr(migration, "is_dangerous", False)\n',
            "src/sentry/new_migrations/migrations.py": "class CheckedMigration:\n    is_post_deployment = False\n",
        },
    )
    caps = detect(str(both))
    assert caps.post_deployment_flags == {"is_post_deployment", "is_dangerous"}
    assert caps.sources["post_deployment_flags"] == (
        "src/sentry/new_migrations/monkey/executor.py, src/sentry/new_migrations/migrations.py"
    )
    none = detect(str(checkout(tmp_path / "none", {})))
    assert none.post_deployment_flags == {"is_post_deployment"}
    assert none.sources["post_deployment_flags"].startswith("assumed")


UV_LOCK = """\
    version = 1

    [[package]]
    name = "django"
    version = "5.2.8"
    source = { registry = "https://pypi.org/simple" }

    [[package]]
    name = "django-crispy-forms"
    version = "1.14.0"
    """


@pytest.mark.parametrize(
    ("rel", "text", "version"),
    [
        ("uv.lock", UV_LOCK, (5, 2)),
        ("requirements-frozen.txt", "amqp==5.1.1\ndjango==3.2.20\ndjango-crispy-forms==1.14.0\n", (3, 2)),
        ("requirements-base.txt", "celery>=5.2.7\nDjango>=3.2.20,<4\ndjangorestframework>=3.14\n", (3, 2)),
        (
            "pyproject.toml",
            '[project]\nname = "sentry"\ndependencies = [\n    "celery>=5.3",\n    "Django>=4.2.11",\n]\n',
            (4, 2),
        ),
    ],
)
def test_django_pin(tmp_path: Path, rel: str, text: str, version: tuple[int, int]) -> None:
    root = checkout(tmp_path, {})
    (root / rel).write_text(textwrap.dedent(text))
    caps = detect(str(root))
    assert caps.django == version
    assert caps.sources["django"] == rel


def test_the_most_precise_django_pin_wins(tmp_path: Path) -> None:
    root = checkout(tmp_path, {"requirements-base.txt": "Django>=4.2,<6\n", "uv.lock": UV_LOCK})
    assert detect(str(root)).django == (5, 2)
    (root / "uv.lock").unlink()
    (root / "requirements-frozen.txt").write_text("django==5.1.4\n")
    caps = detect(str(root))
    assert (caps.django, caps.sources["django"]) == ((5, 1), "requirements-frozen.txt")


def test_no_django_pin_counts_as_todays(tmp_path: Path) -> None:
    caps = detect(str(checkout(tmp_path, {})))
    assert caps.django is None
    assert caps.sources["django"].startswith("not found")
    assert caps.django_at_least(5, 0) and caps.satisfies("django>=5.0")


def test_no_base_module_means_no_checkout_and_todays_sentry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "src" / "sentry" / "new_migrations" / "monkey").mkdir(parents=True)
    (tmp_path / "src" / "sentry" / "new_migrations" / "monkey" / "executor.py").write_text('getattr(m, "is_dangerous")\n')
    (tmp_path / "requirements-frozen.txt").write_text("django==3.2.20\n")
    caps = detect(str(tmp_path))
    assert caps is TODAY
    assert caps.assumed
    assert caps.silo_decorators == {"cell_silo_model", "control_silo_model"}
    assert caps.post_deployment_flags == {"is_post_deployment"}
    assert caps.defines == set(KNOWN)
    assert caps.django == (5, 2)
    assert for_root(None) is TODAY


def test_an_unreadable_base_module_still_makes_a_checkout(tmp_path: Path) -> None:
    caps = detect(str(checkout(tmp_path, {}, "def broken(:\n")))
    assert not caps.assumed
    assert caps.silo_decorators == set()
    assert not caps.satisfies("silo-decorators")  # SML105 and SML106 stay silent
    assert caps.silo_advice() == "a silo decorator"


# --- overrides ----------------------------------------------------------------------------------


def test_overrides_are_applied_and_say_configured() -> None:
    caps = with_overrides(
        detect(str(ERA_2023)),
        {
            "django": "4.2.7",
            "post-deployment-flag": "both",
            "silo-decorators": ["region_silo_model", "control_silo_model"],
            "defines": ["SafeRunSQL", "RelocationScope"],
            "lacks": ["HybridCloudForeignKey"],
        },
    )
    assert caps.django == (4, 2)
    assert caps.post_deployment_flags == {"is_post_deployment", "is_dangerous"}
    assert caps.silo_decorators == {"region_silo_model", "control_silo_model"}
    assert {"SafeRunSQL", "RelocationScope"} <= caps.defines
    assert "HybridCloudForeignKey" not in caps.defines
    for key in ("django", "post_deployment_flags", "silo_decorators", "SafeRunSQL", "RelocationScope", "HybridCloudForeignKey"):
        assert caps.sources[key] == "configured", key
    assert caps.sources["CheckedMigration"] == "src/sentry/new_migrations/migrations.py"  # detected, untouched


def test_empty_or_redundant_overrides_change_nothing() -> None:
    detected = detect(str(ERA_CURRENT))
    assert with_overrides(detected, {}) is detected
    same = with_overrides(detected, {"defines": ["SafeRunSQL"]})
    assert same.defines == detected.defines
    assert "configured" not in same.sources.values()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"flavour": "2023"}, "unknown key `flavour`"),
        ({"defines": ["SafeRunSQL"], "lacks": ["SafeRunSQL"]}, "`SafeRunSQL` is both in `defines` and in `lacks`"),
        ({"defines": ["SafeRunEverything"]}, "`SafeRunEverything` is not a name the linter looks for"),
        ({"django": "five"}, "`django` must be a version"),
        ({"post-deployment-flag": "is_risky"}, "`post-deployment-flag` must be"),
        ({"silo-decorators": ["shard_silo_model"]}, "unknown decorator `shard_silo_model`"),
        ({"lacks": "SafeRunSQL"}, "`lacks` must be a list of names"),
    ],
)
def test_bad_overrides_are_config_errors(overrides: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_overrides(overrides)
    with pytest.raises(ConfigError, match=re.escape(problem)) as info:
        from_mapping({"capabilities": overrides}, "pyproject.toml")
    assert "capabilities" in str(info.value)


def test_the_capabilities_table_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match="`capabilities` must be a table"):
        from_mapping({"capabilities": ["SafeRunSQL"]})
    config = from_mapping({"capabilities": {"django": "3.2", "lacks": ["SafeRunSQL"]}})
    assert config.capability_overrides == {"django": "3.2", "lacks": ["SafeRunSQL"]}


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".sentry_model_lint_cache", "__pycache__"))
    return target


def add_capabilities(root: Path, table: str) -> None:
    with open(root / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[tool.sentry-model-lint.capabilities]\n" + textwrap.dedent(table))


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('flavour = "2023"\n', "unknown key `flavour`"),
        ('defines = ["SafeRunSQL"]\nlacks = ["SafeRunSQL"]\n', "`SafeRunSQL` is both in `defines` and in `lacks`"),
    ],
)
def test_bad_overrides_stop_the_cli_with_exit_2(tmp_path: Path, capsys, table: str, problem: str) -> None:
    root = copy_repo(ERA_2023, tmp_path / "era_2023")
    add_capabilities(root, table)
    assert main(["check", "--no-cache", str(root)]) == 2
    captured = capsys.readouterr()
    assert "configuration error" in captured.err
    assert problem in captured.err
    assert captured.out == ""


def test_configured_overrides_drive_the_findings(tmp_path: Path, capsys) -> None:
    """A 2023 checkout told it runs Django 5.2 and reads `is_post_deployment`: the advice follows."""
    root = copy_repo(ERA_2023, tmp_path / "era_2023")
    add_capabilities(root, 'django = "5.2"\npost-deployment-flag = "is_post_deployment"\ndefines = ["SafeRunSQL"]\n')
    config = load_for_root(str(root))
    caps = capabilities_for(
        classify(str(root / "src" / "sentry" / "migrations" / "0003_useroption_delete_legacy_keys.py")), config
    )
    assert (caps.django, caps.post_deployment_flags) == ((5, 2), {"is_post_deployment"})
    assert caps.sources["django"] == caps.sources["post_deployment_flags"] == caps.sources["SafeRunSQL"] == "configured"
    findings = cli_findings(root, capsys)
    by_code: dict[str, list[str]] = {}
    for finding in findings:
        by_code.setdefault(finding["code"], []).append(finding["message"])
    assert "SML210" in by_code  # db_default exists from Django 5.0
    assert "SML240" in by_code  # SafeRunSQL declared present
    assert "SML203" in by_code  # is_dangerous is legacy once the runner reads is_post_deployment
    assert all("`is_post_deployment`" in message for message in by_code["SML202"])


# --- the two doors: CLI and flake8 --------------------------------------------------------------

LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$")
Finding = tuple[str, int, int, str, str]


def cli_findings(root: Path, capsys) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["check", "--no-cache", "--select", "SML", "--format", "json", str(root)]) in (0, 1)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    findings: list[dict[str, object]] = json.loads(captured.out)
    return findings


def _rel(path: str, root: Path) -> str:
    return Path(os.path.relpath(os.path.join(root, path), root)).as_posix()


def via_flake8(root: Path) -> set[Finding]:
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "SML", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    found = set()
    for line in proc.stdout.splitlines():
        match = LINE.match(line)
        assert match, f"unexpected flake8 output line: {line!r}"
        found.add((_rel(match["path"], root), int(match["line"]), int(match["col"]), match["code"], match["text"]))
    return found


def marked(root: Path) -> set[tuple[str, int, str]]:
    return {
        (path.relative_to(root).as_posix(), line, code)
        for path in sorted(root.rglob("*.py"))
        if ".sentry_model_lint_cache" not in path.parts
        for line, code in marks_of(path)
    }


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[Finding]]]:
    """Both doors on a fresh copy of each repository (no cache from an earlier run)."""
    out: dict[str, dict[str, set[Finding]]] = {}
    for era, source in ERAS.items():
        root = copy_repo(source, tmp_path_factory.mktemp(era) / era)
        out[era] = {"cli": _cli_quietly(root), "flake8": via_flake8(root)}
    return out


def _cli_quietly(root: Path) -> set[Finding]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", "--no-cache", "--select", "SML", "--format", "json", str(root)])
    assert status in (0, 1), err.getvalue()
    return {
        (_rel(str(f["path"]), root), int(f["line"]), int(f["column"]), str(f["code"]), str(f["message"]))
        for f in json.loads(out.getvalue())
    }


@pytest.mark.parametrize("era", sorted(ERAS))
def test_cli_and_flake8_report_the_same_findings(doors: dict[str, dict[str, set[Finding]]], era: str) -> None:
    cli, flake8 = doors[era]["cli"], doors[era]["flake8"]
    assert cli, "no findings at all: the repository is not linted"
    assert cli == flake8, f"only the CLI: {sorted(cli - flake8)}; only flake8: {sorted(flake8 - cli)}"


@pytest.mark.parametrize("era", sorted(ERAS))
def test_findings_are_the_marked_ones(doors: dict[str, dict[str, set[Finding]]], era: str) -> None:
    reported = {(path, line, code) for path, line, _, code, _ in doors[era]["cli"]}
    assert reported == marked(ERAS[era])


def test_the_two_eras_share_their_models_and_migrations() -> None:
    """Outside the era's library files, the repositories differ only in their marks."""
    mark = re.compile(r"\s*# expect: .*$")

    def shared(root: Path) -> dict[str, list[str]]:
        return {
            path.relative_to(root).as_posix(): [mark.sub("", line) for line in path.read_text().splitlines()]
            for folder in ("src/sentry/models", "src/sentry/migrations")
            for path in sorted((root / folder).glob("*.py"))
        }

    old, new = shared(ERA_2023), shared(ERA_CURRENT)
    assert old.keys() == new.keys() and len(old) >= 10
    assert old == new
    assert marked(ERA_2023) != marked(ERA_CURRENT)


def _offending(findings: set[Finding]) -> list[str]:
    return [f"{path}:{line} {code} {message}" for path, line, _, code, message in sorted(findings) if missing_names(message)]


@pytest.mark.parametrize("door", ["cli", "flake8"])
def test_era_2023_findings_name_nothing_the_checkout_lacks(doors: dict[str, dict[str, set[Finding]]], door: str) -> None:
    findings = doors["era_2023"][door]
    offending = _offending(findings)
    assert not offending, "\n".join(offending)
    codes = {f[3] for f in findings}
    # the rules whose advice needs what 2023 lacks stay silent; the others adapt their advice
    assert not codes & {"SML101", "SML104", "SML121", "SML203", "SML210", "SML240"}
    assert {"SML202", "SML211", "SML220", "SML221", "SML250", "SML105"} <= codes
    messages = {f[3]: f[4] for f in findings}
    assert "add `is_dangerous = False`" in messages["SML202"]
    assert "set `is_dangerous = True`" in messages["SML250"]
    assert "`@region_silo_only_model` (the default) or `@control_silo_only_model`" in messages["SML105"]
    assert "SeparateDatabaseAndState" in messages["SML220"] and "SeparateDatabaseAndState" in messages["SML221"]
    assert "add it with `null=True`" in messages["SML211"]


def test_era_current_keeps_todays_advice(doors: dict[str, dict[str, set[Finding]]]) -> None:
    findings = doors["era_current"]["cli"]
    messages: dict[str, list[str]] = {}
    for _, _, _, code, message in sorted(findings):
        messages.setdefault(code, []).append(message)
    assert "`@cell_silo_model` (the default) or `@control_silo_model`" in messages["SML105"][0]
    assert sorted(m.rsplit("use ", 1)[1] for m in messages["SML106"]) == [
        "`@cell_silo_model`",
        "`@cell_silo_model`",
        "`@control_silo_model`",
    ]
    assert "add `is_post_deployment = False`" in messages["SML202"][0]
    assert "set `is_post_deployment = True`" in messages["SML250"][0]
    assert "SafeRemoveField(..., deletion_action=DeletionAction.MOVE_TO_PENDING)" in messages["SML220"][0]
    assert "SafeDeleteModel(..., deletion_action=DeletionAction.MOVE_TO_PENDING)" in messages["SML221"][0]
    assert "`SafeRunSQL`" in messages["SML240"][0]
    assert "db_default=0" in messages["SML210"][0]
    assert "without `db_default=`" in messages["SML211"][0]
    assert len(messages["SML203"]) == 3
    assert {"SML101", "SML104", "SML121"} <= messages.keys()


# --- fixes --------------------------------------------------------------------------------------


MARK = re.compile(r"  # expect: [A-Z0-9, ]+$", re.MULTILINE)


def unmarked(text: str) -> str:
    return MARK.sub("", text)


def snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
        if ".sentry_model_lint_cache" not in path.parts
    }


def added_lines(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    out = {}
    for rel, text in after.items():
        if text != before[rel]:
            diff = difflib.ndiff(before[rel].splitlines(), text.splitlines())
            out[rel] = [line[2:] for line in diff if line.startswith("+ ")]
    return out


def run_fix(root: Path, *extra: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", "--no-cache", "--select", "SML", "--unsafe-fixes", *extra, str(root)])
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return status, out.getvalue()


#: what the fixes write, per era: file -> text it must hold afterwards
FIXED = {
    "era_2023": {
        "src/sentry/models/project.py": ["@region_silo_only_model\n", "    region_silo_only_model,\n"],
        "src/sentry/models/team.py": ["@region_silo_only_model\n", "import Model, region_silo_only_model, sane_repr"],
        "src/sentry/migrations/0003_useroption_delete_legacy_keys.py": ["    is_dangerous = False\n", "migrations.RunSQL("],
    },
    "era_current": {
        "src/sentry/models/organization.py": ["@cell_silo_model\n", "import Model, cell_silo_model, sane_repr"],
        "src/sentry/models/project.py": ["@cell_silo_model\n", "    cell_silo_model,\n"],
        "src/sentry/models/useroption.py": [
            "@control_silo_model\n",
            "__relocation_scope__ = RelocationScope.Excluded",
            "from sentry.backup.scopes import RelocationScope\n",
        ],
        "src/sentry/migrations/0001_initial.py": ["    is_post_deployment = False"],
        "src/sentry/migrations/0002_project_add_status.py": ["BoundedPositiveIntegerField(db_default=0)"],
        "src/sentry/migrations/0003_useroption_delete_legacy_keys.py": [
            "    is_post_deployment = False\n",
            "from sentry.new_migrations.monkey.special import SafeRunSQL\n",
            "        SafeRunSQL(",
        ],
        "src/sentry/migrations/0004_team_remove_actor_id.py": [
            "        SafeRemoveField(",
            "deletion_action=DeletionAction.MOVE_TO_PENDING",
            "from sentry.new_migrations.monkey.state import DeletionAction\n",
        ],
        "src/sentry/migrations/0005_delete_gadget.py": [
            "    is_post_deployment = False",
            "        SafeDeleteModel(",
            "deletion_action=DeletionAction.MOVE_TO_PENDING",
        ],
        "src/sentry/migrations/0006_project_add_org_status_index.py": ["    is_post_deployment = False"],
    },
}


@pytest.mark.parametrize("era", sorted(ERAS))
def test_fix_writes_only_what_the_checkout_has(tmp_path: Path, era: str) -> None:
    root = copy_repo(ERAS[era], tmp_path / era)
    before = snapshot(root)
    run_fix(root, "--fix")
    after = snapshot(root)
    changed = {rel for rel in after if after[rel] != before[rel]}
    assert changed == set(FIXED[era])
    for rel, texts in FIXED[era].items():
        for text in texts:
            assert text in unmarked(after[rel]), f"{rel}: {text!r} not written"
    for rel, text in after.items():
        ast.parse(text, rel)  # still Python
    if era == "era_2023":
        for rel in changed:
            gained = {
                name for name in MISSING_IN_2023 if missing_names(after[rel]).count(name) > missing_names(before[rel]).count(name)
            }
            assert not gained, f"{rel} gained {sorted(gained)}"
        # SML220, SML221 and SML240 have no fix in a checkout without the Safe* operations
        assert "migrations.RemoveField(" in after["src/sentry/migrations/0004_team_remove_actor_id.py"]
        assert "migrations.DeleteModel(" in after["src/sentry/migrations/0005_delete_gadget.py"]
        # SML202 inserts the flag the 2023 runner reads, comment block included
        assert added_lines(before, after)["src/sentry/migrations/0003_useroption_delete_legacy_keys.py"][0].startswith(
            "    # is_dangerous marks a migration"
        )


@pytest.mark.parametrize("era", sorted(ERAS))
def test_diff_shows_the_fix_and_writes_nothing(tmp_path: Path, era: str) -> None:
    root = copy_repo(ERAS[era], tmp_path / era)
    before = snapshot(root)
    status, out = run_fix(root, "--diff")
    assert status == 1  # pending fixes
    assert snapshot(root) == before
    diff_added = [line[1:] for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert diff_added
    if era == "era_2023":
        offending = [line for line in diff_added if missing_names(line)]
        assert not offending, offending
    # the diff is what --fix then writes
    run_fix(root, "--fix")
    written = [line for lines in added_lines(before, snapshot(root)).values() for line in lines]
    assert sorted(diff_added) == sorted(written)


def test_era_2023_after_the_fixes_names_nothing_it_lacks(tmp_path: Path, capsys) -> None:
    root = copy_repo(ERA_2023, tmp_path / "era_2023")
    run_fix(root, "--fix")
    findings = cli_findings(root, capsys)
    assert findings
    offending = [f"{f['path']}:{f['line']} {f['code']} {f['message']}" for f in findings if missing_names(str(f["message"]))]
    assert not offending, "\n".join(offending)
    assert "SML106" not in {f["code"] for f in findings}  # renamed to the checkout's own decorators


def test_sml108_names_the_checkouts_silo_decorators(tmp_path: Path) -> None:
    """A replicated control model in the cell (region) silo: the advice uses the era's names."""
    base = tmp_path / "src" / "sentry" / "db" / "models" / "base.py"
    base.parent.mkdir(parents=True)
    base.write_text(
        '__all__ = ("control_silo_only_model", "region_silo_only_model")\n'
        "control_silo_only_model = ModelSiloLimit(SiloMode.CONTROL)\n"
        "region_silo_only_model = ModelSiloLimit(SiloMode.REGION)\n"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.sentry-model-lint]\nproject-index = false\n")
    model = tmp_path / "src" / "sentry" / "models" / "token.py"
    model.parent.mkdir(parents=True)
    model.write_text(
        "from sentry.db.models import region_silo_only_model\n"
        "from sentry.db.models.outboxes import ReplicatedControlModel\n\n\n"
        "@region_silo_only_model\n"
        "class Token(ReplicatedControlModel):\n"
        "    pass\n"
    )
    config = Config(select=("SML108",), project_index=False)
    found = [v for v in lint_file(str(model), config).violations if v.code == "SML108"]
    assert len(found) == 1
    assert "region silo: use `@control_silo_only_model`" in found[0].message
    assert not missing_names(found[0].message)
