"""The contributor scaffold: ``python -m sentry_model_lint.dev new-rule`` writes a rule that
registers itself in its family, a fixture and a CHANGELOG line, and refuses bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sentry_model_lint.dev import main, new_rule

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The parts of this project the scaffold writes to, copied."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(REPO / "fixtures" / "rules", root / "fixtures" / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "fixtures" / "projects").mkdir()
    shutil.copy(REPO / "CHANGELOG.md", root / "CHANGELOG.md")
    return root


def _registered(root: Path, code: str) -> str:
    """Family and fix safety of ``code`` as the copied package registers it (in a subprocess, so
    the registry of this test run stays as it is)."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from sentry_model_lint.rules.base import get_rule;"
        "r = get_rule(sys.argv[2]); print(r.family.value, r.fix.value, type(r).__module__)"
    )
    out = subprocess.run([sys.executable, "-c", script, str(root / "src"), code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize(
    ("code", "name", "fix", "family", "module"),
    [
        ("SML139", "widget-check", "safe", "model", "sentry_model_lint.rules.models.widget_check"),
        ("SML262", "widget-operation", "none", "migration", "sentry_model_lint.rules.migrations.widget_operation"),
        ("SML307", "widget-test", "none", "migration-test", "sentry_model_lint.rules.migration_tests"),
        ("SML413", "widget-history", "none", "project", "sentry_model_lint.rules.project"),
    ],
)
def test_new_rule_registers_in_its_family(checkout: Path, code: str, name: str, fix: str, family: str, module: str) -> None:
    written = new_rule(checkout, code, name, fix)
    assert _registered(checkout, code) == f"{family} {fix} {module}"
    changelog = (checkout / "CHANGELOG.md").read_text()
    assert f"- {code} `{name}`" in changelog and checkout / "CHANGELOG.md" in written
    fixtures = [p for p in written if "fixtures" in p.parts]
    assert fixtures, "a fixture is written"
    if code.startswith("SML4"):
        assert {p.parent.name for p in fixtures} == {"bad", "clean"}
    else:
        assert f"# expect: {code}" in fixtures[0].read_text()


def test_new_rule_refuses_an_existing_code_a_bad_name_and_a_foreign_family(checkout: Path, capsys) -> None:
    assert main(["new-rule", "SML101", "anything", "--root", str(checkout)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["new-rule", "SML139", "Not_Kebab", "--root", str(checkout)]) == 2
    assert main(["new-rule", "SML539", "widget", "--root", str(checkout)]) == 2
    assert main(["new-rule", "SML139", "widget-check", "--root", str(checkout)]) == 0
    assert main(["new-rule", "SML140", "widget-check", "--root", str(checkout)]) == 2  # the module exists
