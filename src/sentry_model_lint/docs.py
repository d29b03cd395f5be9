"""Rule documentation, rendered from the registry (``rule CODE``, ``rules``, docs/rules.md)."""

from __future__ import annotations

import difflib
from pathlib import Path

from sentry_model_lint.rules.base import Example, Fix, Rule, all_rules, strip_expect_marks


def _fix_line(rule: Rule) -> str:
    if rule.fix is Fix.NONE:
        return "Fix: none"
    kind = "safe, applied by --fix" if rule.fix is Fix.SAFE else "unsafe, applied only with --unsafe-fixes"
    return f"Fix: {rule.fix_title} ({kind})"


HISTORY_LINE = "Shipped migrations (squashed away, older than `since`, at or below `history-floor`) are left alone"


def _needs_line(rule: Rule) -> str:
    """What the rule needs from the checkout; it stays silent on a checkout that lacks it."""
    return "Needs: " + ", ".join(f"`{n}`" for n in rule.needs) + " (silent on a checkout without it)" if rule.needs else ""


def _fixed_example(rule: Rule) -> Example | None:
    return next((e for e in rule.example_items(valid=False) if e.fixed is not None), None)


def fix_diff(example: Example) -> str:
    """What the fix changes in an example, as a unified diff of the texts without marks."""
    before = strip_expect_marks(example.source).splitlines(keepends=True)
    after = strip_expect_marks(example.fixed or "").splitlines(keepends=True)
    lines = list(difflib.unified_diff(before, after, n=1))[2:]  # without the file header
    return "".join(lines)


def render_rule(rule: Rule) -> str:
    parts = [
        f"{rule.code} {rule.name}",
        "",
        rule.summary,
        "",
        f"Default: {'on' if rule.default_on else 'off (enable with --select ' + rule.code + ')'}",
        _fix_line(rule),
        *([_needs_line(rule)] if rule.needs else []),
        *([HISTORY_LINE] if rule.new_work_only else []),
        "",
        "Why",
        "  " + rule.why,
        "",
        "Use instead",
        "  " + rule.instead,
    ]
    if rule.notes:
        parts += ["", "Notes", "  " + rule.notes]
    if rule.fixture:
        parts += ["", f"Example repositories: fixtures/projects/{rule.fixture}/bad (reported) and .../clean (correct)"]
    invalid, valid = rule.examples(valid=False), rule.examples(valid=True)
    if invalid:
        parts += ["", f"Example (reported), in {invalid[0][0]}", _indent(strip_expect_marks(invalid[0][1]))]
    fixed = _fixed_example(rule)
    if fixed is not None:
        parts += ["After the fix (diff)", _indent(fix_diff(fixed))]
    if valid:
        parts += [f"Example (correct), in {valid[0][0]}", _indent(strip_expect_marks(valid[0][1]))]
    return "\n".join(parts).rstrip("\n") + "\n"


def _indent(code: str) -> str:
    return "".join(f"    {line}\n" if line.strip() else "\n" for line in code.splitlines())


def render_rule_table() -> str:
    rows = []
    for rule in all_rules():
        rows.append(f"{rule.code}  {rule.name:<34} {'on ' if rule.default_on else 'off'}  {rule.fix.value:<6}  {rule.summary}")
    header = f"{'code':<6}  {'name':<34} {'def':<3}  {'fix':<6}  summary"
    return "\n".join([header, *rows]) + "\n"


def render_markdown_table() -> str:
    """The rule table of the README (kept current by a test)."""
    rows = ["| code | name | default | what it reports |", "|---|---|---|---|"]
    for rule in all_rules():
        rows.append(f"| {rule.code} | {rule.name} | {'on' if rule.default_on else 'off'} | {rule.summary} |")
    return "\n".join(rows) + "\n"


def render_rules_markdown() -> str:
    """docs/rules.md: every rule's documentation (kept current by a test)."""
    out = [
        "# Rules",
        "",
        "Generated from the rule registry by `python -m sentry_model_lint.docs > docs/rules.md`;",
        "`sentry-model-lint rule CODE` prints the same text. Do not edit by hand.",
        "",
        render_markdown_table(),
    ]
    for rule in all_rules():
        out += [f"## {rule.code} `{rule.name}`", "", rule.summary, ""]
        out.append(f"- Default: {'on' if rule.default_on else 'off (enable with `--select ' + rule.code + '`)'}")
        out.append(f"- {_fix_line(rule)}")
        if rule.needs:
            out.append(f"- {_needs_line(rule)}")
        if rule.new_work_only:
            out.append(f"- {HISTORY_LINE}")
        out += ["", f"**Why.** {rule.why}", "", f"**Use instead.** {rule.instead}", ""]
        if rule.notes:
            out += [f"**Notes.** {rule.notes}", ""]
        if rule.fixture:
            out += [f"Example repositories: `fixtures/projects/{rule.fixture}/bad` (reported) and `.../clean`.", ""]
        for label, valid in (("Reported", False), ("Correct", True)):
            examples = rule.examples(valid=valid)
            if examples:
                path, source = examples[0]
                out += [f"{label} (`{path}`):", "", "```python", strip_expect_marks(source).rstrip("\n"), "```", ""]
            fixed = _fixed_example(rule)
            if not valid and fixed is not None:
                out += [
                    "After `--fix`" + ("" if rule.fix is Fix.SAFE else " `--unsafe-fixes`") + ":",
                    "",
                    "```diff",
                    fix_diff(fixed).rstrip("\n"),
                    "```",
                    "",
                ]
    return "\n".join(out).rstrip("\n") + "\n"


def write_docs(root: Path) -> list[Path]:
    """Regenerate docs/rules.md and the README's rule table under ``root``; returns what changed."""
    changed = []
    rules_md = root / "docs" / "rules.md"
    if rules_md.read_text(encoding="utf-8") != (text := render_rules_markdown()):
        rules_md.write_text(text, encoding="utf-8")
        changed.append(rules_md)
    readme = root / "README.md"
    old = readme.read_text(encoding="utf-8")
    start = old.index(TABLE_START) + len(TABLE_START)
    end = old.index(TABLE_END)
    new = old[:start] + render_markdown_table() + old[end:]
    if new != old:
        readme.write_text(new, encoding="utf-8")
        changed.append(readme)
    return changed


TABLE_START, TABLE_END = "<!-- rules:start -->\n", "<!-- rules:end -->"


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["--write"]:
        for path in write_docs(Path(__file__).resolve().parent.parent.parent):
            print(f"wrote {path}")
    else:
        sys.stdout.write(render_rules_markdown())
