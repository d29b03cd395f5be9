"""Measure sentry-model-lint on a real Sentry checkout, beside flake8 and the peer Django linters.

    python bench/tree.py PATH [--repeat 3] [--paths src tests] [--skip-peers] [--out FILE]
        [--model src/sentry/models/organization.py] [--migration src/sentry/migrations/<latest>.py]

PATH is a Sentry checkout (a public 2023 fork of getsentry/sentry serves). It is copied to a
temporary folder first: the edit cases change files, and the checkout given is never touched.
Every figure is the median of --repeat runs, each in a fresh process, with its peak memory;
ratios are taken in the same run, so a noisy machine moves both sides:

- the parse floor: read and ``ast.parse`` every Python file under the paths;
- ``check`` cold (no cache), warm (unchanged tree), after an edit to one model file and after
  an edit to one migration (each run edits the file anew: a comment with a new number);
- the editor: flake8 on the model file, and on the migration, after that file changed, beside
  flake8 alone on the same file;
- flake8 over the paths: alone, with this plugin (cache cleared), with flake8-django, with
  flake8-django-migrations; ``ruff check --select DJ``.

It prints the table with the goals beside the figures and writes the figures as JSON. It is a
measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import PARSE_PATHS, compile_package, median, venv  # noqa: E402

#: (case, what its ratio is taken over, goal as text, goal as a test of the figures)
GOALS: list[tuple[str, str, str, Callable[[dict[str, float], float], bool]]] = [
    ("editor: flake8 <model file> after it changed", "flake8 alone on it", "<= +0.10 s", lambda f, b: f["seconds"] - b <= 0.10),
    ("editor: flake8 <migration> after it changed", "flake8 alone on it", "<= +0.10 s", lambda f, b: f["seconds"] - b <= 0.10),
    ("check after editing one model file", "parse floor", "<= 0.10x", lambda f, b: f["seconds"] / b <= 0.10),
    ("check after editing one migration", "parse floor", "(none set)", lambda f, b: True),
    ("check cold (no cache)", "parse floor", "<= 1.5x", lambda f, b: f["seconds"] / b <= 1.5),
    ("check warm (unchanged tree)", "parse floor", "<= 0.06x", lambda f, b: f["seconds"] / b <= 0.06),
    ("flake8 + sentry-model-lint, cache cleared", "flake8 alone", "<= 1.2x", lambda f, b: f["seconds"] / b <= 1.2),
]


def latest_migration(root: str) -> str:
    folder = os.path.join(root, "src", "sentry", "migrations")
    names = sorted(n for n in os.listdir(folder) if n[:4].isdigit() and n.endswith(".py"))
    return os.path.join("src", "sentry", "migrations", names[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a Sentry checkout")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--paths", nargs="+", default=["src", "tests"])
    parser.add_argument("--model", default=os.path.join("src", "sentry", "models", "organization.py"))
    parser.add_argument("--migration", help="default: the sentry app's latest migration")
    parser.add_argument("--skip-peers", action="store_true", help="no flake8-django, flake8-django-migrations, ruff")
    parser.add_argument("--out", default=os.path.join(HERE, "tree-results.json"))
    args = parser.parse_args()
    # every tool runs from compiled bytecode, as an installed tool does
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compile_package()
    work = tempfile.mkdtemp(prefix="sml-tree-")
    try:
        root = os.path.join(work, "checkout")
        shutil.copytree(
            args.path, root, symlinks=True, ignore=shutil.ignore_patterns(".git", ".sentry_model_lint_cache", "node_modules")
        )
        paths = [p for p in args.paths if os.path.exists(os.path.join(root, p))]
        files = sum(1 for p in paths for _, _, fs in os.walk(os.path.join(root, p)) for f in fs if f.endswith(".py"))
        migration = args.migration or latest_migration(root)
        ours = sys.executable  # this environment has the package installed
        version = subprocess.run([ours, "-m", "flake8", "--version"], capture_output=True, text=True).stdout.split()[0]
        alone = venv(os.path.join(work, "flake8-alone"), f"flake8=={version}")
        django = migrations = ruff = None
        if not args.skip_peers:
            django = venv(os.path.join(work, "flake8-django"), f"flake8=={version}", "flake8-django")
            migrations = venv(os.path.join(work, "flake8-django-migrations"), f"flake8=={version}", "flake8-django-migrations")
            ruff = venv(os.path.join(work, "ruff"), "ruff")
        cache = os.path.join(root, ".sentry_model_lint_cache")
        counter = iter(range(10**9))

        def clear() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def editing(rel: str) -> Callable[[], None]:
            def edit() -> None:
                with open(os.path.join(root, rel), "a", encoding="utf-8") as fh:
                    fh.write(f"# bench edit {next(counter)}\n")

            return edit

        def flake8(python: str, *targets: str) -> list[str]:
            return [python, "-m", "flake8", "--isolated", "--exit-zero", *targets]

        check = [ours, "-m", "sentry_model_lint", "check", "--quiet", "--exit-zero", *paths]
        r: dict[str, dict[str, float]] = {}
        n = args.repeat
        r["parse floor"] = median([ours, "-c", PARSE_PATHS, *paths], root, n)
        r["check cold (no cache)"] = median(check, root, n, before=clear)
        median(check, root, 1)  # fill the cache
        r["check warm (unchanged tree)"] = median(check, root, n)
        r["check after editing one model file"] = median(check, root, n, before=editing(args.model))
        r["check after editing one migration"] = median(check, root, n, before=editing(migration))
        r["flake8 alone on the model file"] = median(flake8(alone, args.model), root, n, before=editing(args.model))
        r["editor: flake8 <model file> after it changed"] = median(flake8(ours, args.model), root, n, before=editing(args.model))
        r["flake8 alone on the migration"] = median(flake8(alone, migration), root, n, before=editing(migration))
        r["editor: flake8 <migration> after it changed"] = median(flake8(ours, migration), root, n, before=editing(migration))
        r["flake8 alone"] = median(flake8(alone, *paths), root, n)
        r["flake8 + sentry-model-lint, cache cleared"] = median(flake8(ours, *paths), root, n, before=clear)
        r["flake8 + sentry-model-lint, warm"] = median(flake8(ours, *paths), root, n)
        if django and migrations and ruff:
            r["flake8 + flake8-django"] = median(flake8(django, *paths), root, n)
            r["flake8 + flake8-django-migrations"] = median(flake8(migrations, *paths), root, n)
            ruff_bin = os.path.join(os.path.dirname(ruff), "ruff")
            r["ruff check --select DJ"] = median(
                [ruff_bin, "check", "--isolated", "--no-cache", "--select", "DJ", "--exit-zero", *paths], root, n
            )
        bases = {
            "parse floor": r["parse floor"]["seconds"],
            "flake8 alone": r["flake8 alone"]["seconds"],
            "flake8 alone on it": 0.0,
        }
        for name, figures in r.items():
            if name.startswith("check"):
                figures["ratio"] = round(figures["seconds"] / bases["parse floor"], 3)
            elif name.startswith(("flake8 +", "ruff")):
                figures["ratio"] = round(figures["seconds"] / bases["flake8 alone"], 3)
        rows = []
        for case, over, goal, met in GOALS:
            figures = r[case]
            if over == "flake8 alone on it":
                base = r["flake8 alone on the model file" if "model" in case else "flake8 alone on the migration"]["seconds"]
                figure = f"{figures['seconds']:.2f} s vs {base:.2f} s (+{figures['seconds'] - base:.2f} s)"
            else:
                base = bases[over]
                figure = f"{figures['seconds'] / base:.2f}x ({figures['seconds']:.2f} s)"
            rows.append(
                {"case": case, "figure": figure, "goal": goal, "met": met(figures, base), "peak_mib": figures["peak_mib"]}
            )
        peak = max(f["peak_mib"] for name, f in r.items() if not name.startswith(("flake8 alone", "flake8 + flake8", "ruff")))
        rows.append(
            {
                "case": "peak memory, any case",
                "figure": f"{peak:.0f} MiB",
                "goal": "< 150 MiB",
                "met": peak < 150,
                "peak_mib": peak,
            }
        )
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "checkout": {"python_files": files, "paths": paths, "model": args.model, "migration": migration},
            "repeat": n,
            "goals": rows,
            "results": r,
        }
        print(f"{files} Python files under {' '.join(paths)}; medians of {n} fresh-process runs\n")
        print(f"| {'case':<44} | {'now':<36} | {'goal':<11} | met | peak MiB |")
        print(f"|{'-' * 46}|{'-' * 38}|{'-' * 13}|-----|----------|")
        for row in rows:
            met = "yes" if row["met"] else "no"
            print(f"| {row['case']:<44} | {row['figure']:<36} | {row['goal']:<11} | {met:<3} | {row['peak_mib']:>8.0f} |")
        print(f"\n| {'measurement':<46} | {'seconds':>8} | {'ratio':>6} | {'peak MiB':>8} |")
        print(f"|{'-' * 48}|{'-' * 10}|{'-' * 8}|{'-' * 10}|")
        for name, figures in r.items():
            ratio = f"{figures['ratio']:.2f}" if "ratio" in figures else ""
            print(f"| {name:<46} | {figures['seconds']:>8.2f} | {ratio:>6} | {figures['peak_mib']:>8.1f} |")
        with open(args.out, "w") as fh:
            json.dump(report, fh, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
