"""Measure sentry-model-lint against the cost of merely parsing, in one run.

    python bench/run.py [--repeat 5] [--migrations 3200] [--out bench/results.json] [--skip-peers]

It generates a Sentry-sized repository (bench/generate.py), builds two throwaway virtual
environments next to it (flake8 alone; flake8 with the peer plugins flake8-django and
flake8-django-migrations), and times, as medians of --repeat runs, each in a fresh process:

- the parse floor: read and ``ast.parse`` every Python file of the repository;
- ``sentry-model-lint check`` cold (no cache), warm (cache filled), and ``--no-project``;
- flake8 with its default checks: alone, with this plugin (cache cleared before each run, and
  warm: the plugin's results cache filled by the run before), and with the peer plugins;
- the editor case: flake8 on one migration of the repository, cold and warm;
- the peak memory (maximum resident set) of each.

It prints a table of ratios (to the parse floor, or to flake8 alone) and writes the figures as
JSON. It is a measurement, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from generate import generate  # noqa: E402

PARSE = """
import ast, os, sys
for d, ds, fs in os.walk(sys.argv[1]):
    ds[:] = [x for x in ds if not x.startswith(".")]
    for f in fs:
        if f.endswith(".py"):
            with open(os.path.join(d, f), "rb") as fh:
                ast.parse(fh.read())
"""


#: the parse floor of several folders: ``python -c PARSE_PATHS folder...``
PARSE_PATHS = """
import ast, os, sys
for top in sys.argv[1:]:
    for d, ds, fs in os.walk(top):
        ds[:] = [x for x in ds if not x.startswith(".")]
        for f in fs:
            if f.endswith(".py"):
                with open(os.path.join(d, f), "rb") as fh:
                    ast.parse(fh.read())
"""


def compile_package() -> None:
    """Run every tool from compiled bytecode, as an installed tool runs (an editable install
    under ``PYTHONDONTWRITEBYTECODE`` would compile the package again in every run)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import sentry_model_lint

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(sentry_model_lint.__file__)], check=True)


def timed(cmd: list[str], cwd: str) -> tuple[float, int]:
    """Wall time and peak memory (KiB) of one command."""
    wrapped = ["/usr/bin/time", "-f", "%M", *cmd] if os.path.exists("/usr/bin/time") else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    memory = 0
    if wrapped is not cmd:
        last = proc.stderr.strip().splitlines()[-1:] or ["0"]
        memory = int(last[0]) if last[0].isdigit() else 0
    return took, memory


def median(cmd: list[str], cwd: str, repeat: int, before=None) -> dict[str, float]:
    times, memories = [], []
    for _ in range(repeat):
        if before:
            before()
        took, memory = timed(cmd, cwd)
        times.append(took)
        memories.append(memory)
    return {"seconds": statistics.median(times), "peak_mib": round(max(memories) / 1024, 1)}


def venv(path: str, *packages: str) -> str:
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    python = os.path.join(path, "bin", "python")
    subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--migrations", type=int, default=3200)
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--skip-peers", action="store_true", help="do not build the peer-plugin environment")
    args = parser.parse_args()
    compile_package()
    work = tempfile.mkdtemp(prefix="sml-bench-")
    try:
        root = os.path.join(work, "repo")
        counts = generate(root, apps=8, migrations=args.migrations, models=600, tests=300)
        files = sum(1 for _, _, fs in os.walk(root) for f in fs if f.endswith(".py"))
        ours = sys.executable  # the environment this script runs in has the package installed
        alone = venv(os.path.join(work, "flake8-alone"), "flake8")
        peers = (
            None
            if args.skip_peers
            else venv(os.path.join(work, "flake8-peers"), "flake8", "flake8-django", "flake8-django-migrations")
        )
        cache = os.path.join(root, ".sentry_model_lint_cache")

        def clear() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def clear_results() -> None:
            for name in os.listdir(cache) if os.path.isdir(cache) else ():
                if name.startswith("results-"):
                    os.unlink(os.path.join(cache, name))

        cli = [ours, "-m", "sentry_model_lint", "check", "--quiet", "."]
        one = os.path.join(
            "src",
            "sentry",
            "app03",
            "migrations",
            sorted(os.listdir(os.path.join(root, "src", "sentry", "app03", "migrations")))[-2],
        )
        r: dict[str, dict[str, float]] = {}
        r["parse floor"] = median([ours, "-c", PARSE, "."], root, args.repeat)
        r["cli cold"] = median(cli, root, args.repeat, before=clear)
        r["cli warm (facts cached, results cleared)"] = median(cli, root, args.repeat, before=clear_results)
        r["cli warm"] = median(cli, root, args.repeat)
        r["cli --no-project --no-cache"] = median([*cli[:-1], "--no-project", "--no-cache", "."], root, args.repeat)
        r["flake8 alone"] = median([alone, "-m", "flake8", "."], root, args.repeat)
        r["flake8 + sentry-model-lint, cache cleared"] = median([ours, "-m", "flake8", "."], root, args.repeat, before=clear)
        r["flake8 + sentry-model-lint"] = median([ours, "-m", "flake8", "."], root, args.repeat)
        if peers:
            r["flake8 + flake8-django + flake8-django-migrations"] = median([peers, "-m", "flake8", "."], root, args.repeat)
        r["editor: flake8 alone, one migration"] = median([alone, "-m", "flake8", one], root, args.repeat)
        r["editor: flake8 + plugin, one migration, cold"] = median([ours, "-m", "flake8", one], root, args.repeat, before=clear)
        r["editor: flake8 + plugin, one migration, warm"] = median([ours, "-m", "flake8", one], root, args.repeat)
        floor = r["parse floor"]["seconds"]
        flake8_alone = r["flake8 alone"]["seconds"]
        for name, figures in r.items():
            base = flake8_alone if name.startswith("flake8") else floor
            if name.startswith("editor"):
                base = r["editor: flake8 alone, one migration"]["seconds"]
            figures["ratio"] = round(figures["seconds"] / base, 2)
        plugin_ms = (r["flake8 + sentry-model-lint"]["seconds"] - flake8_alone) * 1000 / files
        report = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "repository": {**counts, "python_files": files},
            "repeat": args.repeat,
            "results": r,
            "plugin_ms_per_file": round(plugin_ms, 3),
            "editor_plugin_added_ms": round(
                (
                    r["editor: flake8 + plugin, one migration, warm"]["seconds"]
                    - r["editor: flake8 alone, one migration"]["seconds"]
                )
                * 1000
            ),
        }
        print(f"{'measurement':<52} {'seconds':>8} {'ratio':>7} {'peak MiB':>9}")
        for name, figures in r.items():
            print(f"{name:<52} {figures['seconds']:>8.2f} {figures['ratio']:>7.2f} {figures['peak_mib']:>9.1f}")
        print("ratios: cli over the parse floor; flake8 over flake8 alone; editor over flake8 alone on that file")
        print(
            f"plugin cost per file in flake8: {report['plugin_ms_per_file']} ms; editor case adds {report['editor_plugin_added_ms']} ms"
        )
        with open(args.out, "w") as fh:
            json.dump(report, fh, indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
