"""Time the project index on a generated repository, as ratios to parsing the same files.

    python bench/index.py [--migrations 3200] [--repeat 5] [--keep DIR]

Each figure is the median of --repeat runs, each in a fresh process (so no in-process cache
helps): the parse floor reads and ``ast.parse``s every file the index reads; "cold" builds the
index with an empty cache; "warm" builds it again with the cache filled.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import generate  # noqa: E402

PARSE = """
import ast, os, sys, time
root = sys.argv[1]
start = time.perf_counter()
n = 0
for d, ds, fs in os.walk(root):
    ds[:] = [x for x in ds if not x.startswith(".")]
    if os.sep + "tests" in d and not d.endswith("migrations"):
        continue
    for f in fs:
        if f.endswith(".py"):
            with open(os.path.join(d, f), "rb") as fh:
                ast.parse(fh.read())
            n += 1
print(time.perf_counter() - start, n)
"""

INDEX = """
import sys, time
start = time.perf_counter()
from sentry_model_lint.project import ProjectIndex
index = ProjectIndex(sys.argv[1], use_cache=sys.argv[2] == "1")
histories = index.histories
models = index.models
tests = index.migration_tests
print(time.perf_counter() - start, sum(len(h.nodes) for h in histories.values()))
"""


def run(code: str, *args: str) -> float:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=3200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="sml-bench-")
    try:
        counts = generate(root, apps=8, migrations=args.migrations, models=600, tests=300)
        cache = os.path.join(root, ".sentry_model_lint_cache")
        floor, cold, warm = [], [], []
        for _ in range(args.repeat):
            floor.append(run(PARSE, root))
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(run(INDEX, root, "1"))
            warm.append(run(INDEX, root, "1"))
        result = {
            "files": counts,
            "parse_floor_s": statistics.median(floor),
            "index_cold_s": statistics.median(cold),
            "index_warm_s": statistics.median(warm),
        }
        result["cold_over_floor"] = round(result["index_cold_s"] / result["parse_floor_s"], 2)
        result["warm_over_floor"] = round(result["index_warm_s"] / result["parse_floor_s"], 2)
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
