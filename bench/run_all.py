"""`make bench`: run every benchmark in bench/ with its default options and keep each one's output.

Outputs go to bench/results/<name>.txt (gitignored); the figures we publish are copied into docs/benchmarks.md
by hand, with the command that produced them. A single benchmark: `.venv/bin/python bench/<name>.py --help`.
"""

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def main(names: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    scripts = [path for path in sorted(BENCH.glob("*.py"))
               if path.name not in {"run_all.py", "machine.py"} and not path.stem.endswith("_common")]
    if names:
        scripts = [path for path in scripts if path.stem in names]
    failed = []
    for script in scripts:
        started = time.monotonic()
        print(f"== {script.stem}", flush=True)
        with open(RESULTS / f"{script.stem}.txt", "w") as out:
            result = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, stdout=out, stderr=subprocess.STDOUT)
        print(f"   {'ok' if result.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s "
              f"-> {RESULTS / (script.stem + '.txt')}", flush=True)
        if result.returncode:
            failed.append(script.stem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
