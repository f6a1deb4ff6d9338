"""Time `peac validate` against `check-jsonschema` on the same 50 budget/scenario files.

Both run as whole processes (start-up included, as in a pre-commit hook), interleaved, several
rounds; the medians and their ratio are printed. Target: ratio <= 1.0 although peac does more
(semantic checks across files, line/column positions, did-you-mean hints).

    .venv/bin/python benchmarks/validate_speed.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def make_files(target: Path, count: int = 50) -> list[Path]:
    """count/2 scenario + budget pairs made from the bundled example, each renamed."""
    scenario = (REPO / "budgets" / "shop.scenario.yaml").read_text(encoding="utf-8")
    budget = (REPO / "budgets" / "shop.budget.yaml").read_text(encoding="utf-8")
    (target / ".git").mkdir()
    shutil.copytree(REPO / "budgets" / "data", target / "data")
    files = []
    for i in range(count // 2):
        s = target / f"svc{i:02d}.scenario.yaml"
        s.write_text(scenario.replace("name: shop\n", f"name: shop-{i}\n"), encoding="utf-8")
        b = target / f"svc{i:02d}.budget.yaml"
        b.write_text(
            budget.replace("scenario: shop.scenario.yaml", f"scenario: {s.name}").replace(
                "name: shop-api", f"name: shop-api-{i}"
            ),
            encoding="utf-8",
        )
        files += [s, b]
    return files


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = [f.name for f in make_files(root)]
        schema = str(REPO / "docs" / "schema" / "peac.schema.json")
        peac = [str(BIN / "peac"), "validate", *files]
        peer = [str(BIN / "check-jsonschema"), "--schemafile", schema, *files]
        timed(peac, root)  # warm the file cache and bytecode of both
        timed(peer, root)
        peac_times, peer_times = [], []
        for _ in range(args.rounds):
            peac_times.append(timed(peac, root))
            peer_times.append(timed(peer, root))
    p, c = statistics.median(peac_times), statistics.median(peer_times)
    print(f"files: {len(files)} ({len(files) // 2} scenarios, {len(files) // 2} budgets)")
    print(f"peac validate:     median {p * 1000:7.1f} ms over {args.rounds} rounds")
    print(f"check-jsonschema:  median {c * 1000:7.1f} ms over {args.rounds} rounds")
    print(f"ratio peac / check-jsonschema: {p / c:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
