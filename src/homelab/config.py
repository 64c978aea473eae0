"""The user's `homelab.yaml`: strict pydantic models, loading, and error translation.

Every model forbids unknown keys. Loading maps pydantic's errors back to the
file's lines so each problem prints as `file:line: dotted.field: message (hint)`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import typing
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    ValidationError,
    field_validator,
    model_validator,
)

from homelab import yamlsrc
from homelab.errors import InputError, Problem
from homelab.quantity import Bytes, PositiveBytes, PositiveCpu

EnvName = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[EnvName, ...] = ("dev", "staging", "prod")
DEFAULT_REPLICAS = {"dev": 1, "staging": 2, "prod": 3}
DEFAULT_FILE = "homelab.yaml"
SCHEMA_FILE = "homelab.schema.json"

DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
                                description="lower-case DNS label")]
Domain = Annotated[str, Field(pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$",
                              description="DNS domain, e.g. home.example.net")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # .nan compares false to any bound
    # keys that used to be here -> where they live now, so an old file gets told what to write instead
    moved: ClassVar[dict[str, str]] = {}


class Platform(Strict):
    """Who this homelab is and where its names live."""

    name: DnsLabel = Field(description="platform name, used in labels and the Argo CD project names")
    domain: Domain = Field(description="base domain; UIs appear at <name>.<env>.<domain>")


Role = Literal["control-plane", "worker", "storage"]


class Node(Strict):
    """One cluster node as the planner sees it."""

    name: DnsLabel
    cpu: PositiveCpu
    memory: PositiveBytes
    storage: Bytes = Field(default=100 * 2**30)
    arch: Literal["amd64", "arm64"] = "amd64"
    roles: list[Role] = Field(default_factory=lambda: [cast(Role, "worker")])
    address: IPvAnyAddress | None = Field(
        default=None, description="the node's address on its network; load-balancer addresses must not include it")


Distribution = Literal["k3s", "rke2", "talos", "kubeadm", "kind", "k3d", "microk8s", "eks", "gke", "aks", "other"]
KubeVersion = Annotated[str, Field(pattern=r"^1\.[0-9]+(\.[0-9]+)?$", description="e.g. 1.33")]


class Kubernetes(Strict):
    distribution: Distribution = "k3s"
    version: KubeVersion = "1.33"


def address_range(item: str) -> tuple[int, int, int]:
    """(first, last, IP version) of a CIDR or a `first-last` range; ValueError when it is neither."""
    if "-" in item:
        first, last = (ipaddress.ip_address(x.strip()) for x in item.split("-", 1))
        if first.version != last.version or int(first) > int(last):
            raise ValueError(item)
        return int(first), int(last), first.version
    net = ipaddress.ip_network(item, strict=False)
    return int(net.network_address), int(net.broadcast_address), net.version


def _address_range(item: str) -> str:
    try:
        address_range(item)
    except ValueError:
        raise ValueError(f"'{item}' is not a CIDR or a first-last address range "
                         "(use e.g. 192.168.1.240/28 or 192.168.1.240-192.168.1.250)") from None
    return item


class LoadBalancer(Strict):
    """Addresses MetalLB may hand out: CIDRs or `first-last` ranges."""

    addresses: list[Annotated[str, AfterValidator(_address_range)]] = Field(min_length=1, max_length=256)


def _unique_names(nodes: list[Node]) -> list[Node]:
    seen: set[str] = set()
    for node in nodes:
        if node.name in seen:
            raise ValueError(f"node name '{node.name}' appears twice (node names must be unique)")
        seen.add(node.name)
    return nodes


NETWORK_DESCRIPTION = ("the LAN (layer-2 segment) the nodes and load-balancer addresses live on; environments on "
                       "one network must not share an address or a host name")
HEADROOM_DESCRIPTION = "fraction of every node kept free when fitting components"


class Cluster(Strict):
    """The cluster every environment runs on unless it names its own (`environments.<env>.cluster`)."""

    nodes: list[Node] = Field(min_length=1)
    kubernetes: Kubernetes = Field(default_factory=Kubernetes)
    load_balancer: LoadBalancer | None = None
    headroom: float = Field(default=0.15, ge=0, lt=0.9, description=HEADROOM_DESCRIPTION)
    network: DnsLabel = Field(default="lan", description=NETWORK_DESCRIPTION)

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, value: list[Node]) -> list[Node]:
        return _unique_names(value)


class OwnKubernetes(Strict):
    distribution: Distribution | None = None
    version: KubeVersion | None = None


class OwnCluster(Strict):
    """An environment's own cluster: the shape of the top-level `cluster:`, every key falling back to it."""

    nodes: list[Node] | None = Field(default=None, min_length=1)
    kubernetes: OwnKubernetes | None = None
    load_balancer: LoadBalancer | None = None
    headroom: float | None = Field(default=None, ge=0, lt=0.9, description=HEADROOM_DESCRIPTION)
    network: DnsLabel | None = Field(default=None, description=NETWORK_DESCRIPTION)

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, value: list[Node] | None) -> list[Node] | None:
        return None if value is None else _unique_names(value)

    def over(self, shared: Cluster) -> Cluster:
        """The whole cluster: what this environment says, and the top-level `cluster:` for the rest."""
        own = self.model_dump(exclude_none=True, exclude={"kubernetes", "nodes", "load_balancer"})
        kubernetes = shared.kubernetes.model_copy(
            update=self.kubernetes.model_dump(exclude_none=True) if self.kubernetes else {})
        return shared.model_copy(update={**own, "kubernetes": kubernetes, "nodes": self.nodes or shared.nodes,
                                         "load_balancer": self.load_balancer or shared.load_balancer})


class EnvironmentOverrides(Strict):
    """Where this environment differs from the others; nothing else may differ."""

    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    replicas: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict, description="chart version per component")
    values: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Helm values per component")


class Environment(Strict):
    moved: ClassVar[dict[str, str]] = {"nodes": "cluster.nodes"}

    kube_context: str | None = Field(default=None, description="kubeconfig context; defaults to the current one")
    subdomain: str | None = Field(default=None, pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$",
                                  description="label between the host and the domain; '' drops it (prod)")
    cluster: OwnCluster | None = Field(
        default=None, description="this environment's own cluster (nodes, kubernetes, load_balancer, headroom, "
                                  "network); every key it leaves out is the top-level cluster's")
    revision: str | None = Field(
        default=None, pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})$",
        description="the commit of the GitOps repository this environment runs (written by `homelab promote`); "
                    "without one the first environment follows gitops.branch and the others run nothing yet")
    replicas: int | None = Field(
        default=None, ge=1, description="copies of every component whose catalog entry says how it runs highly "
        "available (`availability`), members of every operator-run store (`instances`); default dev 1, staging 2, "
        "prod 3")
    namespace_prefix: DnsLabel | None = Field(
        default=None, description="run as namespaces <prefix>-<namespace> on the cluster of the environment with the "
        "same kube_context and no prefix (its host), which installs the cluster-wide components once; this one gets "
        "only its own per-environment components")
    overrides: EnvironmentOverrides = Field(default_factory=EnvironmentOverrides)


class GitOps(Strict):
    """Where the rendered tree lives; any Git provider, private repositories allowed."""

    repo_url: str = Field(pattern=r"^(https?://|ssh://|git@[^:]+:|file://).+",
                          description="https://…, ssh://… or git@host:owner/repo.git")
    branch: str = "main"
    path: str = Field(default="clusters", description="folder inside the repository that holds the tree")
    credentials_secret: str | None = Field(
        default=None, description="Vault path holding the repository credentials (private repositories)")


class Acme(Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    server: str = "https://acme-v02.api.letsencrypt.org/directory"
    dns_provider: Literal["cloudflare", "route53", "rfc2136", "digitalocean", "azuredns", "clouddns"]
    credentials_secret: str = Field(description="Vault path with the DNS provider's API credentials")


class Tls(Strict):
    """internal-ca needs no outside vendor; acme-dns01 gets publicly trusted certificates."""

    mode: Literal["internal-ca", "acme-dns01"] = "internal-ca"
    acme: Acme | None = None

    @model_validator(mode="after")
    def _acme_needed(self) -> Tls:
        if self.mode == "acme-dns01" and self.acme is None:
            raise ValueError("tls.mode acme-dns01 needs an 'acme' section (email, dns_provider, credentials_secret)")
        return self


class Offsite(Strict):
    """An S3 bucket outside the cluster for the off-site copy of 3-2-1 (another site, a provider)."""

    s3_url: str = Field(pattern=r"^https?://", description="the S3 endpoint, e.g. https://s3.eu-central-1.example.com")
    bucket: str = Field(pattern=r"^[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]$")
    region: str = "us-east-1"
    prefix: str | None = Field(default=None, description="folder inside the bucket")
    path_style: bool = Field(default=True, description="path-style URLs (most S3-compatible stores); false for AWS")
    credentials_secret: str = Field(description="Vault path with the properties access_key and secret_key")
    schedule: str = Field(default="30 4 * * *", description="cron schedule of the off-site copies")


class Backup(Strict):
    """Where backups go besides the in-cluster object store the plan chose."""

    offsite: Offsite | None = None


class Sync(Strict):
    """Argo CD sync policy for every Application."""

    automated: bool = True
    prune: bool = True
    self_heal: bool = True
    retries: int = Field(default=5, ge=0, le=100)


class Config(Strict):
    """A whole homelab: the platform, its cluster, environments and component choices."""

    platform: Platform
    cluster: Cluster
    environments: dict[EnvName, Environment] = Field(
        default_factory=lambda: {name: Environment() for name in ENVIRONMENTS})
    profile: str = Field(default="standard", description="minimal, standard or full")
    add: list[str] = Field(default_factory=list, description="components to add to the profile")
    remove: list[str] = Field(default_factory=list, description="components to take out of the profile")
    choices: dict[str, str] = Field(default_factory=dict,
                                    description="capability -> provider, e.g. cni: cilium")
    allow: list[str] = Field(default_factory=list,
                             description="components to install even though their maturity forbids it")
    gitops: GitOps
    tls: Tls = Field(default_factory=Tls)
    sync: Sync = Field(default_factory=Sync)
    backup: Backup = Field(default_factory=Backup)

    def env(self, name: str) -> Environment:
        """The environment called `name` (its defaults when the file does not mention it)."""
        return self.environments.get(cast(EnvName, name)) or Environment()

    def replicas_for(self, env: str) -> int:
        """Copies of each highly available component in `env`: dev small, staging like prod at lower scale."""
        return self.env(env).replicas or DEFAULT_REPLICAS.get(env, 1)

    def cluster_for(self, env: str) -> Cluster:
        """The cluster `env` runs on: its own `cluster:` keys over the top-level ones, or its host's when it runs
        as prefixed namespaces. Every reader of nodes, distribution, version, load-balancer addresses, headroom
        or network goes through here."""
        host = self.host_of(env)
        if host is not None:
            return self.cluster_for(host)
        own = self.env(env).cluster
        return self.cluster if own is None else own.over(self.cluster)

    def prefix_of(self, env: str) -> str | None:
        return self.env(env).namespace_prefix

    def host_of(self, env: str) -> str | None:
        """The environment whose cluster a prefixed `env` runs on: the one with its kube_context and no prefix
        (the load-time check makes it exactly one); None for an environment that is no guest."""
        if self.prefix_of(env) is None:
            return None
        context = self.env(env).kube_context
        hosts = [e for e in self.env_names() if self.prefix_of(e) is None and self.env(e).kube_context == context]
        return hosts[0] if len(hosts) == 1 else None

    def on_cluster_of(self, env: str) -> list[str]:
        """Every environment on the cluster `env` runs on: its host first, then the prefixed guests."""
        host = self.host_of(env) or env
        return [host, *(e for e in self.env_names() if self.host_of(e) == host)]

    def nodes_for(self, env: str) -> list[Node]:
        return list(self.cluster_for(env).nodes)

    def oldest_kubernetes(self) -> str:
        """The oldest Kubernetes version any environment runs: shared objects must be valid on every cluster."""
        versions = [self.cluster_for(env).kubernetes.version for env in self.env_names()] or \
            [self.cluster.kubernetes.version]
        return min(versions, key=lambda v: tuple(int(x) for x in v.split(".")))

    def env_names(self) -> list[str]:
        return [name for name in ENVIRONMENTS if name in self.environments]


class LoadedConfig(BaseModel):
    """A Config plus where it came from, so later stages can point back at lines."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    config: Config
    source: yamlsrc.Located
    builtin: bool = False


def _unwrap(annotation: Any) -> Any:
    """`list[X]`, `dict[K, X]`, `X | None` and `Annotated[X, ...]` -> `X`."""
    while (origin := typing.get_origin(annotation)) is not None:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if origin is Annotated else args[-1]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_container(annotation: Any) -> bool:
    """`list[X]` or `dict[K, X]`, possibly optional: the next part of a location is an index or a key."""
    while (origin := typing.get_origin(annotation)) is not None and origin not in (list, dict):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return typing.get_origin(annotation) in (list, dict)


def _model_at(model: Any, loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of `loc`, to suggest its field names."""
    current: Any = model
    for part in loc[:-1]:
        container = _is_container(current)
        current = _unwrap(current)
        if container or isinstance(part, int) or not _is_model(current):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
    current = _unwrap(current)
    return current if _is_model(current) else None


# pydantic names validator steps in error locations (e.g. `function-after[_address_range(), str]`)
_VALIDATOR_STEP = re.compile(r"^function-(after|before|wrap|plain)\[")


def _user_path(data: Any, prefix: yamlsrc.PathKey, loc: tuple[Any, ...]) -> yamlsrc.PathKey:
    """The error location as keys of the user's data: validator steps are dropped, real keys kept."""
    current = data
    for part in prefix:
        current = current.get(part) if isinstance(current, dict) else None
    path: list[str | int] = []
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif isinstance(part, str) and _VALIDATOR_STEP.match(part):
            continue
        else:
            current = None
        path.append(part)
    return tuple(path)


def problems_from(error: ValidationError, source: yamlsrc.Located, root: type[BaseModel],
                  prefix: yamlsrc.PathKey = ()) -> list[Problem]:
    """One Problem per pydantic error, with file, line, dotted field and a hint.

    `prefix` is where the validated object sits inside the file (for nested documents).
    """
    problems = []
    for item in error.errors():
        inner = _user_path(source.data, prefix, item["loc"])
        loc = (*prefix, *inner)
        message = item["msg"].removeprefix("Value error, ")
        hint = None
        if item["type"] == "extra_forbidden":
            owner = _model_at(root, inner)
            names = list(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), names, n=1)
            message = "unknown key"
            hint = f"did you mean '{close[0]}'?" if close else (
                f"allowed keys: {', '.join(names)}" if names else "remove it")
            if owner and (moved := getattr(owner, "moved", {}).get(str(loc[-1]))):
                message = f"moved to {yamlsrc.dotted((*loc[:-1], *moved.split('.')))}"
                hint = f"write it as `{moved}:` under {yamlsrc.dotted(loc[:-1])}, with the same content"
        elif item["type"] == "missing":
            message = "required key is missing"
            hint = "add it; `homelab init` writes a commented example"
        elif item["type"] == "literal_error":
            close = difflib.get_close_matches(str(item.get("input")),
                                              re.findall(r"'([^']+)'", message), n=1)
            hint = f"did you mean '{close[0]}'?" if close else None
        elif (match := re.search(r"\((did you mean [^)]*|use [^)]*)\)$", message)):
            message, hint = message[: match.start()].rstrip(), match.group(1)
        problems.append(Problem(message, file=source.file, line=source.line_of(loc),
                                field=yamlsrc.dotted(loc) or "(top level)", hint=hint))
    return problems


def parse_config(source: yamlsrc.Located) -> Config:
    if source.data is None:
        raise InputError([Problem("the file is empty", file=source.file, line=1,
                                  hint="run `homelab init` to write a commented starter")])
    if not isinstance(source.data, dict):
        raise InputError([Problem(f"expected a mapping of keys, got {type(source.data).__name__}",
                                  file=source.file, line=1, hint="run `homelab init` for an example")])
    try:
        config = Config.model_validate(source.data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, source, Config)) from None
    from homelab import environments

    if problems := environments.check(config, source):
        raise InputError(problems)
    return config


def builtin_text() -> str:
    """The commented example homelab shipped with the package (the built-in default)."""
    return resources.files("homelab").joinpath("examples/homelab.yaml").read_text(encoding="utf-8")


def load(path: Path | None = None) -> LoadedConfig:
    """Load `path`, or `./homelab.yaml`, or else the built-in example."""
    if path is None:
        default = Path(DEFAULT_FILE)
        if not default.exists():
            source = yamlsrc.parse(builtin_text(), "<built-in example homelab.yaml>")
            return LoadedConfig(config=parse_config(source), source=source, builtin=True)
        path = default
    source = yamlsrc.read(path, "config file")
    return LoadedConfig(config=parse_config(source), source=source)


def json_schema() -> dict[str, Any]:
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "homelab.yaml"
    return schema
