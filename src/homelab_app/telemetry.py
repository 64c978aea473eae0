"""OpenTelemetry traces over OTLP/HTTP, switched on by the standard OTEL_EXPORTER_OTLP_ENDPOINT.

Without that variable the API stays a no-op, so spans in the code cost next to nothing. Task messages
carry the W3C trace context, so the worker's span joins the trace of the request that queued it.
"""

from __future__ import annotations

import os

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

tracer = trace.get_tracer("homelab_app")


def setup_tracing(default_service: str) -> TracerProvider | None:
    """Install an exporting tracer provider when an OTLP endpoint is configured; return it to shut down."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", default_service)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def inject_context() -> dict[str, str]:
    """The current trace context as message headers (empty when no span is recording)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(carrier: dict[str, str]) -> object:
    return propagate.extract(carrier)
