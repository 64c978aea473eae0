"""What a catalog entry may say. Everything a component means to the platform is here.

Render, verify and the portal compute all wiring from these facets, so adding a
component is adding a data file under `catalog/data/<layer>/<category>/`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from homelab.quantity import Bytes, Cpu

Layer = Literal["infrastructure", "data", "application", "development", "backup"]
LAYERS: tuple[Layer, ...] = ("infrastructure", "data", "application", "development", "backup")
LAYER_TITLES = {
    "infrastructure": "Infrastructure Layer",
    "data": "Data Layer",
    "application": "Application Layer",
    "development": "Development Layer",
    "backup": "Backup & Recovery",
}
Arch = Literal["amd64", "arm64"]
ARCHES: tuple[Arch, ...] = ("amd64", "arm64")
Name = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
Capability = Annotated[str, Field(pattern=r"^[a-z0-9][-a-z0-9]*$")]
EvidenceLevel = Literal["upstream-file", "release-notes", "third-party", "unverified"]
EVIDENCE_LEVELS: dict[str, str] = {
    "upstream-file": "read from a file the upstream project owns: repository, path and tag or commit named",
    "release-notes": "upstream's own release notes, changelog or documentation page, not a file at a tag",
    "third-party": "seen only in someone else's copy: a Renovate pull request, a mirror, an install script",
    "unverified": "not checked against upstream",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DesignPlace(Strict):
    """Where the user's design names this system (a system may appear in several places)."""

    name: str = Field(description="the name exactly as the design writes it, e.g. 'NGINX Ingress'")
    layer: Layer
    category: str = Field(description="the design's heading, e.g. 'Network Layer'")
    section: Literal["components", "diagram"] = Field(
        default="components", description="components: listed in the design's Component Details (its named "
                                           "systems); diagram: only a participant of one of its diagrams")


class Source(Strict):
    """Exactly what a cluster pulls. `confirmed` says where a person can check it upstream.

    helm/oci: a chart at an exact version. git: a folder of manifests in an upstream Git
    repository at an exact tag or commit (how Argo CD syncs raw manifests). local: a kustomization
    shipped in this package under src/homelab/manifests/<chart>/, copied into the rendered tree and
    synced from the user's own GitOps repository. none: nothing to install (SaaS, or no longer installable).
    """

    kind: Literal["helm", "oci", "git", "local", "none"]
    repo: str | None = Field(default=None, description="Helm repository URL, oci://registry/path, or Git URL")
    chart: str | None = Field(default=None, description="chart name (helm/oci) or folder name (local)")
    path: str | None = Field(default=None, description="folder inside the Git repository (git)")
    version: str | None = Field(default=None, description="exact chart version, Git tag or commit (no ranges)")
    app_version: str | None = Field(default=None, description="the upstream application version the pin ships")
    confirmed: str = Field(description="where the coordinates were confirmed, e.g. 'grafana-community/helm-charts "
                                       "charts/grafana/Chart.yaml at tag grafana-12.3.1 (commit 67555997)'")
    evidence: EvidenceLevel = Field(default="unverified", description="how strong `confirmed` is: "
                               + "; ".join(f"{k}: {v}" for k, v in EVIDENCE_LEVELS.items()))

    @model_validator(mode="after")
    def _complete(self) -> Source:
        needs = {"helm": ("repo", "chart", "version"), "oci": ("repo", "chart", "version"),
                 "git": ("repo", "path", "version"), "local": ("chart", "version"), "none": ()}[self.kind]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.kind} source needs {', '.join(missing)}")
        if self.kind == "oci" and not (self.repo or "").startswith("oci://"):
            raise ValueError("an oci source's repo starts with oci://")
        if self.version and any(ch in self.version for ch in "^~*<>| "):
            raise ValueError(f"version '{self.version}' is a range; pin an exact version")
        return self


class Maturity(Strict):
    status: Literal["stable", "beta", "deprecated", "retiring", "archived", "license-restricted",
                    "commercial", "saas"] = "stable"
    reason: str | None = None
    replacement: str | None = Field(default=None, description="catalog name of the recommended replacement")
    installable: bool = Field(default=True, description="false when the system can no longer be installed")

    @model_validator(mode="after")
    def _explained(self) -> Maturity:
        if self.status != "stable" and not self.reason:
            raise ValueError(f"maturity '{self.status}' needs a reason")
        return self


class Copies(Strict):
    """What one copy of the Deployments beside a DaemonSet requests (an operator, a UI, a cluster agent).

    A per-node component's footprint is charged on every node; its Deployments are not: they run as many
    copies as the environment gives the component, so the fit charges this part once per copy and spreads
    the copies over nodes like any other component's. `confirmed` names the chart's file, key and tag."""

    cpu: Cpu = 0
    memory: Bytes = 0
    storage: Bytes = 0
    confirmed: str = Field(description="where the requests are set: the chart's template and values keys at "
                                       "the pinned tag, or the entry's own values the template applies")


class Footprint(Strict):
    """Resource requests of the whole component at one replica set, as the chart defaults ask; for a per-node
    component, what runs on every node, with its Deployments apart in `copies`."""

    cpu: Cpu = 100
    memory: Bytes = 128 * 2**20
    storage: Bytes = 0
    replicas: int = Field(default=1, ge=0)
    per_node: bool = Field(default=False, description="a DaemonSet: one copy on every node")
    copies: Copies | None = Field(default=None, description="a per-node component's Deployments, one copy: "
                                  "charged once per copy the environment runs, not on every node")

    @model_validator(mode="after")
    def _copies_beside_a_daemonset(self) -> Footprint:
        if self.copies is not None and not self.per_node:
            raise ValueError("`copies` is the part of a per-node component that runs as Deployments: set "
                             "`per_node: true`, or fold the copies into the footprint itself")
        return self


class Endpoint(Strict):
    name: Name
    service: str = Field(description="Kubernetes Service name the chart creates")
    port: int = Field(ge=1, le=65535)
    protocol: Literal["http", "https", "grpc", "tcp", "udp"] = "http"
    expose: bool = Field(default=False, description="published through the platform's ingress at <name>.<env>.<domain>")
    host: str | None = Field(default=None, description="host label if not the component name")
    sso: Literal["oidc", "proxy", "none"] = Field(
        default="none", description="oidc: native OIDC via Keycloak; proxy: behind OAuth2 Proxy; none: own auth or API")
    ui: str | None = Field(default=None, pattern=r"^/", description="path of the web UI a browser opens on this "
                           "endpoint, e.g. / or /ui/; unset: an API or protocol endpoint, never offered as 'open UI'")


class Metrics(Strict):
    service: str
    port: str | int = Field(description="port name or number on the Service")
    path: str = "/metrics"
    params: dict[str, list[str]] = Field(default_factory=dict, description="query parameters: {format: [prometheus]}")
    selector: dict[str, str] = Field(default_factory=dict, description="Service labels the ServiceMonitor selects")


class Backup(Strict):
    method: Literal["none", "velero", "barman", "xtrabackup", "native"] = "none"
    schedule: str = "0 3 * * *"
    note: str | None = None


class Secret(Strict):
    """A credential the component needs; rendered as an ExternalSecret from Vault, never as data.

    `template` builds keys from the stores the component is a tenant of: `${store:<capability>/<field>}`
    names a connection fact (host, database, bucket) or a credential the store keeps for this tenant
    in Vault (its password); the other keys come from the component's own Vault path as before.
    """

    name: Name
    keys: list[str] = Field(min_length=1)
    namespace: Name | None = Field(default=None, description="where the Secret is needed, if not the component's own")
    template: dict[str, str] = Field(default_factory=dict, description="key -> text with ${store:...} placeholders")
    type: str | None = Field(default=None, description="the Secret's type, e.g. kubernetes.io/basic-auth")
    labels: dict[str, str] = Field(default_factory=dict, description="labels the consumer looks the Secret up by")

    @model_validator(mode="after")
    def _templated_keys_listed(self) -> Secret:
        extra = sorted(set(self.template) - set(self.keys))
        if extra:
            raise ValueError(f"template keys {extra} are not in keys {self.keys}")
        return self


class Probe(Strict):
    """How `homelab verify` checks it through its own protocol."""

    kind: str = Field(description="probe kind: postgresql, redis, http, s3, kafka, ...")
    endpoint: str | None = Field(default=None, description="endpoint name the probe talks to")
    path: str | None = None
    expect_status: int | None = None
    expect_body: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Evidence(Strict):
    confirmed: str = Field(description="the upstream-owned file that shows it: repository, path, tag or commit")


class Webhook(Evidence):
    """An admission or conversion webhook the component registers: the API server calls its pods on `port`."""

    service: str | None = Field(default=None, description="the Service the webhook configuration points at")
    port: int = Field(ge=1, le=65535, description="the container port behind it (what a NetworkPolicy matches)")


class OperandFlow(Evidence):
    """Ports an operator opens on the pods of every component that requires `capability` from it."""

    capability: Capability
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(min_length=1)


class NodeFlow(Evidence):
    """A port this component opens on every node's host network (the kubelet, node-exporter)."""

    name: str
    port: int = Field(ge=1, le=65535)


class ExtraNamespace(Evidence):
    """A namespace besides its own that the chart writes objects into (its AppProject must allow it)."""

    namespace: Name


class PodSecurityClaim(Evidence):
    """The Pod Security level its pods meet with the entry's values (the values that make it so included)."""

    level: Literal["restricted", "baseline"]


class WhenValues(Evidence):
    """Helm values merged only when the plan does (`when`) or does not (`unless`) provide a capability."""

    when: Capability | None = None
    unless: Capability | None = None
    values: dict[str, Any]

    @model_validator(mode="after")
    def _one_condition(self) -> WhenValues:
        if (self.when is None) == (self.unless is None):
            raise ValueError("give exactly one of `when` or `unless`")
        return self


class IpBlockNodes(Evidence):
    """A CNI's values without which an ipBlock peer does not select node addresses.

    The API server and host-network pods (kubelet, node-exporter) live at node addresses, so the
    platform's ipBlock rules towards and from them hold only with these values set.
    """

    values: dict[str, Any] = Field(default_factory=dict, description="empty: ipBlock selects nodes as it is")


class GitOps(Evidence):
    """What Argo CD must be told to manage this component without fighting it (its own documentation)."""

    resource_exclusions: list[dict[str, Any]] = Field(
        default_factory=list, description="entries for argocd-cm `resource.exclusions`: objects Argo CD must not track")
    ignore_differences: list[dict[str, Any]] = Field(
        default_factory=list, description="the Application's `spec.ignoreDifferences` (fields the cluster rewrites)")
    values: dict[str, Any] = Field(default_factory=dict, description="chart values needed under Argo CD")


class Crds(Evidence):
    """The CRDs the component's source installs: their API groups (custom resources of those groups, its own
    and anyone's, sync in a later wave than the component's Application), and where the files live upstream
    at the pinned version, so `homelab crds fetch` can download them and `homelab validate` check them."""

    groups: list[str] = Field(min_length=1, description="API groups, e.g. gateway.networking.k8s.io")
    files: list[Annotated[str, Field(pattern=r"^https://")]] = Field(
        default_factory=list, description="raw URLs of the CRD files at the pinned tag or commit (a repository's "
        "CRD folder, or a chart's crds/ folder, at the tag)")


class Availability(Evidence):
    """How the chart runs more than one copy of its pods: stateless ones share the load, leader-election ones
    keep one active and the others ready, replicated ones (a store the chart's operator runs) copy their data
    to each other. Render sets `replicas` to the environment's count and, with two or more, switches on the
    chart's PodDisruptionBudget and spreads the pods across nodes (see render/availability). A local source's
    keys patch its objects: `Deployment/<name>.spec.replicas`."""

    mode: Literal["stateless", "leader-election", "replicated"]
    replicas: list[str] = Field(min_length=1, description="dotted values paths of its replica counts")
    affinity: list[str] = Field(default_factory=list, description="dotted values paths of its pods' core/v1 Affinity")
    anti_affinity: list[str] = Field(
        default_factory=list, description="dotted values paths of a core/v1 PodAntiAffinity, for a chart that takes "
        "only that part of the Affinity")
    disruption_budget: dict[str, Any] = Field(
        default_factory=dict, description="values that switch on the chart's PodDisruptionBudget (minAvailable 1)")
    budget_pods: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="for a chart without a PodDisruptionBudget: per budget homelab writes "
        "(minAvailable 1; maxUnavailable 1 for a replicated store), its name and the labels of the pods it selects "
        "(one per workload that runs copies)")
    values: dict[str, Any] = Field(default_factory=dict,
                                   description="what else two copies need, e.g. the chart's leader election")
    odd: bool = Field(default=False, description="a quorum that needs an odd member count: an even default count "
                                                 "is raised by one (an explicit override is kept)")
    spread_by_chart: bool = Field(
        default=False, description="the chart or its operator already keeps the copies on different nodes "
        "(`confirmed` says where): no affinity is added")

    @model_validator(mode="after")
    def _spreads(self) -> Availability:
        if bool(self.disruption_budget) == bool(self.budget_pods):
            raise ValueError("availability needs exactly one of `disruption_budget` (the chart's own) and "
                             "`budget_pods` (the pods a budget homelab writes selects)")
        if not (self.affinity or self.anti_affinity or self.spread_by_chart):
            raise ValueError("availability needs `affinity` or `anti_affinity` (where the pods are spread over nodes), "
                             "or `spread_by_chart: true` when the chart spreads them itself")
        return self


class SingleCopy(Evidence):
    """A UI or operator whose chart offers a replica count or a PodDisruptionBudget, but that cannot run two
    copies safely as the catalog installs it (a single writer on a ReadWriteOnce volume, no leader election), or
    whose chart fixes it at one copy: it stays at one copy in every environment, and says why."""

    reason: str = Field(min_length=20, description="why two copies would be unsafe, naming the chart's keys")


class Instances(Evidence):
    """An operator-run store declared as a custom resource in `resources`: the fields of that resource that
    hold its member count. Render writes the environment's count there, and with two or more copies merges
    `replicated` (the operator's own replication settings, e.g. CloudNativePG's synchronous standbys)."""

    kind: str = Field(description="kind of the custom resource in the entry's `resources`")
    count: list[Annotated[str, Field(pattern=r"^(/[^/]+)+$")]] = Field(
        default_factory=list, description="JSON pointers (RFC 6901) to its member counts, e.g. /spec/instances or "
        "/spec/nodeSets/0/count")
    replicated: dict[str, Any] = Field(
        default_factory=dict, description="merged into the resource with two or more copies")
    odd: bool = Field(default=False, description="a quorum that needs an odd member count: an even default count "
                                                 "is raised by one (an explicit override is kept)")
    budget_pods: dict[str, str] = Field(
        default_factory=dict, description="for an operator that writes no PodDisruptionBudget: the labels it gives "
        "the members' pods, which a budget homelab writes beside the resource selects (maxUnavailable 1)")

    @model_validator(mode="after")
    def _does_something(self) -> Instances:
        if not self.count and not self.replicated:
            raise ValueError(f"instances of {self.kind} need `count` or `replicated`")
        return self


class Patch(Strict):
    """Merged into every resource of `kind` the entry declares: mappings merge key by key, lists append."""

    kind: str
    merge: dict[str, Any]


class TenantCredential(Strict):
    """A Secret per tenant in the store's namespace, named `<consumer>-<store>` (`${credential}`), that the
    store's mechanism reads (a managed role's password)."""

    template: dict[str, str] = Field(min_length=1, description="key -> text with ${tenant} and ${secret:...}")
    type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ProviderSecret(Strict):
    """The store's own Secret gains one entry per tenant: a key each (`key` names the tenant), or one
    JSON document whose `document` lists every tenant's `entry` where it says "${entries}"."""

    name: Name
    key: str
    entry: Any
    document: dict[str, Any] | None = None


class Tenancy(Evidence):
    """How a shared store gives each consumer its own database, user or bucket, by its own mechanism.

    Every consumer requiring one of `capabilities` from this component is a tenant. Placeholders:
    `${tenant}` (the consumer's name as an identifier, `-` -> `_`), `${consumer}`, `${credential}` (the
    name of the tenant's `credential` Secret), `${field:<name>}`
    (one of `fields`) and `${secret:<name>}` (one of `secret_fields`, read from Vault at
    `<platform>/<env>/<consumer>/<this component>` at run time, usable only inside Secrets).
    """

    capabilities: list[Capability] = Field(min_length=1)
    fields: dict[str, str] = Field(description="connection facts of one tenant: host, port, database, username...")
    secret_fields: list[str] = Field(default_factory=list, description="credentials kept in Vault per tenant")
    credential: TenantCredential | None = None
    provider_secret: ProviderSecret | None = None
    resources: list[dict[str, Any]] = Field(default_factory=list, description="per-tenant objects (a Database)")
    patches: list[Patch] = Field(default_factory=list, description="per-tenant additions to this entry's resources")
    values: dict[str, Any] = Field(default_factory=dict, description="per-tenant Helm values (lists append)")

    @model_validator(mode="after")
    def _fields_distinct(self) -> Tenancy:
        both = sorted(set(self.fields) & set(self.secret_fields))
        if both:
            raise ValueError(f"{both} are both fields and secret_fields")
        return self


class BackupWiring(Evidence):
    """What a backup provider adds for each resource of `kind` of a component whose backup method it serves
    (or, without a kind, to that component's Helm values and namespace).

    The backed-up component's tenancy of `capability` (its bucket, its credentials) is where the data goes;
    placeholders: `${name}` (the resource's name), `${namespace}`, `${schedule}` (the backup schedule)
    and `${store:<capability>/<field>}`.
    """

    method: Literal["barman", "xtrabackup", "native"]
    kind: str | None = Field(default=None, description="the kind of resource backed up (None: the chart itself)")
    capability: Capability
    merge: dict[str, Any] = Field(default_factory=dict, description="merged into the resource (lists append)")
    values: dict[str, Any] = Field(default_factory=dict, description="merged into its Helm values (lists append)")
    resources: list[dict[str, Any]] = Field(default_factory=list, description="objects beside the resource")
    secrets: list[Secret] = Field(default_factory=list, description="credentials beside the resource")


class OidcSecret(Strict):
    """The Secret its chart reads the OIDC client from, built from the client's Vault path.

    `template` maps each key to text with `${oidc_client_id}`, `${oidc_client_secret}` (read from Vault at
    run time) and the render placeholders (`${oidc_issuer}`, `${host:...}`).
    """

    name: Name
    template: dict[str, str] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict, description="labels the chart looks the Secret up by")


class OidcRedirect(Evidence):
    """Where the rendered UI holds the URL its login sends as `redirect_uri`, so it is read as rendered, never
    recomputed: a JSON pointer into one of its objects (its Application unless `object` names `Kind/name`),
    `key` a dotted path when the value there is YAML text (a Secret's provider file, a kustomize patch), and
    `append` what the UI adds to that value (Grafana's root_url + `/login/generic_oauth`)."""

    object: str | None = Field(default=None, description="`Kind/name` of the object; default its Application")
    pointer: str | None = Field(default=None, pattern=r"^/", description="JSON pointer into the object")
    patch: str | None = Field(default=None, pattern=r"^[A-Za-z]+/[-a-z0-9.]+$", description="`Kind/name` a local "
                              "source's kustomize patch targets: the value is that patch's text (its place in the "
                              "list changes with the environment)")
    key: str | None = Field(default=None, description="dotted path inside YAML text at the pointer or patch")
    append: str = ""

    @model_validator(mode="after")
    def _one_place(self) -> OidcRedirect:
        if (self.pointer is None) == (self.patch is None):
            raise ValueError("name the value by exactly one of pointer or patch")
        return self


class OidcClient(Evidence):
    """How the component logs in with the platform's OIDC provider, in its own chart's keys.

    Applied when the plan has an identity provider. Placeholders in `values`: `${oidc_issuer}`,
    `${oidc_client_id}`, `${oidc_secret}` (the Secret's name); in `ca_values` (applied when the issuer's
    certificate comes from the platform's internal CA) also `${ca_secret}`: a Secret in its namespace
    whose `ca.crt` is that CA.
    """

    secret: OidcSecret | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    ca_values: dict[str, Any] = Field(default_factory=dict)
    redirect: OidcRedirect | None = Field(default=None, description="where its rendered login holds its redirect URL")


class Scope(Evidence):
    """Whether a shared cluster installs it once (`cluster`: the host environment's, which the others use) or once
    per environment in its prefixed namespaces (`namespace`), for an entry whose other facts do not already say
    (an operator, CRDs, webhooks, a DaemonSet and a one-per-cluster capability make it `cluster`; see
    catalog/scope). `confirmed` names the upstream files read: the chart's templates at the pinned tag."""

    level: Literal["cluster", "namespace"]
    reason: str = Field(min_length=20, description="the cluster-scoped objects, host ports or singletons its chart "
                                                   "writes (cluster), or that it writes none (namespace)")


class Watches(Evidence):
    """Where an operator reconciles its custom resources as the entry installs it: every namespace (so an
    environment on a shared cluster can have its own operand in its prefixed namespace) or only its own."""

    all_namespaces: bool
    how: str = Field(min_length=10, description="the chart value, default or flag that makes it so")


LOCAL_PATCH_KEY = re.compile(r"[A-Z][A-Za-z0-9]*/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


class Component(Strict):
    name: Name
    title: str
    summary: str
    layer: Layer
    categories: list[str] = Field(min_length=1, description="design categories, first is the home one")
    design: list[DesignPlace] = Field(default_factory=list, description="where the design names this system")
    homepage: str | None = None
    license: str
    maturity: Maturity = Field(default_factory=Maturity)
    source: Source
    namespace: Name
    provides: list[Capability] = Field(default_factory=list)
    requires: list[Capability] = Field(default_factory=list)
    uses: list[Capability] = Field(default_factory=list,
                                   description="optional capabilities: wired when something provides them")
    conflicts: list[Name] = Field(default_factory=list)
    operator: bool = Field(default=False, description="installs CRDs or an operator that others consume")
    bundled_with: list[str] = Field(
        default_factory=list, description="Kubernetes distributions that already ship it (a profile skips it there)")
    arch: list[Arch] = Field(default_factory=lambda: list(ARCHES))
    footprint: Footprint = Field(default_factory=Footprint)
    pod_security: Literal["restricted", "baseline", "privileged"] = "baseline"
    pod_security_reason: str | None = None
    pod_security_confirmed: PodSecurityClaim | None = Field(
        default=None, description="evidence that its pods meet `pod_security` (required to claim restricted)")
    webhooks: list[Webhook] = Field(default_factory=list)
    kube_api: Evidence | None = Field(default=None, description="evidence that it talks to the Kubernetes API")
    operates: list[OperandFlow] = Field(default_factory=list, description="flows to the pods it operates")
    node_flows: list[NodeFlow] = Field(default_factory=list, description="host-network ports it reaches on nodes")
    extra_namespaces: list[ExtraNamespace] = Field(default_factory=list)
    values_when: list[WhenValues] = Field(default_factory=list)
    oidc: OidcClient | None = Field(default=None, description="its own OIDC login (a UI with sso: oidc), or how "
                                                               "an auth proxy trusts the issuer")
    gitops: GitOps | None = None
    ip_block_nodes: IpBlockNodes | None = Field(
        default=None, description="a CNI: how NetworkPolicy ipBlock peers come to select node addresses")
    endpoints: list[Endpoint] = Field(default_factory=list)
    metrics: Metrics | None = None
    backup: Backup = Field(default_factory=Backup)
    tenancy: list[Tenancy] = Field(default_factory=list, description="a shared store: what each consumer gets")
    backs_up: list[BackupWiring] = Field(default_factory=list, description="a backup provider: what it adds")
    secrets: list[Secret] = Field(default_factory=list)
    probe: Probe | None = None
    values: dict[str, Any] = Field(default_factory=dict, description="default Helm values, sized for a homelab")
    values_free_form: dict[str, str] = Field(
        default_factory=dict, description="dotted Helm values paths whose keys the chart's values.yaml cannot show "
        "(maps of the user's own keys, keys documented only in comments), each with the reason")
    resources: list[dict[str, Any]] = Field(
        default_factory=list, description="custom resources the component needs, e.g. the Cluster an operator runs")
    crds: Crds | None = Field(default=None, description="the CRDs its source installs, and where they live upstream")
    availability: Availability | None = Field(
        default=None, description="how it runs highly available: the chart's replicas, PDB and affinity keys")
    single_copy: SingleCopy | None = Field(
        default=None, description="why a UI or operator whose chart offers replicas or a PDB stays at one copy")
    instances: list[Instances] = Field(
        default_factory=list, description="an operator-run store: where its custom resources hold member counts")
    watches: Watches | None = Field(
        default=None, description="an operator: whether it reconciles resources in every namespace")
    scope: Scope | None = Field(
        default=None, description="installed once per shared cluster or once per environment, where its other "
                                  "facts do not say (catalog/scope)")

    def _local_values_are_patches(self) -> None:
        """A local kustomization has no Helm values: its values patch its objects, keyed `<Kind>/<name>`."""
        blocks = [self.values, *(w.values for w in self.values_when)]
        if self.oidc:
            blocks += [self.oidc.values, self.oidc.ca_values]
        bad = sorted(k for block in blocks for k, v in block.items()
                     if not LOCAL_PATCH_KEY.fullmatch(k) or not isinstance(v, dict))
        if bad:
            raise ValueError(f"a local source's values patch its objects: keys are <Kind>/<name> with a mapping "
                             f"(e.g. ConfigMap/my-config: {{data: ...}}), not {bad}")

    @staticmethod
    def _local_availability_patches(facet: Availability) -> None:
        """A local source's availability keys patch its objects too: `<Kind>/<name>.spec.replicas`."""
        paths = [*facet.replicas, *facet.affinity, *facet.anti_affinity, *facet.disruption_budget, *facet.values]
        bad = sorted(p for p in paths if not LOCAL_PATCH_KEY.fullmatch(p.split(".", 1)[0]))
        if bad:
            raise ValueError(f"a local source's availability keys start with the object they patch, "
                             f"<Kind>/<name> (e.g. Deployment/web.spec.replicas), not {bad}")

    @model_validator(mode="after")
    def _consistent(self) -> Component:
        if self.source.kind == "local":
            self._local_values_are_patches()
        if self.availability and self.source.kind not in ("helm", "oci", "local"):
            raise ValueError("availability names values keys: only a helm, oci or local source has them")
        if self.availability and self.source.kind == "local":
            self._local_availability_patches(self.availability)
        if self.availability and self.single_copy:
            raise ValueError("availability and single_copy contradict each other: keep the one the chart supports")
        if self.availability and self.footprint.per_node and not self.footprint.copies:
            raise ValueError("a per-node component that runs copies (availability) says what one copy of its "
                             "Deployments requests in `footprint.copies`, or the fit charges none of them")
        kinds = {r.get("kind") for r in self.resources}
        missing = sorted(i.kind for i in self.instances if i.kind not in kinds)
        if missing:
            raise ValueError(f"instances name kinds {missing} that are not among the entry's resources")
        if self.pod_security != "restricted" and not self.pod_security_reason:
            raise ValueError(f"pod_security '{self.pod_security}' needs a pod_security_reason")
        names = [e.name for e in self.endpoints]
        if len(names) != len(set(names)):
            raise ValueError("endpoint names must be unique")
        if self.probe and self.probe.endpoint and self.probe.endpoint not in names:
            raise ValueError(f"probe endpoint '{self.probe.endpoint}' is not one of the endpoints {names}")
        return self

    @property
    def category(self) -> str:
        return self.categories[0]


class CapabilityInfo(Strict):
    """One word of the capability vocabulary (catalog/data/capabilities.yaml)."""

    summary: str
    exclusive: bool = Field(default=False, description="at most one provider per cluster")
    bootstrap: str | None = Field(default=None, description="why its provider must run before Argo CD can (then "
                                                            "`homelab bootstrap` installs it, not an Application)")


class Bundled(Strict):
    """Something a Kubernetes distribution runs out of the box, and the server flag that turns it off."""

    name: str
    provides: list[Capability] = Field(min_length=1)
    disable: str | None = Field(default=None, description="server flag that turns it off (None: it stays)")
    detect: str | None = Field(default=None, description="name prefix of its kube-system DaemonSet or Deployment")


class Distribution(Evidence):
    """A Kubernetes distribution: what it bundles and where its API server listens (distributions.yaml)."""

    name: str
    api_server_port: int = Field(default=6443, ge=1, le=65535, description="the port behind the `kubernetes` "
                                                                           "Service that pods' egress must reach")
    bundles: list[Bundled] = Field(default_factory=list)


class ProfileNode(Strict):
    name: Name
    cpu: Cpu
    memory: Bytes
    storage: Bytes
    arch: Arch = "amd64"


class Profile(Strict):
    """A named selection of components, the default provider of each capability, and its hardware.

    `nodes` is the smallest cluster the profile is stated to fit (tests plan it there, and show
    that it fails clearly on less); `hardware` says the same in words for people.
    """

    name: Name
    summary: str
    hardware: str
    nodes: list[ProfileNode] = Field(min_length=1)
    components: list[Name]
    defaults: dict[Capability, Name] = Field(default_factory=dict,
                                             description="provider of each capability when several could serve")
