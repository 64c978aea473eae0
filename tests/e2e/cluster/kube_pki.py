"""Certificates and kubeconfigs for one run of the test control plane, made with openssl.

A fresh CA per run signs a serving certificate for the API server (its loopback and in-cluster
names) and for etcd, and one client certificate per user; the subject's CN and O are the user
and group that RBAC sees. The service-account key pair signs and verifies tokens.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

P256 = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7")
IN_CLUSTER = ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
# user -> certificate subject; each of these gets a kubeconfig
USERS = {
    "admin": "/O=system:masters/CN=homelab-admin",
    "viewer": "/O=homelab:viewers/CN=homelab-viewer",  # bound to ClusterRole `view` by `kube up`
    "controller-manager": "/CN=system:kube-controller-manager",
    "scheduler": "/CN=system:kube-scheduler",
    "kwok": "/O=system:masters/CN=kwok",  # it writes the status of every node and pod
}


def openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def issue(pki: Path, name: str, subject: str, usage: str, names: str = "") -> None:
    """A P-256 key and a certificate signed by the run's CA, valid for a week."""
    extensions = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature",
                  f"extendedKeyUsage={usage}"] + ([f"subjectAltName={names}"] if names else [])
    openssl("req", "-x509", *P256, "-subj", subject, "-keyout", pki / f"{name}.key", "-out", pki / f"{name}.crt",
            "-CA", pki / "ca.crt", "-CAkey", pki / "ca.key", *(x for e in extensions for x in ("-addext", e)))


def make_pki(pki: Path, service_ip: str) -> None:
    pki.mkdir(parents=True)
    openssl("req", "-x509", *P256, "-subj", "/CN=homelab-test-ca", "-keyout", pki / "ca.key",
            "-out", pki / "ca.crt", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
    local = "IP:127.0.0.1,DNS:localhost"
    issue(pki, "apiserver", "/CN=kube-apiserver", "serverAuth",
          ",".join([local, f"IP:{service_ip}", *(f"DNS:{n}" for n in IN_CLUSTER)]))
    issue(pki, "etcd", "/CN=etcd", "serverAuth,clientAuth", local)
    issue(pki, "apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", "clientAuth")
    for user, subject in USERS.items():
        issue(pki, user, subject, "clientAuth")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pki / "sa.key")
    openssl("pkey", "-in", pki / "sa.key", "-pubout", "-out", pki / "sa.pub")


def write_kubeconfig(path: Path, pki: Path, server: str, user: str) -> None:
    """A self-contained kubeconfig (certificates inline) for one of the run's users."""
    def data(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()

    config = {"apiVersion": "v1", "kind": "Config", "current-context": "homelab-test",
              "clusters": [{"name": "homelab-test", "cluster": {"server": server,
                                                                 "certificate-authority-data": data("ca.crt")}}],
              "users": [{"name": user, "user": {"client-certificate-data": data(f"{user}.crt"),
                                                "client-key-data": data(f"{user}.key")}}],
              "contexts": [{"name": "homelab-test", "context": {"cluster": "homelab-test", "user": user}}]}
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
