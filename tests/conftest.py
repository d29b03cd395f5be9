from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def bare_project(tmp_path: Path) -> Path:
    """A project root with an empty ``src/sentry/models`` folder."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "src" / "sentry" / "models").mkdir(parents=True)
    return tmp_path
