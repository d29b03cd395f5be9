"""Shared helpers: the fixture files and the ``# expect:`` marks they carry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sentry_model_lint.rules.base import REGISTRY, all_rules, expected_marks

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if "__pycache__" not in p.parts)


def known_codes() -> set[str]:
    all_rules()  # loads the rule families
    return set(REGISTRY)


def marks_of(path: Path) -> set[tuple[int, str]]:
    """Marks in a file, restricted to codes the registry knows."""
    codes = known_codes()
    text = path.read_text(encoding="utf-8")
    return {(line, code) for line, code in expected_marks(text) if code in codes}


def describe(missing: set, unexpected: set) -> str:
    parts = []
    if missing:
        parts.append("missing (marked, not reported): " + ", ".join(f"line {line} {c}" for line, c in sorted(missing)))
    if unexpected:
        parts.append("unexpected (reported, not marked): " + ", ".join(f"line {line} {c}" for line, c in sorted(unexpected)))
    return "; ".join(parts)


#: the hook as ``.pre-commit-hooks.yaml`` defines it, run offline from the installed package
LOCAL_HOOK = (
    "repos:\n  - repo: local\n    hooks:\n      - id: sentry-model-lint\n        name: sentry-model-lint\n"
    "        entry: sentry-model-lint check\n        language: system\n        types: [python]\n        require_serial: true\n"
)
GIT = ["git", "-c", "user.email=a@b.c", "-c", "user.name=t"]


def pre_commit_repo(repo: Path, home: Path) -> tuple[str, dict[str, str]] | None:
    """Make ``repo`` a git repository with the local hook; the pre-commit command and the
    environment to run it in (None when pre-commit is not installed)."""
    pre_commit = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    if not os.path.exists(pre_commit):
        return None
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    (repo / ".pre-commit-config.yaml").write_text(LOCAL_HOOK)
    return pre_commit, env
