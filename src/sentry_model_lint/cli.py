"""The command line: ``sentry-model-lint check PATH...``, ``rule CODE``, ``rules``.

Exit codes: 0 no findings, 1 findings (a file that cannot be parsed counts as one), 2 usage or
configuration error (bad option, missing path, broken ``pyproject.toml``), 3 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

from sentry_model_lint import __version__
from sentry_model_lint.config import Config, ConfigError, load_for_root, parse_codes
from sentry_model_lint.docs import render_rule, render_rule_table
from sentry_model_lint.engine import lint_file
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.paths import find_root
from sentry_model_lint.rules.base import get_rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

#: folders never walked into (explicitly named files are still checked)
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", ".eggs", ".sentry_model_lint_cache"}
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with our own prefix, never a traceback
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sentry-model-lint", description="Static checks for Sentry's Django models and migrations.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="lint files and folders")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", help="comma-separated codes or prefixes to enable (default: the default-on rules)")
    check.add_argument("--extend-select", help="codes or prefixes to enable on top of the selection")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--no-project", action="store_true", help="per-file rules only: no project index, no SML4xx")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the facts cache")
    rule = sub.add_parser("rule", help="print the documentation of a rule")
    rule.add_argument("code")
    sub.add_parser("rules", help="list every rule")
    return parser


def iter_python_files(path: str) -> Iterator[str]:
    if os.path.isfile(path) or not os.path.isdir(path):
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def _config_for(path: str, cache: dict[str | None, Config], overrides: dict[str, object]) -> Config:
    root = find_root(os.path.dirname(os.path.abspath(path)))
    config = cache.get(root)
    if config is None:
        config = load_for_root(root)
        cache[root] = config
    changes = {k: v for k, v in overrides.items() if v is not None}
    return config.with_options(**changes) if changes else config


def run_check(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {
        "select": parse_codes(args.select, "--select") if args.select else None,
        "extend_select": parse_codes(args.extend_select, "--extend-select") if args.extend_select else None,
        "ignore": parse_codes(args.ignore, "--ignore") if args.ignore else None,
        "project_index": False if args.no_project else None,
        "use_cache": False if args.no_cache else None,
    }
    configs: dict[str | None, Config] = {}
    findings = 0
    missing = False
    internal = False
    out = sys.stdout
    for given in args.paths:
        if not os.path.exists(given):
            print(f"sentry-model-lint: {given}: no such file or directory", file=sys.stderr)
            missing = True
            continue
        for path in iter_python_files(given):
            config = _config_for(path, configs, overrides)
            result = lint_file(path, config)
            if result.error is not None:
                err = result.error
                out.write(f"{path}:{err.line}:{err.col}: E999 {err.message}\n")
                findings += 1
                continue
            for message in result.internal_errors:
                print(f"sentry-model-lint: internal error, please report it: {message}", file=sys.stderr)
                internal = True
            for v in filter_violations(result.violations, result.source or ""):
                out.write(f"{path}:{v.line}:{v.col + 1}: {v.code} {v.message}\n")
                findings += 1
    reported = set()
    from sentry_model_lint.project import open_indexes

    for index in open_indexes():
        for path, message in sorted(index.broken.items()):
            if path not in reported:
                reported.add(path)
                print(f"sentry-model-lint: warning: {path}: {message} (project rules leave it out)", file=sys.stderr)
    if missing:
        return EXIT_USAGE
    if internal:
        return EXIT_INTERNAL
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            return run_check(args)
        if args.command == "rule":
            rule = get_rule(args.code)
            if rule is None:
                raise UsageError(f"unknown rule {args.code!r}; `sentry-model-lint rules` lists them")
            sys.stdout.write(render_rule(rule))
            return EXIT_CLEAN
        if args.command == "rules":
            sys.stdout.write(render_rule_table())
            return EXIT_CLEAN
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"sentry-model-lint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"sentry-model-lint: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
