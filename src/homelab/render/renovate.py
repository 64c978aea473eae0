"""`renovate.json`: Renovate updates the rendered tree's chart pins and image tags, as pull requests on the branch.

Where each pin is written, and what reads it (proven by running Renovate 39 on the built-in example:
tests/render/test_renovate.py):
- a Helm chart in an Application's `spec.source` (`repoURL`, `chart`, `targetRevision`) in a component's
  `application.yaml` (`application-<name>.yaml`, `added-application.yaml`): Renovate's `argocd` manager, which
  has no default file pattern (docs.renovatebot.com/modules/manager/argocd). It reads an OCI chart that Argo CD
  pulls natively (`repoURL: oci://...`, no `chart`) as a Git repository, so that one is read by a regex
  instead, and the `argocd` manager's reading of it is switched off;
- an image as `image: name:tag` in an Application (a Helm value, an inline kustomize patch): the `kubernetes`
  manager, also without default files; an image as a Helm value `repository:` + `tag:`: a regex;
- `images:` of `manifests/<name>/kustomization.yaml`: the `kustomize` manager, by default;
- in `manifests/`, a pin right under a `# renovate: datasource=... depName=...` comment (a remote manifest's
  release in its URL, a container's `image: name:tag`): a regex;
- the bootstrap steps' charts (`bootstrap/<env>/steps.yaml`, homelab's own format): a regex.
Pull requests target `gitops.branch`, which only the first environment (dev) follows: staging and prod run
their promoted commit, so an update reaches them only when `homelab promote` moves them. The GitOps repository
itself (the local sources and the gate, pinned to a branch, a commit or the release placeholder) is not a
dependency to update. File patterns are `fileMatch`, which Renovate 41 renamed `managerFilePatterns` and
migrates by itself; 39 (the newest on Node 20) refuses the new name.
"""

from __future__ import annotations

import json

from homelab.config import Config

FILE = "renovate.json"
APPLICATION_FILES = r"(^|/)(added-)?application(-[^/]+)?\.yaml$"  # layout's names for Application files
LOCAL_MANIFESTS = r"(^|/)manifests/.+\.yaml$"
BOOTSTRAP_STEPS = r"(^|/)bootstrap/[^/]+/steps\.yaml$"
ANNOTATION = r"# renovate: datasource=(?<datasource>\S+) depName=(?<depName>\S+)\n"
VERSION = r"\"?(?<currentValue>[^\"\s]+)\"?"

CUSTOM_MANAGERS: list[dict[str, object]] = [
    {
        "customType": "regex",
        "description": "an OCI chart Argo CD pulls natively: repoURL oci://<registry>/<path>, no chart",
        "fileMatch": [APPLICATION_FILES],
        "matchStrings": [r"repoURL: oci://(?<depName>\S+)\n\s+targetRevision: " + VERSION],
        "datasourceTemplate": "docker",
    },
    {
        "customType": "regex",
        "description": "an image as a Helm value: repository and tag side by side (keys are written sorted)",
        "fileMatch": [APPLICATION_FILES],
        "matchStrings": [r"\brepository: (?<depName>\S+)\n\s+tag: " + VERSION],
        "datasourceTemplate": "docker",
    },
    {
        "customType": "regex",
        "description": "a `# renovate:` comment right above the pin: a remote manifest's URL (its version segment)"
                       " or a container's `image: name:tag`",
        "fileMatch": [LOCAL_MANIFESTS],
        "matchStrings": [ANNOTATION + r"\s*- https://\S+?/(?<currentValue>v?\d+\.\d+[^/\s]*)/",
                         ANNOTATION + r"\s*image: \S+:(?<currentValue>[^\s:/]+)\s"],
    },
    {
        "customType": "regex",
        "description": "a bootstrap step's chart (helm keys chart, namespace, release, repo, values, version)",
        "fileMatch": [BOOTSTRAP_STEPS],
        "matchStrings": [r"chart: (?<depName>\S+)\n(\s+\w+: .*\n)*?\s+repo: (?<registryUrl>https://\S+)\n"
                         r"(\s+\w+: .*\n)*?\s+version: " + VERSION],
        "datasourceTemplate": "helm",
    },
]


def config(cfg: Config) -> dict[str, object]:
    return {
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "extends": ["config:recommended"],
        "baseBranches": [cfg.gitops.branch],
        "argocd": {"fileMatch": [APPLICATION_FILES]},
        "kubernetes": {"fileMatch": [APPLICATION_FILES]},
        "customManagers": CUSTOM_MANAGERS,
        "ignoreDeps": [cfg.gitops.repo_url],
        "packageRules": [{
            "description": "the argocd manager reads an oci:// source without chart as Git; a regex reads it",
            "matchManagers": ["argocd"], "matchDatasources": ["git-tags"], "matchDepNames": ["/^oci://.+/"],
            "enabled": False,
        }],
    }


def file(cfg: Config) -> bytes:
    return (json.dumps(config(cfg), indent=2) + "\n").encode("utf-8")
