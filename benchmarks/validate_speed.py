"""Time `peac validate` against `check-jsonschema` on the same 50 budget/scenario files.

Both run as whole processes (start-up included, as in a pre-commit hook), interleaved, several
rounds; the medians and their ratio are printed. Target: ratio <= 1.0 although peac does more
(semantic checks across files, line/column positions, did-you-mean hints); both exit 0 (the
files are valid). --quick: 3 rounds, ratio <= 3.0.

    .venv/bin/python benchmarks/validate_speed.py [--quick] [--rounds 7]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BIN, REPO, Report, measured, parser, run


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
    """Wall seconds of the whole process; any exit but 0 fails the benchmark."""
    return measured(command, cwd, timeout=120, core=None).wall


def main() -> int:
    p = parser(__doc__)
    p.add_argument("--rounds", type=int, help="alternated rounds [7; --quick: 3]")
    args = p.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    target = 3.0 if args.quick else 1.0

    def body(report: Report) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            files = [f.name for f in make_files(root)]
            schema = str(REPO / "docs" / "schema" / "peac.schema.json")
            peac = [str(BIN / "peac"), "validate", *files]
            peer = [str(BIN / "check-jsonschema"), "--schemafile", schema, *files]
            timed(peac, root)  # warm the file cache and bytecode of both
            timed(peer, root)
            peac_times, peer_times = [], []
            for _ in range(rounds):
                peac_times.append(timed(peac, root))
                peer_times.append(timed(peer, root))
        p, c = statistics.median(peac_times), statistics.median(peer_times)
        print(f"files: {len(files)} ({len(files) // 2} scenarios, {len(files) // 2} budgets)")
        print(f"peac validate:     median {p * 1000:7.1f} ms over {rounds} rounds")
        print(f"check-jsonschema:  median {c * 1000:7.1f} ms over {rounds} rounds")
        report.check(
            "peac validate / check-jsonschema (median wall)",
            f"{p / c:.2f}x ({p * 1000:.0f} vs {c * 1000:.0f} ms)",
            f"<= {target:g}x",
            p <= target * c,
        )

    return run("validate_speed", args.quick, body)


if __name__ == "__main__":
    sys.exit(main())
