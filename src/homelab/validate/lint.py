"""Policy lint: each rule has an id, a reason and a fix, and looks at the objects as data."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from homelab.validate.findings import Finding, json_path


@dataclass(frozen=True)
class Doc:
    """One Kubernetes object and where it was read."""

    file: str
    index: int
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace", ""))

    def finding(self, rule: str, path: list[Any], message: str, fix: str) -> Finding:
        return Finding(rule, self.file, self.index, json_path(path), message, fix, self.kind, self.name)


WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
EXACT_VERSION = re.compile(r"^v?[0-9]+(\.[0-9]+){1,3}([-+.][0-9A-Za-z.-]+)?$|^[0-9a-f]{40}$")


def _pod_spec(doc: Doc) -> tuple[list[Any], dict[str, Any]] | None:
    spec = doc.obj.get("spec") or {}
    if doc.kind == "Pod":
        return ["spec"], spec
    if doc.kind in WORKLOADS:
        return ["spec", "template", "spec"], (spec.get("template") or {}).get("spec") or {}
    if doc.kind == "CronJob":
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return ["spec", "jobTemplate", "spec", "template", "spec"], tmpl.get("spec") or {}
    return None


def _containers(doc: Doc) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    found = _pod_spec(doc)
    if found is None:
        return
    base, pod = found
    for field in ("initContainers", "containers"):
        for i, container in enumerate(pod.get(field) or []):
            yield [*base, field, i], container


def requests_set(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """Without requests the scheduler cannot place pods and the planner's fit means nothing."""
    for doc in docs:
        for path, container in _containers(doc):
            requests = (container.get("resources") or {}).get("requests") or {}
            missing = [r for r in ("cpu", "memory") if r not in requests]
            if missing:
                yield doc.finding("requests-set", [*path, "resources", "requests"],
                                  f"container '{container.get('name')}' has no {' or '.join(missing)} request",
                                  "set resources.requests.cpu and .memory")


def images_pinned(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """A floating tag makes a re-sync pull different code than was reviewed."""
    for doc in docs:
        for path, container in _containers(doc):
            image = str(container.get("image", ""))
            name_part = image.rsplit("/", 1)[-1]
            if "@sha256:" in image:
                continue
            if ":" not in name_part or name_part.endswith(":latest"):
                yield doc.finding("images-pinned", [*path, "image"], f"image '{image}' is not pinned",
                                  "use an exact tag such as :1.2.3, or a @sha256: digest")


def pod_security_labels(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """Pod Security Admission enforces nothing on a namespace without its label."""
    for doc in docs:
        if doc.kind != "Namespace":
            continue
        labels = (doc.obj.get("metadata") or {}).get("labels") or {}
        if "pod-security.kubernetes.io/enforce" not in labels:
            yield doc.finding("pod-security-labels", ["metadata", "labels"],
                              f"namespace '{doc.name}' has no pod-security.kubernetes.io/enforce label",
                              "label it restricted, or baseline/privileged with the reason in an annotation")


def _ingress_tls(doc: Doc) -> Iterator[Finding]:
    spec = doc.obj.get("spec") or {}
    covered = {h for tls in spec.get("tls") or [] for h in tls.get("hosts") or []}
    for i, rule in enumerate(spec.get("rules") or []):
        host = rule.get("host")
        if host and host not in covered:
            yield doc.finding("tls-everywhere", ["spec", "rules", i, "host"], f"host '{host}' is served without TLS",
                              "add it to spec.tls[].hosts with a cert-manager certificate secret")


def tls_everywhere(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """Every exposed endpoint is on TLS: Ingress hosts in spec.tls, HTTPRoutes on HTTPS listeners."""
    https = {(d.namespace, d.name, listener.get("name")): listener.get("protocol") == "HTTPS"
             for d in docs if d.kind == "Gateway" for listener in (d.obj.get("spec") or {}).get("listeners") or []}
    for doc in docs:
        if doc.kind == "Ingress":
            yield from _ingress_tls(doc)
        elif doc.kind == "HTTPRoute":
            for i, ref in enumerate((doc.obj.get("spec") or {}).get("parentRefs") or []):
                key = (ref.get("namespace", doc.namespace), ref.get("name"), ref.get("sectionName"))
                if not https.get(key, False):
                    yield doc.finding("tls-everywhere", ["spec", "parentRefs", i],
                                      f"route is not attached to an HTTPS listener ({key[1]}/{key[2]})",
                                      "attach it to a Gateway listener with protocol HTTPS and a certificate")


def no_secret_data(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """Secrets in Git are secrets leaked; they come from Vault through ExternalSecrets."""
    for doc in docs:
        if doc.kind == "Secret":
            for field in ("data", "stringData"):
                if doc.obj.get(field):
                    yield doc.finding("no-secret-data", [field], f"Secret '{doc.name}' carries literal {field}",
                                      "replace it with an ExternalSecret that reads the value from Vault")


def default_deny(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """A namespace without default deny lets every pod talk to it."""
    denied = set()
    for doc in docs:
        spec = doc.obj.get("spec") or {}
        if (doc.kind == "NetworkPolicy" and spec.get("podSelector") == {} and not spec.get("ingress")
                and "Ingress" in (spec.get("policyTypes") or [])):
            denied.add(doc.namespace)
    for doc in docs:
        if doc.kind == "Namespace" and doc.name not in denied:
            yield doc.finding("default-deny", ["metadata", "name"],
                              f"namespace '{doc.name}' has no default-deny NetworkPolicy",
                              "add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress]")


def applications_pinned(docs: list[Doc], context: dict[str, Any]) -> Iterator[Finding]:
    """An Application that follows a branch or a range installs whatever upstream ships next."""
    own_repo = context.get("gitops_repo")
    for doc in docs:
        if doc.kind != "Application":
            continue
        spec = doc.obj.get("spec") or {}
        sources: list[tuple[list[Any], dict[str, Any]]] = [(["spec", "sources", i], s) for i, s in
                                                           enumerate(spec.get("sources") or [])]
        if "source" in spec:
            sources.insert(0, (["spec", "source"], spec["source"]))
        for path, source in sources:
            if own_repo and source.get("repoURL") == own_repo:
                continue  # the platform's own repository is tracked by branch on purpose
            revision = str(source.get("targetRevision", ""))
            if not EXACT_VERSION.match(revision):
                yield doc.finding("applications-pinned", [*path, "targetRevision"],
                                  f"source {source.get('repoURL')} is not pinned (targetRevision '{revision}')",
                                  "pin an exact chart version, Git tag or commit")


RULES: list[Callable[[list[Doc], dict[str, Any]], Iterator[Finding]]] = [
    requests_set, images_pinned, pod_security_labels, tls_everywhere, no_secret_data, default_deny,
    applications_pinned,
]


def lint(docs: list[Doc], context: dict[str, Any]) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(docs, context)]
