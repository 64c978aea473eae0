"""`renovate.json`: Renovate updates the rendered tree's chart pins and image tags, as pull requests on the branch.

Every Helm chart is pinned where a person reads it, in an Application's `spec.source` (`repoURL`, `chart`,
`targetRevision`) in a component's `application.yaml` (`application-<name>.yaml` when layout gives each
Application its own file, `added-application.yaml` beside an environment's patches); Renovate's `argocd`
manager reads exactly that, but only in files it is told to (it has no default file pattern:
docs.renovatebot.com/modules/manager/argocd).
Image tags of our own packaged kustomizations are `images:` entries of `manifests/<name>/kustomization.yaml`,
which the `kustomize` manager reads by default. Pull requests target `gitops.branch`, which only the first
environment (dev) follows: staging and prod run their promoted commit, so an update reaches them only when
`homelab promote` moves them. The GitOps repository itself (the local sources and the gate, pinned to a
branch, a commit or the release placeholder) is not a dependency to update.
"""

from __future__ import annotations

import json

from homelab.config import Config

FILE = "renovate.json"
APPLICATION_FILES = r"/(^|/)(added-)?application(-[^/]+)?\.yaml$/"  # layout's names for Application files


def config(cfg: Config) -> dict[str, object]:
    return {
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "extends": ["config:recommended"],
        "baseBranches": [cfg.gitops.branch],
        "argocd": {"managerFilePatterns": [APPLICATION_FILES]},
        "ignoreDeps": [cfg.gitops.repo_url],
    }


def file(cfg: Config) -> bytes:
    return (json.dumps(config(cfg), indent=2) + "\n").encode("utf-8")
