from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def repo_root() -> Path:
    return REPO


#: property tests that found defects not fixed yet (non-strict, so a fix turns them green)
KNOWN_DEFECTS = {
    "test_fix_is_sound[SML104]": "a class that assigns the same legacy flag twice: the fixer rewrites the first "
    "assignment while the rule reports the last, so one finding survives the fix",
    "test_all_fixes_together_are_sound": "same defect as SML104 above, met when every fix runs on one module",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = KNOWN_DEFECTS.get(item.name)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))
