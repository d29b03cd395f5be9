"""The rule framework: the Rule class, the registry, the per-file context and violations.

Each rule is a small class that carries its code, a kebab-case name, its message, whether it is
on by default, its documentation, its fix (how safe it is, and ``plan_fix``, which answers a
finding with plain-data edits) and its own examples: modules that must stay silent, and modules
that must fire, marked with ``# expect: CODE``, with the text the fix leaves where there is a
fix. The examples feed ``rule CODE`` and one test that runs every rule over them, fix included.

Defining a subclass with a ``code`` registers it; the family comes from the family's base class
(``ModelRule``, ``MigrationRule``, ``MigrationTestRule``, ``ProjectRule``).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from sentry_model_lint.capabilities import TODAY, Capabilities

if TYPE_CHECKING:
    from sentry_model_lint.config import Config
    from sentry_model_lint.facts import ModuleFacts
    from sentry_model_lint.fixes.edits import Edit
    from sentry_model_lint.fixes.view import FixView
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


@dataclass(frozen=True)
class Example:
    """One example module of a rule.

    ``source`` is a whole module, its findings marked with ``# expect: CODE``; it is linted as
    ``path`` (the rule's ``example_path`` when empty). For an invalid example of a rule with a fix,
    ``fixed`` is the text ``check --fix --unsafe-fixes`` leaves, written without the marks (None
    when the example shows no fix: it must then stay unchanged).
    """

    source: str
    path: str = ""
    fixed: str | None = None


@dataclass
class Context:
    """Everything a per-file rule may read."""

    facts: ModuleFacts
    config: Config
    hierarchy: Hierarchy
    project: ProjectIndex | None = None  # None when project rules are off or undecidable
    #: what the checkout provides (today's Sentry when there is no checkout to read)
    capabilities: Capabilities = TODAY


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]  # a format string; a rule's report() fills it
    family: ClassVar[Family]  # set by the family's base class
    default_on: ClassVar[bool] = True
    fix: ClassVar[Fix] = Fix.NONE  # how safe ``plan_fix`` is
    fix_title: ClassVar[str] = ""  # what the fix does, when there is one
    summary: ClassVar[str]  # one line, for tables
    why: ClassVar[str]  # the reason, a paragraph
    instead: ClassVar[str]  # what to write instead
    notes: ClassVar[str] = ""  # limits, traps, what the rule does not look at
    #: modules that must raise no finding of this rule (a string is linted at ``example_path``)
    valid: ClassVar[tuple[str | Example, ...]] = ()
    #: modules whose findings are marked with ``# expect: CODE``, with their fixed text
    invalid: ClassVar[tuple[str | Example, ...]] = ()
    #: path the examples are linted as (relative to a throwaway project root)
    example_path: ClassVar[str] = "src/sentry/models/example.py"
    #: project rules: the folder under ``fixtures/projects/`` whose bad/clean repositories show it
    fixture: ClassVar[str] = ""
    #: what the rule's advice and fix need from the checkout (see ``Capabilities.satisfies``):
    #: the rule stays silent on a checkout that lacks one
    needs: ClassVar[tuple[str, ...]] = ()
    #: the rule judges a migration itself, so it leaves shipped ones (squashed away, older than
    #: ``since``, at or below ``history-floor``) alone: every SML2xx rule, and SML407
    new_work_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in vars(cls):
            _register(cls)

    def example_items(self, valid: bool) -> list[Example]:
        """The valid or invalid examples, each with its path."""
        items = self.valid if valid else self.invalid
        out = []
        for item in items:
            example = item if isinstance(item, Example) else Example(item)
            out.append(example if example.path else Example(example.source, self.example_path, example.fixed))
        return out

    def examples(self, valid: bool) -> list[tuple[str, str]]:
        """``(path, source)`` of the valid or invalid examples."""
        return [(e.path, e.source) for e in self.example_items(valid)]

    def check(self, ctx: Context) -> Iterator[Violation]:
        raise NotImplementedError

    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        """The edits that fix ``violation``, [] when an earlier finding's edits already did, or
        None when the code there does not have exactly the shape the fix expects."""
        return None

    def report(self, line: int, col: int, symbol: str = "", **fmt: object) -> Violation:
        return Violation(line, col, self.code, self.message.format(**fmt), symbol)


REGISTRY: dict[str, type[Rule]] = {}


def _register(cls: type[Rule]) -> None:
    code = cls.code
    if not re.fullmatch(r"SML\d{3}", code):
        raise ValueError(f"bad rule code {code!r}")
    if code in REGISTRY:
        raise ValueError(f"duplicate rule code {code}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name):
        raise ValueError(f"rule name must be kebab-case: {cls.name!r}")
    if not isinstance(getattr(cls, "family", None), Family):
        raise ValueError(f"{code} must derive from its family's base class")
    REGISTRY[code] = cls


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of every registered rule, ordered by code."""
    import importlib

    from sentry_model_lint.rules import FAMILIES

    for family in FAMILIES:
        importlib.import_module(f"sentry_model_lint.rules.{family}")  # registers its rules

    return tuple(REGISTRY[code]() for code in sorted(REGISTRY))


def get_rule(code: str) -> Rule | None:
    return _by_code().get(code.upper())


@functools.cache
def _by_code() -> dict[str, Rule]:
    return {rule.code: rule for rule in all_rules()}


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
