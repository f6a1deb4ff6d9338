"""`peac gate` end to end on real repositories: verdicts, every output format, bad input, and
shallow CI clones."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from peac.history.gitnotes import GitNotesStore
from peac.model.results import GitState, RunResult
from peac.results.format import write
from tests.cli_helpers import run_cli
from tests.conftest import write as write_file
from tests.history_helpers import commit, git, lognormal, make_repo, make_result

SCENARIO = """\
apiVersion: peac/v1
kind: Scenario
metadata: {name: shop}
spec:
  target: {base_url: http://127.0.0.1:8080}
  load: {executor: constant-vus, vus: 1, duration: 1s}
  flows:
    - name: buy
      steps:
        - {name: home, path: /}
        - {name: checkout, method: POST, path: /checkout}
"""

BUDGET = """\
apiVersion: peac/v1
kind: Budget
metadata: {name: shop-api}
spec:
  scenario: shop.scenario.yaml
  missing_baseline: %(missing)s
  invalid_run: %(invalid)s
  objectives:
    - metric: latency
      stat: p95
      key: true
      fail: {max: 2s, max_regression: 40%%}
    - step: checkout
      metric: latency
      stat: p50
      warn: {max_regression: 10%%}
      fail: {max_regression: 30%%}
    - metric: error_rate
      warn: {max: 1%%}
      fail: {max: 5%%}
"""


def shop_result(
    seed: int,
    checkout: float = 0.2,
    errors: int = 0,
    *,
    scenario: str = "shop",
    saturated: bool = False,
) -> RunResult:
    return make_result(
        {
            "home": lognormal(0.05, 0.25, 400, seed),
            "checkout": lognormal(checkout, 0.25, 400, seed + 10_000),
        },
        errors=errors,
        started_at=1_700_000_000.0 + seed,
        scenario=scenario,
        saturated=saturated,
    )


def make_shop(root: Path, commits: int = 20, missing: str = "warn", invalid: str = "fail") -> Path:
    """A repository whose main has ``commits`` commits with one recorded run each, and a branch
    ``pr`` checked out with one more commit."""
    repo = root / "shop"
    write_file(repo / "budgets/shop.scenario.yaml", SCENARIO)
    write_file(repo / "budgets/shop.budget.yaml", BUDGET % {"missing": missing, "invalid": invalid})
    shas = make_repo(repo, commits)
    store = GitNotesStore(repo)
    for i, sha in enumerate(shas):
        # checkout p50 noise between commits: a few percent, as on a quiet runner
        store.record(sha, shop_result(i, checkout=0.2 * (1 + 0.02 * ((i * 7) % 5 - 2))))
    git(repo, "checkout", "-q", "-b", "pr")
    commit(repo, "the change under review")
    return repo


def head_result(
    repo: Path, path: Path, *, checkout: float = 0.2, errors: int = 0, saturated: bool = False
) -> Path:
    result = shop_result(500, checkout, errors, saturated=saturated)
    result.git = GitState(commit=git(repo, "rev-parse", "HEAD"))
    write(result, path)
    return path


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_shop(tmp_path)
    monkeypatch.chdir(repo)
    return repo


def gate(*args: str) -> tuple[int, str, str]:
    return run_cli("gate", "--budget", "budgets/shop.budget.yaml", *args)


def test_no_change_passes(shop: Path, tmp_path: Path) -> None:
    code, out, err = gate(str(head_result(shop, tmp_path / "head.json")))
    assert code == 0, out + err
    assert "shop-api: PASS: all 3 objectives pass" in out
    assert "20 commits of history" in out


def test_regression_fails_with_the_budget_line_that_fired(shop: Path, tmp_path: Path) -> None:
    head = head_result(shop, tmp_path / "head.json", checkout=0.3)  # +50 % on checkout
    code, out, err = gate(str(head), "--format", "markdown")
    assert code == 1, out + err
    first = out.splitlines()[0]
    assert first.startswith("❌ **peac gate FAIL**")
    assert "| ❌ | checkout latency p50 |" in out
    assert "beyond fail.max\\_regression 30% (budgets/shop.budget.yaml:17)" in out
    assert "against the history of main" in out
    assert "→" in out  # sparkline of history then head


def test_a_small_regression_warns(shop: Path, tmp_path: Path) -> None:
    # +20 %: over the checkout's warn tier (10 %), under its fail tier (30 %) and under the
    # whole run's (40 %), so only the warn tier can fire; with 20 commits of ~3 % noise and Holm
    # over 3 objectives a change of about +17 % is the smallest that can be significant
    code, out, _ = gate(str(head_result(shop, tmp_path / "h.json", checkout=0.24)))
    assert code == 0, out
    assert "WARN  checkout latency p50" in out
    assert "shop-api: WARN: 1 warn" in out


def test_absolute_limit_fails_without_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path, commits=1, missing="fail")
    monkeypatch.chdir(repo)
    code, out, _ = gate(str(head_result(repo, tmp_path / "h.json", errors=60)), "--format", "json")
    data = json.loads(out)
    assert code == 1
    statuses = {o["name"]: o["status"] for o in data["objectives"]}
    assert statuses == {
        "latency p95": "no-baseline",
        "checkout latency p50": "no-baseline",
        "error_rate rate": "fail",
    }
    reasons = {o["name"]: o["missing_baseline"] for o in data["objectives"]}
    assert "1 usable commit(s)" in reasons["latency p95"]


@pytest.mark.parametrize(("policy", "code", "word"), [("fail", 1, "FAIL"), ("warn", 0, "WARN")])
def test_a_saturated_run_never_passes_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, code: int, word: str
) -> None:
    repo = make_shop(tmp_path, invalid=policy)
    monkeypatch.chdir(repo)
    head = head_result(repo, tmp_path / "h.json", saturated=True)
    got, out, _ = gate(str(head))
    assert got == code
    # The headline leads with why the run cannot be judged and never says "all pass" beside it.
    assert f"shop-api: {word}: the run cannot be judged (h.json: load generator saturated" in out
    assert "objectives pass" not in out
    assert "load generator saturated (CPU 100%)" in out


def test_several_head_runs_are_judged_by_their_median(shop: Path, tmp_path: Path) -> None:
    """A commit's value is the median of its runs, in history and at the head alike; pooling
    runs into a rank test against every base run ignored the noise between commits."""
    heads = []
    for k in range(5):
        result = shop_result(600 + k, checkout=0.3)
        result.git = GitState(commit=git(shop, "rev-parse", "HEAD"))
        write(result, tmp_path / f"h{k}.json")
        heads.append(str(tmp_path / f"h{k}.json"))
    code, out, _ = gate(*heads, "--format", "json")
    assert code == 1
    checkout = next(o for o in json.loads(out)["objectives"] if o["step"] == "checkout")
    assert checkout["test"] == "forecast bound at 95%, median of 5 runs"
    assert len(checkout["runs"]) == 5
    assert checkout["status"] == "fail"


def test_junit_has_one_testcase_per_objective(shop: Path, tmp_path: Path) -> None:
    code, out, _ = gate(
        str(head_result(shop, tmp_path / "h.json", checkout=0.3)), "--format", "junit"
    )
    assert code == 1
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "latency p95",
        "checkout latency p50",
        "error_rate rate",
    ]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["latency p95", "checkout latency p50"]  # checkout dominates the p95 too
    assert suite.get("failures") == "2"


def test_github_annotations_and_step_summary(
    shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = gate(
        str(head_result(shop, tmp_path / "h.json", checkout=0.3)), "--format", "github"
    )
    assert code == 1
    annotation = next(line for line in out.splitlines() if "checkout" in line)
    assert annotation.startswith("::error file=budgets/shop.budget.yaml,line=17,")
    assert "title=peac%3A checkout latency p50 fail::" in annotation
    assert "%25" in annotation  # percent signs escaped for the workflow command
    assert summary.read_text().startswith("❌ **peac gate FAIL**")


def test_markdown_escaping_of_untrusted_text() -> None:
    from peac.report.escape import markdown

    # names are validated by the schema, but reports never rely on that
    assert markdown("<img src=x> | [a](b) `c` *d* ~~e~~") == (
        "&lt;img src=x&gt; \\| \\[a\\](b) \\`c\\` \\*d\\* \\~\\~e\\~\\~"
    )
    assert markdown("line\nbreak") == "line break"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "budgets/broken.budget.yaml", "{tmp}/h.json"], "broken.budget.yaml:"),
        (["--budget", "budgets/shop.budget.yaml", "nope.json"], "nope.json"),
        (["--budget", "budgets/shop.budget.yaml", "{tmp}/other.json"], "scenario 'other'"),
        (
            ["--budget", "budgets/shop.budget.yaml", "--base", "trunk", "{tmp}/h.json"],
            "no branch 'trunk'",
        ),
    ],
)
def test_bad_input_is_exit_2_with_one_line(
    shop: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    head_result(shop, tmp_path / "h.json")
    other = shop_result(1, scenario="other")
    write(other, tmp_path / "other.json")
    (shop / "budgets/broken.budget.yaml").write_text("apiVersion: peac/v1\nkind: Budget\n")
    code, out, err = run_cli("gate", *(arg.format(tmp=tmp_path) for arg in args))
    assert code == 2, (args, out, err)
    assert message in err
    assert "Traceback" not in err


def test_a_shallow_clone_fetches_the_history_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_shop(tmp_path)
    git(repo, "checkout", "-q", "main")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    git(repo, "push", "-q", str(origin), "refs/notes/peac:refs/notes/peac", "pr")
    ci = tmp_path / "ci"
    # what CI checkouts do: one commit of the pull request, nothing else
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "pr", f"file://{origin}", str(ci))
    monkeypatch.chdir(ci)
    assert run_cli("history", "fetch")[0] == 0
    head = head_result(ci, tmp_path / "h.json", checkout=0.3)
    code, out, err = gate(str(head))
    assert code == 1, out + err
    assert "20 commits of history" in out
    assert "fetched main from origin" in out
    assert "shallow clone: fetched" in out
    # with no remote to deepen from, the error names what is missing
    shallow = tmp_path / "ci2"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{origin}",
        str(shallow),
    )
    git(shallow, "checkout", "-q", "pr")
    git(shallow, "remote", "set-url", "origin", f"file://{tmp_path}/gone.git")
    monkeypatch.chdir(shallow)
    code, _, err = gate(str(head))
    assert code == 2
    assert "merge-base of" in err
    assert "is not in this shallow clone; fetch more history (git fetch --deepen=" in err


def _summary_line(table: object, **changes: object) -> str:
    """A peac/1 summary line whose packed summary is replaced by ``table`` and ``changes``."""
    import base64
    import json as jsonlib
    import zlib

    summary = {"started_at": 1.7e9, "requests": 10, "invalid": "", "dirty": False, "table": table}
    summary.update(changes)
    packed = base64.urlsafe_b64encode(zlib.compress(jsonlib.dumps(summary).encode())).decode()
    return f"peac/1 bad0bad0bad0bad0 shop ci {packed}"


@pytest.mark.parametrize(
    "line",
    [
        _summary_line({"": {"latency": "not-base64!!"}}),
        _summary_line({"": {"latency": "AAAA"}}),  # a pack cut short
        _summary_line([1, 2, 3]),  # a table given as a list
        _summary_line({}, started_at=float("inf")),
        _summary_line({}, requests=float("inf")),
        "peac/1 bad0 shop ci !!!not-zlib!!!",
        "peac/1 " + "x" * 5000,
    ],
)
def test_one_damaged_note_line_never_blocks_the_gate(
    shop: Path, tmp_path: Path, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = git(shop, "rev-parse", "main")
    note = git(shop, "notes", "--ref=peac", "show", main)
    git(shop, "notes", "--ref=peac", "add", "-f", "-m", note + "\n" + line, main)
    code, out, err = gate(str(head_result(shop, tmp_path / "h.json")))
    assert code == 0, out + err
    assert "damaged record" in out or "not a peac/1 record" in out
    monkeypatch.chdir(shop)
    code, out, err = run_cli("history", "show", "--step", "checkout")
    assert code == 0, err


def test_a_step_named_with_a_pipe_is_judged_reported_and_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22 item 10: a step named after its path, ``/ok?a=1|2``, crashed gate, report,
    history and recommend with exit 3 (the stored ``step|metric|stat`` key was split at every
    ``|``). Exact outcome: each command exits as for any other step name, and names the step."""
    step = "GET /ok?a=1|2"  # the name a step without one takes
    repo = tmp_path / "pipe"
    write_file(
        repo / "budgets/shop.scenario.yaml",
        SCENARIO.replace("{name: checkout, method: POST, path: /checkout}", '{path: "/ok?a=1|2"}'),
    )
    write_file(
        repo / "budgets/shop.budget.yaml",
        BUDGET.replace("step: checkout", f'step: "{step}"')
        % {"missing": "warn", "invalid": "fail"},
    )
    shas = make_repo(repo, 12)
    store = GitNotesStore(repo)

    def result(seed: int) -> RunResult:
        return make_result(
            {"home": lognormal(0.05, 0.25, 400, seed), step: lognormal(0.2, 0.25, 400, seed + 1)},
            started_at=1_700_000_000.0 + seed,
        )

    for i, sha in enumerate(shas):
        store.record(sha, result(i))
    git(repo, "checkout", "-q", "-b", "pr")
    commit(repo, "the change under review")
    monkeypatch.chdir(repo)
    head = result(500)
    head.git = GitState(commit=git(repo, "rev-parse", "HEAD"))
    write(head, tmp_path / "head.json")

    code, out, err = gate(str(tmp_path / "head.json"))
    assert (code, err) == (0, ""), out
    assert "PASS  GET /ok?a=1|2 latency p50" in out
    assert "shop-api: PASS: all 3 objectives pass" in out
    code, out, err = run_cli("history", "show", "--step", step, "--stat", "p50")
    assert (code, err) == (0, ""), out
    assert out.splitlines()[0].startswith("shop · GET /ok?a=1|2 · latency p50")
    assert out.count(" n=1 ") == 12
    code, out, err = run_cli("recommend", "budgets/shop.budget.yaml")
    assert (code, err) == (0, ""), out
    assert "GET /ok?a=1|2 latency p50: only max_regression limits" in out
    code, out, err = run_cli("report", "--html", str(tmp_path / "site"))
    assert code == 0, out + err
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "GET /ok?a=1|2" in pages
