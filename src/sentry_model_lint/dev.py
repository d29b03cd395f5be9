"""Tools for the linter's own contributors.

``python -m sentry_model_lint.dev new-rule SML139 my-rule-name [--fix safe|unsafe]`` writes the
skeleton of a new rule where its family keeps its rules, a fixture file marked with
``# expect:`` (a repository pair under ``fixtures/projects/`` for SML4xx), and a CHANGELOG line;
then it prints what to fill in. The skeleton fails the test suite on purpose until its examples,
fixture and ``check`` are written. CONTRIBUTING.md walks through a whole rule.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sentry_model_lint.rules.base import REGISTRY, all_rules

REPO = Path(__file__).resolve().parent.parent.parent
CODE = re.compile(r"SML([1-4])\d\d")
NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Family:
    base: str  # the family's base class
    rules: str  # where the rule goes, relative to src/sentry_model_lint/rules; {slug} is filled
    new_module: bool  # a module of its own (models, migrations) or appended to the family module
    header: str  # the imports of a new module


FAMILIES = {
    "1": Family(
        "ModelRule",
        "models/{slug}.py",
        True,
        "from sentry_model_lint.rules.base import Context, Example, Fix, Violation\n"
        "from sentry_model_lint.rules.models.common import ModelRule, example\n",
    ),
    "2": Family(
        "MigrationRule",
        "migrations/{slug}.py",
        True,
        "from sentry_model_lint.migration_facts import MigrationFact\n"
        "from sentry_model_lint.rules.base import Context, Example, Fix, Violation\n"
        "from sentry_model_lint.rules.migrations.common import MigrationRule, example\n",
    ),
    "3": Family("MigrationTestRule", "migration_tests.py", False, ""),
    "4": Family("ProjectRule", "project.py", False, ""),
}

CHECKS = {
    "ModelRule": """    def check(self, ctx: Context) -> Iterator[Violation]:
        # read facts only: for info in ctx.hierarchy.models(): info.cls.fields, info.cls.attrs, ...
        # and report with self.report(line, col, model_symbol(info.cls), **message_fields)
        raise NotImplementedError("{code}")
""",
    "MigrationRule": """    def check_migration(self, ctx: Context, migration: MigrationFact) -> Iterator[Violation]:
        # read facts only: for op in migration.operations: op.ref, op.arg(...), op.call ...
        # and report with self.at_op(ctx, op, **message_fields)
        raise NotImplementedError("{code}")
""",
    "MigrationTestRule": """    def check(self, ctx: Context) -> Iterator[Violation]:
        # read facts only: for test in migration_tests(ctx.facts): ...
        # and report with self.report_class(test.cls, **message_fields)
        raise NotImplementedError("{code}")
""",
    "ProjectRule": """    def check_project(self, ctx: Context, project: ProjectIndex) -> Iterator[Violation]:
        raise NotImplementedError("{code}: read the project index, report on this file")
""",
}

FIX = '''
    def plan_fix(self, view: FixView, violation: Violation) -> list[Edit] | None:
        """Find the node (view.find / view.outer_expression), check its exact shape, return edits
        from sentry_model_lint.fixes.edits; None leaves the finding to a human."""
        raise NotImplementedError("{code}: plan the fix")
'''

FIXTURES = {
    "1": "fixtures/rules/models/{slug}.py",
    "2": "fixtures/rules/src/sentry/migrations/{number}_{slug}.py",
    "3": "fixtures/rules/tests/sentry/migrations/test_{number}_{slug}.py",
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def rule_stub(code: str, name: str, fix: str) -> str:
    family = FAMILIES[code[3]]
    fixable = fix != "none"
    lines = [
        f"class {_camel(name)}({family.base}):",
        f'    code = "{code}"',
        f'    name = "{name}"',
    ]
    if fixable:
        lines += [f"    fix = Fix.{fix.upper()}", '    fix_title = "TODO: what the fix does"']
    lines += [
        '    message = "TODO: what is wrong: what to write instead"',
        '    summary = "TODO: one line for the rule table."',
        '    why = "TODO: the reason, from Sentry\'s conventions or its runtime checks."',
        '    instead = "TODO: what to write instead."',
    ]
    if code[3] == "4":
        lines.append(f'    fixture = "{code.lower()}_{name.replace("-", "_")}"')
    else:
        invalid = 'example("""\nTODO: a module that fires, each finding marked  # expect: ' + code + '\n""")'
        if fixable:
            invalid = (
                f'Example(\n            {invalid},\n            fixed="""\\\nTODO: the module after the fix\n""",\n        )'
            )
        lines += [
            '    valid = (example("""\nTODO: the Sentry idiom, which must stay silent\n"""),)',
            f"    invalid = ({invalid},)",
        ]
    text = "\n".join(lines) + "\n\n" + CHECKS[family.base].format(code=code)
    if fixable:
        text += FIX.format(code=code)
    return text


def _next_number(folder: Path) -> str:
    numbers = [int(m.group(1)) for p in folder.glob("*.py") if (m := re.match(r"(?:test_)?(\d{4})_", p.name))]
    return f"{max(numbers, default=2000) + 1:04d}"


def fixture_stub(code: str, name: str) -> str:
    return (
        f'"""{code} {name}: TODO what this fixture shows."""\n\n'
        "# --- positive cases: each finding marked on its line --------------------------\n\n"
        f"# TODO  # expect: {code}\n\n"
        "# --- negative cases: the Sentry idioms that must stay silent -------------------\n"
    )


def new_rule(root: Path, code: str, name: str, fix: str = "none") -> list[Path]:
    """Write the skeleton of a new rule under ``root`` (a checkout of this project); returns the
    files written or changed."""
    if not CODE.fullmatch(code):
        raise ValueError(f"{code!r} is not a code of the catalogue's families (SML1xx to SML4xx)")
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a kebab-case name")
    all_rules()
    if code in REGISTRY:
        raise ValueError(f"{code} exists already: {REGISTRY[code].__name__}")
    family = FAMILIES[code[3]]
    slug = f"{code.lower()}_{name.replace('-', '_')}"
    written: list[Path] = []

    target = root / "src" / "sentry_model_lint" / "rules" / family.rules.format(slug=slug.split("_", 1)[1])
    stub = rule_stub(code, name, fix)
    if family.new_module:
        if target.exists():
            raise ValueError(f"{target} exists already")
        typing = ["from collections.abc import Iterator", ""]
        if fix != "none":
            typing = ["from collections.abc import Iterator", "from typing import TYPE_CHECKING", ""]
        guard = ""
        if fix != "none":
            guard = (
                "\nif TYPE_CHECKING:\n    from sentry_model_lint.fixes.edits import Edit\n"
                "    from sentry_model_lint.fixes.view import FixView\n"
            )
        text = f'"""{code}: TODO one line on what this module checks."""\n\nfrom __future__ import annotations\n\n'
        text += "\n".join(typing) + "\n" + family.header + guard + "\n\n" + stub
    else:
        text = target.read_text(encoding="utf-8").rstrip("\n") + "\n\n\n" + stub
    target.write_text(text, encoding="utf-8")
    written.append(target)

    if code[3] == "4":
        for side in ("bad", "clean"):
            folder = root / "fixtures" / "projects" / slug / side
            folder.mkdir(parents=True, exist_ok=True)
            readme = folder / "pyproject.toml"
            readme.write_text(
                f"# {code} {name}: the {side} repository (TODO: its files)\n[tool.sentry-model-lint]\n", encoding="utf-8"
            )
            written.append(readme)
    else:
        folder = (root / FIXTURES[code[3]].format(number="0000", slug=slug)).parent
        number = _next_number(folder)
        fixture = root / FIXTURES[code[3]].format(number=number, slug=slug)
        fixture.write_text(fixture_stub(code, name), encoding="utf-8")
        written.append(fixture)

    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    marker = "## [Unreleased]\n"
    if marker in text:
        entry = f"\n### Added\n- {code} `{name}`: TODO one line for users.\n"
        text = text.replace(marker, marker + entry, 1)
        changelog.write_text(text, encoding="utf-8")
        written.append(changelog)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentry_model_lint.dev", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new-rule", help="write the skeleton of a new rule, its fixture and a CHANGELOG line")
    new.add_argument("code", help="SMLnnn, from the catalogue")
    new.add_argument("name", help="kebab-case name")
    new.add_argument("--fix", choices=("none", "safe", "unsafe"), default="none", help="the rule has a fix of this safety")
    new.add_argument("--root", type=Path, default=REPO, help="the checkout of this project to write into")
    args = parser.parse_args(argv)
    try:
        written = new_rule(args.root, args.code.upper(), args.name, args.fix)
    except (ValueError, OSError) as exc:
        print(f"new-rule: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(
        "next: fill in the TODOs (message, docs, examples with their fixed text, check, plan_fix), mark the "
        "fixture's findings with `# expect:`, then regenerate the docs: "
        "python -m sentry_model_lint.docs --write (README table and docs/rules.md); see CONTRIBUTING.md"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
