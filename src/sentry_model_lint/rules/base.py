"""The rule framework: the Rule class, the registry, the per-file context and violations.

Each rule is a small class that carries its code, a kebab-case name, its message, whether it is
on by default, its documentation and its own examples (snippets that must stay silent and
snippets that must fire, marked with ``# expect: CODE``). The examples feed ``rule CODE`` and a
test that runs every rule over them.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from sentry_model_lint.config import Config
    from sentry_model_lint.facts import ModuleFacts
    from sentry_model_lint.hierarchy import Hierarchy
    from sentry_model_lint.project import ProjectIndex


class Family(str, enum.Enum):
    MODEL = "model"  # SML1xx
    MIGRATION = "migration"  # SML2xx
    MIGRATION_TEST = "migration-test"  # SML3xx
    PROJECT = "project"  # SML4xx


class Fix(str, enum.Enum):
    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Violation:
    line: int
    col: int  # 0-based, as flake8 plugins report it
    code: str
    message: str  # without the code
    symbol: str = ""  # stable identity for baselines: "Model", "Model.field", "Model.Meta.x"
    path: str = field(default="", compare=False)

    def text(self) -> str:
        return f"{self.code} {self.message}"


@dataclass
class Context:
    """Everything a per-file rule may read."""

    facts: ModuleFacts
    config: Config
    hierarchy: Hierarchy
    project: ProjectIndex | None = None  # None when project rules are off or undecidable


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]  # a format string; a rule's report() fills it
    family: ClassVar[Family]
    default_on: ClassVar[bool] = True
    fix: ClassVar[Fix] = Fix.NONE
    fix_title: ClassVar[str] = ""  # what the fix does, when there is one
    summary: ClassVar[str]  # one line, for tables
    why: ClassVar[str]  # the reason, a paragraph
    instead: ClassVar[str]  # what to write instead
    notes: ClassVar[str] = ""  # limits, traps, what the rule does not look at
    #: complete modules that must raise no finding of this rule; an item may also be a
    #: ``(path, source)`` pair when the path matters
    valid: ClassVar[tuple[str | tuple[str, str], ...]] = ()
    #: complete modules whose findings are marked with ``# expect: CODE`` (same forms)
    invalid: ClassVar[tuple[str | tuple[str, str], ...]] = ()
    #: path the examples are linted as (relative to a throwaway project root)
    example_path: ClassVar[str] = "src/sentry/models/example.py"

    def examples(self, valid: bool) -> list[tuple[str, str]]:
        """``(path, source)`` of the valid or invalid examples."""
        items = self.valid if valid else self.invalid
        return [item if isinstance(item, tuple) else (self.example_path, item) for item in items]

    def check(self, ctx: Context) -> Iterator[Violation]:
        raise NotImplementedError

    def report(self, line: int, col: int, symbol: str = "", **fmt: object) -> Violation:
        return Violation(line, col, self.code, self.message.format(**fmt), symbol)


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    code = cls.code
    if not re.fullmatch(r"SML\d{3}", code):
        raise ValueError(f"bad rule code {code!r}")
    if code in REGISTRY:
        raise ValueError(f"duplicate rule code {code}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name):
        raise ValueError(f"rule name must be kebab-case: {cls.name!r}")
    REGISTRY[code] = cls
    return cls


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of every registered rule, ordered by code."""
    import importlib

    from sentry_model_lint.rules import FAMILIES

    for family in FAMILIES:
        importlib.import_module(f"sentry_model_lint.rules.{family}")  # registers its rules

    return tuple(REGISTRY[code]() for code in sorted(REGISTRY))


def get_rule(code: str) -> Rule | None:
    for rule in all_rules():
        if rule.code == code.upper():
            return rule
    return None


EXPECT_RE = re.compile(r"#\s*expect:\s*(SML\d{3}(?:\s*,\s*SML\d{3})*)")


def strip_expect_marks(source: str) -> str:
    """An example without its ``# expect:`` marks, as the docs show it."""
    lines = []
    for line in source.splitlines():
        match = EXPECT_RE.search(line)
        if match:
            line = line[: match.start()].rstrip()
        lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"


def expected_marks(source: str) -> set[tuple[int, str]]:
    """``(line, code)`` pairs marked in a source text."""
    marks = set()
    for number, line in enumerate(source.split("\n"), start=1):
        match = EXPECT_RE.search(line)
        if match:
            for code in match.group(1).split(","):
                marks.add((number, code.strip()))
    return marks
