"""The command line: ``check``, ``baseline``, ``rule CODE``, ``rules``.

Exit codes: 0 no findings, 1 findings (a file that cannot be parsed counts as one, and so do
pending fixes under ``--diff``; a file ``--fix`` cannot write gives 1 even with
``--exit-zero``), 2 usage or configuration error (bad option, missing path,
broken ``pyproject.toml`` or baseline, a ``since`` ref git cannot resolve), 3 internal error (a
bug in a rule).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn, TextIO

from sentry_model_lint import __version__
from sentry_model_lint.baseline import DEFAULT_NAME, Baseline, Key, baseline_location, key_of
from sentry_model_lint.cache import file_stamp
from sentry_model_lint.capabilities import forget as forget_capabilities
from sentry_model_lint.config import Config, ConfigError, load_for_root, parse_codes
from sentry_model_lint.discover import Walker, exclusion_spec
from sentry_model_lint.files import write_atomically
from sentry_model_lint.history import HistoryError, git_folder, new_work
from sentry_model_lint.noqa import filter_violations
from sentry_model_lint.paths import FileKind, classify, find_root, forget_scans
from sentry_model_lint.reporters import (
    FORMATS,
    SYNTAX_ERROR,
    Finding,
    escape_controls,
    fix_summary,
    statistics,
    write,
    write_with_statistics,
)
from sentry_model_lint.rules.base import REGISTRY, Fix, Violation, all_rules, get_rule
from sentry_model_lint.source import FileResult, SourceError, decode, encoding_of, physical_lines, read_source
from sentry_model_lint.workspace import Workspace, workspace_for
from sentry_model_lint.workspace import flush_all as flush_workspaces
from sentry_model_lint.workspace import forget as forget_workspaces

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
#: a run over more files than this replays each app whole (see Run.file_count)
RESUME_LIMIT = 50


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with our own prefix, never a traceback
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    parser.add_argument("--select", help="codes or prefixes to enable, comma-separated (default: the default-on rules)")
    parser.add_argument("--extend-select", help="codes or prefixes to enable on top of the selection")
    parser.add_argument("--ignore", help="codes or prefixes to disable (replaces the configured `ignore`)")
    parser.add_argument("--extend-ignore", help="codes or prefixes to disable on top of the configured ones")
    parser.add_argument("--no-project", action="store_true", help="per-file rules only: no project index, no SML4xx")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the facts cache")
    parser.add_argument(
        "--since",
        metavar="REF",
        help="migrations added since the merge-base of HEAD and this git ref are new work; the per-file "
        "migration rules (SML2xx) leave the older ones alone (default: the configured `since`)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sentry-model-lint", description="Static checks for Sentry's Django models and migrations.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="lint files and folders")
    _selection_options(check)
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    check.add_argument(
        "--statistics",
        action="store_true",
        help="count the findings of each code (text: lines after the findings; json: one document with both)",
    )
    check.add_argument("--output-file", metavar="FILE", help="write the report to this file instead of standard output")
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text report (auto: on a terminal, unless NO_COLOR is set)",
    )
    check.add_argument("--show-fixes", action="store_true", help="with --fix, list what was fixed, per file and code")
    check.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes for a run that finds little in the cache (default: the CPUs, up to 4; 1: one process)",
    )
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    check.add_argument("--diff", action="store_true", help="print the fixes as a diff instead of writing them")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix/--diff, also apply unsafe fixes")
    check.add_argument(
        "--baseline",
        metavar="FILE",
        help=f"suppress the findings recorded in this baseline file (default: the configured one, else {DEFAULT_NAME} at the project root)",
    )
    check.add_argument("--no-baseline", action="store_true", help="apply no baseline: report every finding")
    check.add_argument(
        "--show-stale-baseline", action="store_true", help="report baseline entries that no longer match a finding"
    )
    check.add_argument("--quiet", action="store_true", help="no progress or summary on a terminal")
    base = sub.add_parser("baseline", help="record today's findings so that only new ones are reported")
    _selection_options(base)
    base.add_argument(
        "--output",
        metavar="FILE",
        help=f"where to write it (default: the configured baseline, else {DEFAULT_NAME} at the project root)",
    )
    growth = base.add_mutually_exclusive_group()
    growth.add_argument(
        "--update", action="store_true", help="record the findings as they are now: add new ones, drop those that are gone"
    )
    growth.add_argument("--prune", action="store_true", help="drop entries whose finding is gone; never add one")
    base.add_argument("--quiet", action="store_true", help="no progress on a terminal")
    rule = sub.add_parser("rule", help="print the documentation of a rule")
    rule.add_argument("code")
    sub.add_parser("rules", help="list every rule")
    info = sub.add_parser("info", help="print what the linter believes about the repository (root, apps, capabilities, history)")
    _selection_options(info)
    info.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


@dataclass
class Run:
    """State of one ``check`` or ``baseline`` run."""

    overrides: dict[str, object]
    configs: dict[str | None, Config] = field(default_factory=dict)
    walkers: dict[str | None, Walker] = field(default_factory=dict)
    internal: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # folders, with the reason

    def config_for(self, root: str | None) -> Config:
        config = self.configs.get(root)
        if config is None:
            config = load_for_root(root)
            changes = {k: v for k, v in self.overrides.items() if v is not None}
            if "extend_ignore" in changes:  # on top of the configured ones
                changes["extend_ignore"] = (*config.extend_ignore, *changes["extend_ignore"])  # type: ignore[misc]
            if changes:
                config = config.with_options(**changes)
            self.configs[root] = config
        return config

    baseline_path: str | None = None  # check --baseline
    #: how many files the run lints: a few (pre-commit passes the changed ones) may start an
    #: app's replay from its checkpoint; many lint every migration, which replays whole anyway
    file_count: int = 0

    workspaces: dict[str | None, Workspace] = field(default_factory=dict)

    def workspace_for(self, root: str | None) -> Workspace:
        """The root's workspace: its results cache, baseline and index (see :mod:`workspace`)."""
        workspace = self.workspaces.get(root)
        if workspace is None:
            workspace = workspace_for(root, self.config_for(root), "check", baseline_path=self.baseline_path)
            if self.file_count > RESUME_LIMIT and workspace.index is not None:
                workspace.index.resume_histories = False
            self.workspaces[root] = workspace
        return workspace

    def resolve_since(self, root: str | None, path: str, config: Config) -> None:
        """Ask git which migrations are new work under ``since``, before the root's first file is
        linted (once per root and ref): a ref git cannot resolve stops the run with exit 2."""
        if config.since:
            new_work(git_folder(root, path), config.since)

    def walker_for(self, root: str | None) -> Walker:
        walker = self.walkers.get(root)
        if walker is None:
            config = self.config_for(root)
            walker = Walker(root, exclusion_spec(config.exclude, config.extend_exclude))
            self.walkers[root] = walker
        return walker

    def files(self, given: str) -> list[str]:
        start = given if os.path.isdir(given) else os.path.dirname(os.path.abspath(given))
        root = find_root(os.path.abspath(start))
        walker = self.walker_for(root)
        found = list(walker.files(given))
        self.unreadable.extend(walker.unreadable)
        walker.unreadable.clear()
        return found


def _selection(value: str | None, option: str) -> tuple[str, ...] | None:
    """The codes or prefixes an option names; each must select at least one rule."""
    if not value:
        return None
    codes = parse_codes(value, option)
    all_rules()
    for code in codes:
        if not any(known.startswith(code) for known in REGISTRY):
            raise UsageError(f"{option}: {code} matches no rule; `sentry-model-lint rules` lists them")
    return codes


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    return {
        "select": _selection(args.select, "--select"),
        "extend_select": _selection(args.extend_select, "--extend-select"),
        "ignore": _selection(args.ignore, "--ignore"),
        "extend_ignore": _extended(args, "extend_ignore"),
        "project_index": False if args.no_project else None,
        "use_cache": False if args.no_cache else None,
        "since": _since(args.since),
    }


def _extended(args: argparse.Namespace, name: str) -> tuple[str, ...] | None:
    """A ``--extend-*`` option: None when not given (the configured value stays)."""
    return _selection(getattr(args, name, None), "--" + name.replace("_", "-"))


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or value.startswith("-"):
        raise UsageError(f'--since: {value!r} is not a git ref; give a branch, tag or commit, like "origin/master"')
    return value.strip()


def relpath_for(path: str, root: str | None, abspath: str | None = None) -> str:
    abspath = abspath or os.path.abspath(path)
    if root is None:
        return abspath.replace(os.sep, "/")
    if abspath.startswith(root + os.sep):
        return abspath[len(root) + 1 :].replace(os.sep, "/")
    return os.path.relpath(abspath, root).replace(os.sep, "/")


def reported(result: FileResult, config: Config, root: str | None, rel: str | None = None) -> list[Violation]:
    """Findings after ``# noqa`` and ``per-file-ignores``."""
    violations = filter_violations(result.violations, result.source or "")
    ignored = config.ignored_in(rel if rel is not None else relpath_for(result.path, root)) if config.per_file_ignores else ()
    if ignored:
        violations = [v for v in violations if not v.code.startswith(ignored)]
    return violations


class Progress:
    """A one-line progress indicator and summary on stderr, only when it is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.enabled and total > 20 and now - self.last > 0.1:
            self.last = now
            sys.stderr.write(f"\rchecking {done}/{total} files")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.last = 0.0

    def finish(self, files: int, findings: int, fixed: int, took: float) -> None:
        if not self.enabled:
            return
        fixed_text = f", {fixed} fixed" if fixed else ""
        sys.stderr.write(f"\r\033[Kchecked {files} files in {took:.2f}s: {findings} findings{fixed_text}\n")


def _fixable(violation: Violation, unsafe: bool) -> bool:
    rule = get_rule(violation.code)
    return rule is not None and (rule.fix is Fix.SAFE or (unsafe and rule.fix is Fix.UNSAFE))


def _fix(
    path: str, result: FileResult, violations: list[Violation], args: argparse.Namespace, config: Config
) -> tuple[FileResult, list[Violation], str | None, bool]:
    """Apply (or, with --diff, show) the fixes; returns the result to report, the number of
    findings fixed, the diff, and whether the fixed file could not be written (said on stderr)."""
    candidates = [v for v in violations if _fixable(v, args.unsafe_fixes)]
    if not candidates or result.source is None:
        return result, [], None, False
    from sentry_model_lint.engine import capabilities_for
    from sentry_model_lint.fixes import apply_fixes
    from sentry_model_lint.paths import classify

    capabilities = capabilities_for(classify(path, find_root(os.path.dirname(os.path.abspath(path)))), config)
    outcome = apply_fixes(result.source, candidates, unsafe=args.unsafe_fixes, capabilities=capabilities)
    if outcome.refused is not None:
        print(f"{escape_controls(path)}: cannot fix: {outcome.refused}", file=sys.stderr)
        return result, [], None, True
    if outcome.source == result.source:
        return result, [], None, False
    if args.diff:
        before, after = result.source.splitlines(keepends=True), outcome.source.splitlines(keepends=True)
        name = escape_controls(path.lstrip("/"))
        return result, [], "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")), False
    problem = _write_fixed(path, result.source, outcome.source)
    if problem is not None:
        print(f"{escape_controls(path)}: cannot fix: {problem}", file=sys.stderr)
        return result, [], None, True
    # what is reported comes from a second pass over every file (see run_check)
    return result, list(outcome.fixed), None, False


def _fix_target(path: str) -> tuple[str | None, str | None]:
    """The file ``--fix`` writes for ``path``: a symbolic link is written through to its target,
    which must lie in the link's project root (its folder when there is none)."""
    if not os.path.islink(path):
        return path, None
    target = os.path.realpath(path)
    link_folder = os.path.dirname(os.path.abspath(path))
    root = os.path.realpath(find_root(link_folder) or link_folder)
    if os.path.commonpath([root, target]) != root:
        return None, "symbolic link to a file outside the project root"
    return target, None


def _read_only(target: str, st: os.stat_result) -> bool:
    folder = os.path.dirname(os.path.abspath(target))
    try:
        folder_mode = os.stat(folder).st_mode
    except OSError:
        return True
    # the permission bits, not os.access alone: root may write anywhere, but a 0444 file is
    # meant to stay as it is
    if not st.st_mode & 0o222 or not folder_mode & 0o222:
        return True
    return not (os.access(target, os.W_OK) and os.access(folder, os.W_OK))


def _write_fixed(path: str, before: str, after: str) -> str | None:
    """Write the fixed text ``after`` over ``path`` (which read as ``before``), in the file's own
    encoding (BOM, PEP 263 cookie; line ends are kept by the fixes). Returns why it was not
    written, or None."""
    target, problem = _fix_target(path)
    if target is None:
        return problem
    try:
        st = os.stat(target)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        with open(target, "rb") as fh:
            data = fh.read()
        encoding = encoding_of(data)
        if decode(data, path) != before:
            return "the file changed while it was checked"
        try:
            new_data = after.encode(encoding)
        except UnicodeEncodeError:
            return f"the fixed text cannot be encoded in the file's encoding ({encoding})"
        if encoding_of(new_data) != encoding or decode(new_data, path) != after:
            return "the fix would change how the file's encoding is declared"
    except SourceError as exc:
        return exc.message
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if _read_only(target, st):
        return "read-only"
    try:
        if st.st_nlink > 1:
            # a hard link: write in place so that every name of the file sees the fix (a
            # rename would leave the other names with the old text)
            with open(target, "r+b") as fh:
                fh.write(new_data)
                fh.truncate()
        else:
            write_atomically(target, new_data, keep_mode=True, prefix=".sml-")
    except PermissionError:
        return "read-only"
    except OSError as exc:
        if exc.errno == errno.EROFS:
            return "read-only"
        return f"cannot write: {exc.strerror or exc}"
    return None


def _gather(run: Run, given_paths: Sequence[str]) -> tuple[list[str], bool]:
    """The files to lint under the paths given, each once however many given paths reach it
    (``src src/sentry/models``), and whether one of those paths does not exist (said on stderr)."""
    paths: list[str] = []
    seen: set[str] = set()
    missing = False
    for given in given_paths:
        if not os.path.exists(given):
            print(f"sentry-model-lint: {escape_controls(given)}: no such file or directory", file=sys.stderr)
            missing = True
            continue
        for path in run.files(given):
            absolute = os.path.abspath(path)
            if absolute not in seen:
                seen.add(absolute)
                paths.append(path)
    return paths, missing


@dataclass
class _Pass:
    """What one pass over the files found."""

    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0  # findings fixed
    fixed_codes: list[tuple[str, str]] = field(default_factory=list)  # (path, code) of each
    written: int = 0  # files rewritten by --fix
    unfixable: int = 0  # files --fix could not write
    diffs: list[str] = field(default_factory=list)
    baselines: dict[str, Baseline] = field(default_factory=dict)
    checked: dict[str, set[str]] = field(default_factory=dict)
    roots: dict[str, str | None] = field(default_factory=dict)  # baseline path -> its project root


def _check_files(
    run: Run,
    all_files: list[tuple[str, str, str | None]],
    args: argparse.Namespace,
    fixing: bool,
    stream: Callable[[list[Finding]], None] | None = None,
) -> _Pass:
    """One pass over the files. ``stream``: called with each file's findings as soon as the file
    is done (the progress line cleared first), so a long run shows them as it goes."""
    done = _Pass()
    progress = Progress(not args.quiet)
    for number, (path, absolute, root) in enumerate(all_files, start=1):
        progress.update(number, len(all_files))
        config = run.config_for(root)
        run.resolve_since(root, path, config)
        rel = relpath_for(path, root, absolute)
        result = _lint_cached(run, path, rel, root, config, use_cached=not fixing)
        if result.error is not None:
            err = result.error
            broken = Finding(path, err.line, err.col, SYNTAX_ERROR, err.message, root=root)
            done.findings.append(broken)
            if stream is not None:
                progress.clear()
                stream([broken])
            continue
        run.internal.extend(result.internal_errors)
        violations = reported(result, config, root, rel)
        baseline = run.workspace_for(root).baseline
        if baseline is not None:
            done.baselines.setdefault(baseline.path, baseline)
            done.checked.setdefault(baseline.path, set()).add(rel)
            done.roots.setdefault(baseline.path, root)
            violations = [v for v in violations if not baseline.suppresses(key_of(rel, v))]
        if fixing and violations:
            # only what is reported is fixed: never a finding the baseline, a noqa comment or
            # the selection hides from the user
            result, fixed, diff, failed = _fix(path, result, violations, args, config)
            done.unfixable += failed
            done.fixed += len(fixed)
            done.written += bool(fixed)
            done.fixed_codes.extend((path, v.code) for v in fixed)
            if diff:
                done.diffs.append(diff)
        found = [Finding(path, v.line, v.col + 1, v.code, v.message, v.symbol, root) for v in violations]
        done.findings.extend(found)
        if stream is not None and found:
            progress.clear()
            stream(found)
    progress.clear()
    return done


def run_check(args: argparse.Namespace) -> int:
    _reset_indexes()
    _REMOTE_BROKEN.clear()
    _REMOTE_WARNINGS.clear()
    run = Run(_overrides(args), baseline_path="" if args.no_baseline else args.baseline)
    started = time.monotonic()
    paths, missing = _gather(run, args.paths)
    all_files: list[tuple[str, str, str | None]] = []
    for path in paths:
        absolute = os.path.abspath(path)
        all_files.append((path, absolute, find_root(os.path.dirname(absolute))))
    run.file_count = len(all_files)
    if not all_files and not missing and not run.unreadable:
        print("sentry-model-lint: warning: no Python files found under the given paths", file=sys.stderr)
    out: TextIO = sys.stdout
    if args.output_file:
        try:
            out = open(args.output_file, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"--output-file: cannot write {args.output_file}: {exc.strerror or exc}") from None
    try:
        first, findings, stale = _run_passes(run, all_files, args, out)
    finally:
        if out is not sys.stdout:
            out.close()
    progress = Progress(not args.quiet)
    progress.finish(len(all_files), len(findings), first.fixed, time.monotonic() - started)
    # on a terminal, as the progress line: how many findings --fix would fix
    summary = fix_summary(findings) if progress.enabled and args.format == "text" and not args.diff else None
    if summary and not args.fix:
        print(summary, file=sys.stderr)
    _warn_about_broken_files()
    _warn_about_unfollowed_migrations()
    for message in run.internal:
        print(f"sentry-model-lint: internal error, please report it: {message}", file=sys.stderr)
    if missing:
        return EXIT_USAGE
    if run.internal:
        return EXIT_INTERNAL
    if args.diff:  # as ruff's: 1 when there is something to fix, whatever else is found
        return EXIT_FINDINGS if first.diffs or first.unfixable else EXIT_CLEAN
    if first.unfixable or ((findings or stale) and not args.exit_zero):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _run_passes(
    run: Run, all_files: list[tuple[str, str, str | None]], args: argparse.Namespace, out: TextIO
) -> tuple[_Pass, list[Finding], int]:
    """Check (and fix) the files and write the report. In the text format the findings are
    written as each file is done, except in a pass that fixes (its findings are those before the
    fix: the pass after it reports)."""
    colour = _colour(args, out)
    unreadable = [
        Finding(folder, 1, 1, SYNTAX_ERROR, f"cannot read folder: {why}", root=find_root(folder))
        for folder, why in run.unreadable
    ]

    def stream(found: list[Finding]) -> None:
        write(found, "text", out, colour=colour)
        out.flush()

    streaming = args.format == "text" and not args.diff
    if streaming and unreadable:
        stream(unreadable)
    fixing = args.fix or args.diff
    if fixing:
        first = _check_files(run, all_files, args, fixing=True)
    else:
        first = _check_adaptively(run, all_files, args, stream if streaming else None)
    report = first
    streamed = streaming and not fixing
    if first.written:
        # the fixed files are linted again from their new text, with an index rebuilt from the
        # tree as it now is: findings at their new lines, and any cross-file finding a fix caused
        _reset_indexes()
        run.workspaces.clear()
        internal = list(run.internal)
        run.internal.clear()
        report = _check_files(run, all_files, args, fixing=False, stream=stream if streaming else None)
        streamed = streaming
        run.internal[:0] = [m for m in internal if m not in run.internal]
    findings = [*unreadable, *report.findings]
    flush_workspaces()
    stale = _report(args, first, report, findings, out, streamed, colour)
    if args.show_fixes:
        _show_fixes(first, args)
    return first, findings, stale


#: files checked in one process before a run decides whether to spread the rest over processes
PROBE = 200
#: the run being spread over processes, as the forked workers inherit it
_SHARED: tuple[Run, list[tuple[str, str, str | None]], argparse.Namespace] | None = None
#: what the workers' project indexes could not read or follow, for the warnings at the end
_REMOTE_BROKEN: dict[str, str] = {}
_REMOTE_WARNINGS: list[tuple[str, int, str]] = []


def _jobs(args: argparse.Namespace) -> int:
    if args.jobs and args.jobs > 0:
        return int(args.jobs)
    return max(1, min(4, os.cpu_count() or 1))


def _check_adaptively(
    run: Run,
    all_files: list[tuple[str, str, str | None]],
    args: argparse.Namespace,
    stream: Callable[[list[Finding]], None] | None,
) -> _Pass:
    """Check the first files in this process; when most of them missed the results cache (a cold
    run) and there are enough left, spread the rest over processes (forked, so they share what
    this one read), each taking whole apps' migrations so that an app is replayed once. A warm
    run, or a small one, stays in one process. Findings come out in file order either way."""
    jobs = _jobs(args)
    head = all_files[:PROBE]
    before = _CACHE_MISSES[0]
    done = _check_files(run, head, args, fixing=False, stream=stream)
    rest = all_files[PROBE:]
    cold = _CACHE_MISSES[0] - before > len(head) // 2
    if jobs < 2 or len(rest) < PROBE or not cold or not _can_fork():
        more = _check_files(run, rest, args, fixing=False, stream=stream)
        _merge(done, more)
        return done
    import multiprocessing

    global _SHARED
    flush_workspaces()  # the workers start from what this process learnt
    _SHARED = (run, rest, args)
    chunks = _chunks(rest, jobs)
    try:
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            parts = list(pool.imap(_check_chunk, chunks))  # in order: the output is the same every run
    except Exception as exc:  # a worker that died: check the rest here
        print(
            f"sentry-model-lint: warning: the parallel check failed ({type(exc).__name__}: {exc}); checking in one process",
            file=sys.stderr,
        )
        parts = None
    finally:
        _SHARED = None
    if parts is None:
        _merge(done, _check_files(run, rest, args, fixing=False, stream=stream))
        return done
    found: list[Finding] = []
    for part in parts:
        findings, internal, uses, broken, warnings = part
        run.internal.extend(internal)
        for path, (keys, checked, root) in uses.items():
            baseline = done.baselines.get(path) or run.workspace_for(root).baseline
            if baseline is not None:
                done.baselines.setdefault(path, baseline)
                for key in keys:
                    baseline.suppresses(key)
                done.checked.setdefault(path, set()).update(checked)
                done.roots.setdefault(path, root)
        _REMOTE_BROKEN.update(broken)
        _REMOTE_WARNINGS.extend(warnings)
        found.extend(findings)
    # in the order of the files, as one process would have reported them
    position = {path: number for number, (path, _absolute, _root) in enumerate(rest)}
    found.sort(key=lambda f: position.get(f.path, len(position)))
    done.findings.extend(found)
    if stream is not None and found:
        stream(found)
    return done


def _merge(done: _Pass, more: _Pass) -> None:
    done.findings.extend(more.findings)
    for path, baseline in more.baselines.items():
        done.baselines.setdefault(path, baseline)
    for path, checked in more.checked.items():
        done.checked.setdefault(path, set()).update(checked)
    for path, root in more.roots.items():
        done.roots.setdefault(path, root)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _chunks(files: list[tuple[str, str, str | None]], jobs: int) -> list[list[int]]:
    """Indexes into ``files``, in ``jobs`` groups of about the same size in bytes, each holding
    whole groups: the migrations of one app (and the migration tests, with the largest app),
    or one top folder."""
    groups: dict[str, list[int]] = {}
    for number, (_path, absolute, root) in enumerate(files):
        info = classify(absolute, root)
        if info.kind is FileKind.MIGRATION:
            key = "app:" + (info.app_folder or "")
        elif info.kind is FileKind.TEST:
            key = "app:sentry"
        else:
            rel = relpath_for(absolute, root, absolute)
            key = "/".join(rel.split("/")[:3])
        groups.setdefault(key, []).append(number)

    def size(number: int) -> int:
        try:
            return os.path.getsize(files[number][1])
        except OSError:
            return 0

    weights = {key: sum(size(n) for n in numbers) for key, numbers in groups.items()}
    bins: list[list[int]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for key in sorted(groups, key=lambda k: -weights[k]):
        target = loads.index(min(loads))
        bins[target].extend(groups[key])
        loads[target] += weights[key]
    return [sorted(b) for b in bins if b]


def _check_chunk(
    numbers: list[int],
) -> tuple[
    list[Finding], list[str], dict[str, tuple[list[Key], set[str], str | None]], dict[str, str], list[tuple[str, int, str]]
]:
    """In a worker: check some of the shared files, write what it learnt to the caches, and
    return the findings, the internal errors, the baseline keys it used and the index warnings."""
    assert _SHARED is not None
    run, files, args = _SHARED
    run.internal.clear()  # the parent's, inherited
    for workspace in run.workspaces.values():
        if "baseline" in workspace.__dict__ and workspace.baseline is not None:
            workspace.baseline.forget_uses()  # only this worker's uses go back
    quiet = argparse.Namespace(**{**vars(args), "quiet": True})
    done = _check_files(run, [files[n] for n in numbers], quiet, fixing=False)
    uses: dict[str, tuple[list[Key], set[str], str | None]] = {}
    for path, baseline in done.baselines.items():
        keys = list(baseline.used_keys())
        uses[path] = (keys, done.checked.get(path, set()), done.roots.get(path))
    flush_workspaces()
    broken: dict[str, str] = {}
    warnings: list[tuple[str, int, str]] = []
    project = sys.modules.get("sentry_model_lint.project")
    for index in project.open_indexes() if project is not None else ():
        broken.update(index.broken)
        warnings.extend(index.warnings)
    return done.findings, list(run.internal), uses, broken, warnings


def _colour(args: argparse.Namespace, out: TextIO) -> bool:
    """``--color``: ``always``, ``never``, or (``auto``) when the report goes to a terminal and
    ``NO_COLOR`` is not set."""
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def _show_fixes(first: _Pass, args: argparse.Namespace) -> None:
    """``--show-fixes``: what ``--fix`` fixed, per file and code (on stderr)."""
    if not args.fix:
        return
    if not first.fixed_codes:
        print("no fixes applied", file=sys.stderr)
        return
    print(f"fixed {len(first.fixed_codes)} findings:", file=sys.stderr)
    by_file: dict[str, Counter[str]] = {}
    for path, code in first.fixed_codes:
        by_file.setdefault(path, Counter())[code] += 1
    for path, codes in by_file.items():
        print(escape_controls(f"- {path}:"), file=sys.stderr)
        for code, count in sorted(codes.items()):
            rule = get_rule(code)
            print(f"    {count} x {code} ({rule.name if rule else '?'})", file=sys.stderr)


def _report(
    args: argparse.Namespace, first: _Pass, report: _Pass, findings: list[Finding], out: TextIO, streamed: bool, colour: bool
) -> int:
    """Write the report; returns the number of stale baseline entries listed. With ``--diff``
    the report is the diff alone (as ruff's), and stale entries go to stderr in the machine
    formats, whose output must stay one parseable document."""
    stale = 0
    if args.show_stale_baseline:
        stale_out = out if args.format == "text" else sys.stderr
        for baseline in report.baselines.values():
            root = report.roots.get(baseline.path)
            gone = None if root is None else _deleted_under(root)
            for (rel, code, symbol), count in baseline.stale(report.checked.get(baseline.path), gone):
                stale += count
                line = escape_controls(f"{rel}: stale baseline entry {code} {symbol}") + (f" (x{count})" if count > 1 else "")
                stale_out.write(line + "\n")
    if args.diff:
        for diff in first.diffs:
            out.write(diff)
        return stale
    if streamed:  # the findings are out already
        if args.statistics:
            statistics(findings, out)
        return stale
    if args.statistics:
        write_with_statistics(findings, args.format, out)
    else:
        write(findings, args.format, out, colour=colour)
    return stale


def _deleted_under(root: str) -> Callable[[str], bool]:
    """Whether a baseline entry's file (relative to ``root``) no longer exists."""
    return lambda rel: not os.path.lexists(os.path.join(root, rel))


def _reset_indexes() -> None:
    """Start from fresh project scans and indexes (the files may have changed since)."""
    flush_workspaces()  # what a pass found about files it did not change still holds
    forget_scans()
    forget_capabilities()
    forget_workspaces()
    project = sys.modules.get("sentry_model_lint.project")
    if project is not None:
        project.reset_indexes()
    history = sys.modules.get("sentry_model_lint.history")
    if history is not None:
        history.forget()  # commits may have been made since the last run in this process


#: files linted because the results cache had nothing that still held (a cold run counts them all)
_CACHE_MISSES = [0]


def _lint_cached(run: Run, path: str, rel: str, root: str | None, config: Config, use_cached: bool) -> FileResult:
    """The file's result, from the root's results cache when nothing it read has changed."""
    workspace = run.workspace_for(root)
    try:
        stamp: str | None = file_stamp(os.stat(path))
    except OSError:
        stamp = None
    if stamp is not None and use_cached:
        violations = workspace.cached(rel, stamp, lambda: classify(path, root))
        if violations is not None:
            try:
                source = read_source(path) if violations else ""  # only the noqa comments need the text
            except SourceError:
                source = None
            # a finding past the file's last line was not written by this linter: lint again
            if source is not None and all(v.line <= max(1, len(physical_lines(source))) for v in violations):
                return FileResult(path, violations, source=source)
    results: list[FileResult] = []

    def lint() -> list[Violation] | None:
        from sentry_model_lint.engine import lint_file

        _CACHE_MISSES[0] += 1
        result = lint_file(path, config)
        results.append(result)
        return result.violations if result.error is None and not result.internal_errors else None

    workspace.lint(rel, stamp, classify(path, root), lint, use_cached=False)
    return results[0]


def _warn_about_broken_files() -> None:
    project = sys.modules.get("sentry_model_lint.project")
    if project is None:
        return  # no index was built in this run
    seen = set()
    tables = [index.broken for index in project.open_indexes()] + [_REMOTE_BROKEN]
    for broken in tables:
        for path, message in sorted(broken.items()):
            if path not in seen:
                seen.add(path)
                print(
                    escape_controls(f"sentry-model-lint: warning: {path}: {message} (project rules leave it out)"),
                    file=sys.stderr,
                )


def _warn_about_unfollowed_migrations() -> None:
    """Name once, on stderr, each migration whose operations the project index cannot follow."""
    project = sys.modules.get("sentry_model_lint.project")
    if project is None:
        return
    seen = set()
    for warnings in [index.warnings for index in project.open_indexes()] + [_REMOTE_WARNINGS]:
        for path, line, message in sorted(warnings):
            if path not in seen:
                seen.add(path)
                shown = os.path.relpath(path)
                shown = path if shown.startswith("..") else shown
                print(escape_controls(f"{shown}:{line}: warning: {message}"), file=sys.stderr)


def run_baseline(args: argparse.Namespace) -> int:
    _reset_indexes()
    run = Run(_overrides(args), baseline_path="")
    keys_by_file: dict[str, list[Key]] = {}
    checked: dict[str, set[str]] = {}
    roots: dict[str, str | None] = {}
    paths, missing = _gather(run, args.paths)
    run.file_count = len(paths)
    progress = Progress(not args.quiet)
    for number, path in enumerate(paths, start=1):
        progress.update(number, len(paths))
        root = find_root(os.path.dirname(os.path.abspath(path)))
        config = run.config_for(root)
        run.resolve_since(root, path, config)
        rel = relpath_for(path, root)
        result = _lint_cached(run, path, rel, root, config, use_cached=True)
        if result.error is not None:
            continue
        run.internal.extend(result.internal_errors)
        target = _baseline_target(args, config, root)
        keys_by_file.setdefault(target, []).extend(key_of(rel, v) for v in reported(result, config, root, rel))
        checked.setdefault(target, set()).add(rel)
        roots.setdefault(target, root)
    progress.clear()
    flush_workspaces()
    if missing:
        return EXIT_USAGE
    status = EXIT_CLEAN
    for target, keys in sorted(keys_by_file.items()):
        status = max(status, _record(target, Counter(keys), checked[target], roots[target], args, run))
    if not keys_by_file:
        print("sentry-model-lint: no Python files to record", file=sys.stderr)
    return EXIT_INTERNAL if run.internal else status


def _baseline_target(args: argparse.Namespace, config: Config, root: str | None) -> str:
    output: str | None = args.output
    if output:
        return os.path.abspath(output)
    return baseline_location(root or os.getcwd(), config.baseline)


def _record(target: str, found: Counter[Key], checked: set[str], root: str | None, args: argparse.Namespace, run: Run) -> int:
    """Write (or refuse to write) the baseline ``target`` for the findings ``found`` in the files
    ``checked``; entries of files this run did not look at are kept as they are."""
    shown = escape_controls(os.path.relpath(target) if not os.path.relpath(target).startswith("..") else target)
    if not os.path.lexists(target):
        count = Baseline.write(target, found.elements())
        print(f"wrote {count} findings to {shown}", file=sys.stderr)
        print(_how_used(target, root, run), file=sys.stderr)
        return EXIT_CLEAN
    old = Baseline.load(target)
    gone = _deleted_under(root) if root is not None else (lambda rel: False)
    elsewhere = Counter({k: n for k, n in old.entries.items() if k[0] not in checked})
    here = Counter({k: n for k, n in old.entries.items() if k[0] in checked})
    new, stale = found - here, here - found
    deleted = Counter({k: n for k, n in elsewhere.items() if gone(k[0])})
    if args.update:
        entries = (elsewhere - deleted) + found
    elif args.prune:
        entries = (elsewhere - deleted) + (here & found)
    else:
        entries = None
    if new and not args.update:
        for (rel, code, symbol), count in sorted(new.items()):
            print(escape_controls(f"{rel}: new finding {code} {symbol}") + (f" (x{count})" if count > 1 else ""))
        print(
            f"{shown}: {sum(new.values())} findings are not in the baseline and were not added: fix them, or accept "
            "them with `sentry-model-lint baseline --update`",
            file=sys.stderr,
        )
    if entries is None:
        dropped = sum(stale.values()) + sum(deleted.values())
        if not new:
            hint = f", {dropped} stale: `baseline --prune` drops them" if dropped else ""
            print(f"{shown} is up to date ({sum(old.entries.values())} findings{hint})", file=sys.stderr)
        return EXIT_FINDINGS if new else EXIT_CLEAN
    count = Baseline.write(target, entries.elements())
    added = sum(new.values()) if args.update else 0
    removed = sum(stale.values()) + sum(deleted.values())
    print(f"wrote {count} findings to {shown} ({added} added, {removed} removed)", file=sys.stderr)
    return EXIT_FINDINGS if new and not args.update else EXIT_CLEAN


def _how_used(target: str, root: str | None, run: Run) -> str:
    """How ``check`` and the flake8 plugin will find the baseline just written."""
    if root is not None:
        config = run.config_for(root)
        if config.baseline and os.path.abspath(os.path.join(root, config.baseline)) == target:
            return f"`check` and the flake8 plugin apply it: it is configured as `baseline = {config.baseline!r}`"
        if not config.baseline and target == os.path.join(root, DEFAULT_NAME):
            return (
                f"`check` and the flake8 plugin apply it from now on ({DEFAULT_NAME} at the project root is found "
                "without configuration): only new findings are reported; commit the file"
            )
    return f'`check --baseline {escape_controls(target)}` applies it; or set `baseline = "..."` under [tool.sentry-model-lint]'


def run_info(args: argparse.Namespace) -> int:
    from sentry_model_lint.info import gather, render

    path = args.paths[0] if args.paths else "."
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or directory")
    run = Run(_overrides(args))
    absolute = os.path.abspath(path)
    root = find_root(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    sys.stdout.write(render(gather(path, run.config_for(root)), args.format))
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            if args.fix and args.diff:
                raise UsageError("--fix and --diff cannot be used together")
            return run_check(args)
        if args.command == "baseline":
            return run_baseline(args)
        if args.command == "rule":
            rule = get_rule(args.code)
            if rule is None:
                raise UsageError(f"unknown rule {args.code!r}; `sentry-model-lint rules` lists them")
            from sentry_model_lint.docs import render_rule

            sys.stdout.write(render_rule(rule))
            return EXIT_CLEAN
        if args.command == "info":
            return run_info(args)
        if args.command == "rules":
            from sentry_model_lint.docs import render_rule_table

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
    except HistoryError as exc:
        print(f"sentry-model-lint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
