"""What went wrong talking to the API server, as one line and the exit code that names the cause.

401 is exit 4, 403 exit 5 (except a namespace being deleted, which RBAC cannot fix: exit 7),
409 on apply exit 6; unreachable, TLS failures, 429/5xx after every retry and anything that is
not a Kubernetes API server at all (a web server, a proxy, a wrong port) are exit 3.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
import msgspec
from lightkube import ApiError

from homelab.cluster.transport import KubeTransport, TLSFailure, retried
from homelab.errors import ExitCode, HomelabError, cluster_error


@dataclass(frozen=True)
class Where:
    server: str
    context: str
    transport: KubeTransport


def is_status(response: httpx2.Response) -> bool:
    """Whether an error answer is a Kubernetes Status (or the API server's plain 404 for unknown paths)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            return response.json().get("kind") == "Status"
        except (ValueError, AttributeError):
            return False
    return response.status_code == 404 and response.text.strip() == "404 page not found"


def cause(response: httpx2.Response) -> str | None:
    """The first `details.causes[].reason` of a Status (e.g. NamespaceTerminating)."""
    try:
        causes = ((response.json().get("details") or {}).get("causes") or [])
    except (ValueError, AttributeError):
        return None
    return next((str(c.get("reason")) for c in causes if isinstance(c, dict) and c.get("reason")), None)


def status_message(error: httpx2.HTTPStatusError) -> str:
    if isinstance(error, ApiError) and error.status.message:
        return str(error.status.message)
    try:
        return str(error.response.json().get("message") or error.response.text)
    except ValueError:
        return error.response.text.strip() or error.response.reason_phrase


def not_kubernetes(where: Where, what: str) -> HomelabError:
    return cluster_error(ExitCode.UNREACHABLE, f"{where.server} (context {where.context}) is not a Kubernetes API "
                         f"server: {what}", "the address or port is probably wrong (a proxy, a web server?); "
                         "fix the kubeconfig's server")


def translate(exc: httpx2.HTTPStatusError, doing: str, where: Where) -> HomelabError:
    code, message = exc.response.status_code, status_message(exc)
    if not is_status(exc.response):
        kind = exc.response.headers.get("content-type") or "no content type"
        return not_kubernetes(where, f"it answered HTTP {code} ({kind}) while {doing}")
    if code == 401:
        return cluster_error(ExitCode.UNAUTHORIZED,
                             f"the API server rejected the credentials of context {where.context} while {doing} "
                             f"(401 Unauthorized: {message})",
                             "they have probably expired; refresh the kubeconfig from your cluster")
    if code == 403 and cause(exc.response) == "NamespaceTerminating":
        return cluster_error(ExitCode.TIMEOUT, f"the namespace is being deleted while {doing}: {message}",
                             "wait until it is gone (kubectl get namespace) and re-run; this is not RBAC")
    if code == 403:
        return cluster_error(ExitCode.FORBIDDEN, f"not allowed while {doing}: {message}",
                             "the kubeconfig user needs RBAC rights for this (homelab needs cluster-admin "
                             "to install CRDs and namespaces)")
    if code == 409:
        return cluster_error(ExitCode.CONFLICT, f"conflict while {doing}: {message}",
                             "another field manager owns these fields; change them there, or re-run with "
                             "--force-conflicts to take them over")
    if retried(exc.response):
        return cluster_error(ExitCode.UNREACHABLE, f"the API server kept answering {code} while {doing} for "
                             f"{where.transport.policy.budget:.0f}s: {message}",
                             "it is overloaded or unhealthy; retry later or raise --timeout")
    return cluster_error(ExitCode.FINDINGS, f"the API server refused {doing} ({code}: {message})")


def _transport_reason(exc: httpx2.TransportError) -> str:
    if isinstance(exc, httpx2.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    return str(exc) or type(exc).__name__


@contextmanager
def translated(where: Where, doing: str) -> Iterator[None]:
    """Every failure of the block as one HomelabError."""
    try:
        yield
    except httpx2.HTTPStatusError as exc:
        raise translate(exc, doing, where) from None
    except TLSFailure as exc:
        raise cluster_error(ExitCode.UNREACHABLE, f"cannot talk to the Kubernetes API server {where.server} "
                            f"(context {where.context}) while {doing}: {exc}",
                            "check the kubeconfig's server address, port and certificate-authority") from None
    except httpx2.TransportError as exc:
        after = (f" (still failing after retrying for {where.transport.policy.budget:.0f}s)"
                 if where.transport.contacted else "")
        raise cluster_error(ExitCode.UNREACHABLE,
                            f"cannot reach the Kubernetes API server {where.server} (context {where.context}) "
                            f"while {doing}: {_transport_reason(exc)}{after}",
                            "check that the cluster is running and the kubeconfig's server address") from None
    except (ValueError, KeyError, TypeError, msgspec.MsgspecError) as exc:
        # lightkube reading a body that is not a Kubernetes object (an HTML page, a proxy's JSON)
        raise not_kubernetes(where, f"an answer that is not a Kubernetes object while {doing} "
                                    f"({type(exc).__name__})") from None


@contextmanager
def credential_errors() -> Iterator[None]:
    """Errors of building the connection (a CA that is not PEM, say) as exit 4 with the reason."""
    try:
        yield
    except ssl.SSLError as exc:
        raise cluster_error(ExitCode.UNAUTHORIZED, f"the kubeconfig's certificates cannot be used: {exc}",
                            "refresh the kubeconfig from your cluster") from None
