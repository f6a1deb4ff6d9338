"""The repository's rules (``peac.yaml``, kind Config) as a command applies them: read from
the base branch when a change is judged, so a pull request cannot set its own rules; from the
working tree when there is no base (a local run), and the output says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from peac.errors import InputError, Problem
from peac.history.git import Repository
from peac.model.budget_changes import ChangePolicy
from peac.model.objectives import Policy, Rules, Tier
from peac.model.urls import host_of
from peac.spec.config import CiSettings, Config, SecretRule
from peac.spec.documents import check_document
from peac.spec.paths import find_root
from peac.spec.plan import ScenarioPlan
from peac.spec.source import MAX_FILE_BYTES, Document, load_file, parse_documents

CONFIG_FILE = "peac.yaml"


@dataclass(frozen=True)
class RepoRules:
    origin: str  # where the rules came from, for the output
    hosts: frozenset[str] | None = None  # None: the scenario's own allowed hosts
    secrets: dict[str, frozenset[str]] | None = None  # env var -> hosts; None: no rule
    invalid_run: Tier | None = None
    missing_baseline: Tier | None = None
    policy: Policy | None = None
    notes: tuple[str, ...] = field(default=())
    changes: ChangePolicy = field(default_factory=ChangePolicy)  # budget_changes


def _from_config(config: Config, origin: str) -> RepoRules:
    spec = config.spec
    targets = spec.targets
    policy = spec.policy
    changes = spec.budget_changes
    return RepoRules(
        origin=origin,
        hosts=None if targets is None else frozenset(h.lower() for h in targets.hosts),
        secrets=None
        if targets is None
        else {
            env: frozenset(h.lower() for h in rule.hosts) for env, rule in targets.secrets.items()
        },
        invalid_run=None if policy.invalid_run is None else Tier(policy.invalid_run),
        missing_baseline=None if policy.missing_baseline is None else Tier(policy.missing_baseline),
        policy=None if policy.regression is None else Policy(**policy.regression.model_dump()),
        changes=ChangePolicy(
            warn_threshold=changes.loosen_threshold,
            fail_threshold=changes.fail_loosen_threshold,
            approvers=tuple(changes.approvers),
            approval_labels=tuple(changes.approval_labels),
            origin=origin,
        ),
    )


def _secret_hosts(secrets: dict[str, SecretRule]) -> dict[str, frozenset[str]]:
    return {env: frozenset(h.lower() for h in rule.hosts) for env, rule in secrets.items()}


def _config(documents: list[Document], problems: list[Problem], display: str) -> Config:
    configs = []
    for document in documents:
        model, invalid = check_document(document)
        problems += invalid
        if isinstance(model, Config):
            configs.append(model)
    if problems:
        raise InputError(f"{display}: the repository's rules have problems", problems)
    if len(configs) != 1:
        raise InputError(f"{display}: expected one Config document, found {len(configs)}")
    return configs[0]


def ci_settings(root: Path, base: str | None = None) -> CiSettings:
    """The ``ci`` section of peac.yaml (defaults without one): of the working tree, or of the
    revision ``base`` when given, because on a pull request which budgets are gated, against
    which history and store, is the base branch's decision, not the pull request's."""
    if base is None:
        path = find_root(root) / CONFIG_FILE
        if not path.is_file():
            return CiSettings()
        return _config(*load_file(path, CONFIG_FILE), CONFIG_FILE).spec.ci
    found = _config_at(Repository(root), base)
    return found[0].spec.ci if found is not None else CiSettings()


def _config_at(repo: Repository, base: str) -> tuple[Config, str] | None:
    """peac.yaml as committed on ``base`` (and the commit it was read from), None without one."""
    sha = repo.commit(base)
    display = f"{CONFIG_FILE} on {base}"
    listed = repo.git("ls-tree", sha, "--", CONFIG_FILE)
    if not listed.strip():
        return None
    mode, kind, blob = listed.split()[:3]
    if kind != "blob" or mode == "120000":
        raise InputError(f"{display}: expected a regular file")
    size = int(repo.git("cat-file", "-s", blob).strip() or 0)
    if size > MAX_FILE_BYTES:
        raise InputError(f"{display}: larger than {MAX_FILE_BYTES:,} bytes")
    text = repo.git("cat-file", "blob", blob)
    return _config(*parse_documents(text, display), display), sha


def load_rules(root: Path, base: str | None) -> RepoRules:
    """The rules of the base branch ``base`` (a revision), or of the working tree without one."""
    if base is None:
        path = find_root(root) / CONFIG_FILE
        if not path.is_file():
            return RepoRules("no peac.yaml and no --base: the local files set every rule")
        config = _config(*load_file(path, CONFIG_FILE), CONFIG_FILE)
        return _from_config(config, f"{CONFIG_FILE} of the working tree (no --base)")
    found = _config_at(Repository(root), base)
    if found is None:
        return RepoRules(
            f"no {CONFIG_FILE} on {base}: the pull request's own files set the hosts and "
            "secrets (add peac.yaml to the base branch to set them there)"
        )
    config, sha = found
    return _from_config(config, f"{CONFIG_FILE} on {base} ({sha[:7]})")


def confine(plan: ScenarioPlan, rules: RepoRules, target: str | None) -> ScenarioPlan:
    """The plan within the rules: its hosts (and ``--target``) must be allowed by them, its
    secrets declared there, each bound to the hosts the rules give it."""
    problems: list[Problem] = []
    source = plan.source

    def refuse(message: str) -> None:
        problems.append(Problem(source.path, source.line, source.col, message))

    base_host = host_of(plan.scenario.spec.target.base_url) or ""
    if rules.hosts is not None:
        wanted = {base_host, *plan.allowed_hosts}
        if target is not None:
            wanted.add(host_of(target) or target)
        for host in sorted(wanted - rules.hosts):
            refuse(f'host "{host}" is not in targets.hosts of {rules.origin}')
    secret_hosts = dict(plan.secret_hosts)
    if rules.secrets is not None:
        for name, secret in plan.scenario.spec.secrets.items():
            bound = rules.secrets.get(secret.env)
            if bound is None:
                refuse(
                    f'secret "{name}" reads {secret.env}, which targets.secrets of '
                    f"{rules.origin} does not allow"
                )
            else:
                secret_hosts[name] = bound
    if problems:
        raise InputError("the scenario breaks the repository's rules", problems)
    hosts = plan.allowed_hosts if rules.hosts is None else plan.allowed_hosts & rules.hosts
    return replace(plan, allowed_hosts=hosts, secret_hosts=secret_hosts)


def judged_by(
    rules: Rules, repo_rules: RepoRules, base_rules: Rules | None
) -> tuple[Rules, list[str]]:
    """The budget's rules with the settings a pull request may not change taken from the base
    branch: its own budget there, then peac.yaml's policy; notes say what was overridden."""
    notes: list[str] = []
    chosen = rules
    for source, invalid, missing, policy in (
        (
            "the budget on the base branch",
            base_rules.invalid_run if base_rules else None,
            base_rules.missing_baseline if base_rules else None,
            base_rules.policy if base_rules else None,
        ),
        (repo_rules.origin, repo_rules.invalid_run, repo_rules.missing_baseline, repo_rules.policy),
    ):
        if invalid is not None and invalid != chosen.invalid_run:
            notes.append(
                f"invalid_run: {invalid} from {source} (this change says {chosen.invalid_run})"
            )
            chosen = replace(chosen, invalid_run=invalid)
        if missing is not None and missing != chosen.missing_baseline:
            said = chosen.missing_baseline
            notes.append(f"missing_baseline: {missing} from {source} (this change says {said})")
            chosen = replace(chosen, missing_baseline=missing)
        if policy is not None and policy != chosen.policy:
            notes.append(f"the regression policy from {source} applies (this change sets another)")
            chosen = replace(chosen, policy=policy)
    return chosen, notes


def base_budget(repo: Repository, branch: str, path: Path) -> Rules | None:
    """The budget at ``path`` as the base branch has it (None when the branch has no such
    file, or it is not a valid Budget there: then nothing is taken from it)."""
    try:
        relative = path.resolve().relative_to(repo.root.resolve()).as_posix()
    except ValueError:
        return None
    return budget_at(repo, branch, relative)


def blob_at(repo: Repository, revision: str, relative: str) -> str | None:
    """The text of the regular file ``relative`` at ``revision`` (None when there is none, or
    it is a link, or too large to be a peac file)."""
    listed = repo.git("ls-tree", revision, "--", relative, check=False).split()
    if len(listed) < 3 or listed[1] != "blob" or listed[0] == "120000":
        return None
    if int(repo.git("cat-file", "-s", listed[2]).strip() or 0) > MAX_FILE_BYTES:
        return None
    return repo.git("cat-file", "blob", listed[2])


def budget_at(repo: Repository, revision: str, relative: str) -> Rules | None:
    """The first valid Budget of the file ``relative`` at ``revision``, its scenario not read."""
    from peac.spec.check_budget import budget_rules

    text = blob_at(repo, revision, relative)
    if text is None:
        return None
    documents, problems = parse_documents(text, relative)
    if problems:
        return None
    for document in documents:
        rules, _ = budget_rules(document)
        if rules is not None:
            return rules
    return None
