"""How each case grows with the size of the repository: the synthetic generator at 1x, 2x, 4x.

    python bench/scaling.py [--base 800] [--repeat 3]

At each size (``--base`` migrations over 8 apps, with models and tests in proportion, times 1,
2 and 4) it times, as medians of fresh-process runs: the parse floor, ``check`` cold, warm and
after an edit to one model module, and flake8 with this plugin on one migration after that file
changed, beside flake8 alone on it. It prints each figure and how it grew from the size before
(2.0 means it doubled with the repository). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import generate  # noqa: E402
from run import PARSE_PATHS, compile_package, median, venv  # noqa: E402

CASES = (
    "parse floor",
    "check cold",
    "check warm",
    "check after a model edit",
    "flake8 on an edited migration",
    "flake8 alone on it",
)


def measure(scale: int, base: int, repeat: int, python: str, alone_python: str) -> dict[str, float]:
    work = tempfile.mkdtemp(prefix=f"sml-scale{scale}-")
    try:
        root = os.path.join(work, "repo")
        generate(root, apps=8, migrations=base * scale, models=150 * scale, tests=75 * scale)
        cache = os.path.join(root, ".sentry_model_lint_cache")
        model_dir = os.path.join(root, "src", "sentry", "models")
        model = os.path.join(model_dir, sorted(n for n in os.listdir(model_dir) if n != "__init__.py")[0])
        mig_dir = os.path.join(root, "src", "sentry", "app03", "migrations")
        migration = os.path.join(mig_dir, sorted(os.listdir(mig_dir))[-1])
        counter = iter(range(10**9))

        def edit(path: str) -> None:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"# edit {next(counter)}\n")

        check = [python, "-m", "sentry_model_lint", "check", "--quiet", "--exit-zero", "."]
        flake8 = [python, "-m", "flake8", "--isolated", "--exit-zero", migration]
        alone = [alone_python, "-m", "flake8", "--isolated", "--exit-zero", migration]
        r: dict[str, float] = {}
        r["parse floor"] = median([python, "-c", PARSE_PATHS, "."], root, repeat)["seconds"]
        r["check cold"] = median(check, root, repeat, before=lambda: shutil.rmtree(cache, ignore_errors=True))["seconds"]
        median(check, root, 1)
        r["check warm"] = median(check, root, repeat)["seconds"]
        r["check after a model edit"] = median(check, root, repeat, before=lambda: edit(model))["seconds"]
        median(flake8, root, 1)
        r["flake8 on an edited migration"] = median(flake8, root, repeat, before=lambda: edit(migration))["seconds"]
        r["flake8 alone on it"] = median(alone, root, repeat, before=lambda: edit(migration))["seconds"]
        return r
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=800, help="migrations at 1x (default 800)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compile_package()
    python = sys.executable
    tools = tempfile.mkdtemp(prefix="sml-scale-tools-")
    alone_python = venv(os.path.join(tools, "flake8-alone"), "flake8")
    rows = {scale: measure(scale, args.base, args.repeat, python, alone_python) for scale in (1, 2, 4)}
    shutil.rmtree(tools, ignore_errors=True)
    print(f"{'case':<34} " + " ".join(f"{f'{s}x s':>8} {'growth':>7}" for s in rows))
    for case in CASES:
        cells = []
        previous = None
        for r in rows.values():
            growth = f"{r[case] / previous:.2f}" if previous else ""
            cells.append(f"{r[case]:>8.2f} {growth:>7}")
            previous = r[case]
        print(f"{case:<34} " + " ".join(cells))


if __name__ == "__main__":
    main()
