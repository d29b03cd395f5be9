"""Shared helpers: the fixture files and the ``# expect:`` marks they carry."""

from __future__ import annotations

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
