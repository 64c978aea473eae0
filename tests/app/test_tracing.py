"""Traces reach an OTLP/HTTP receiver, and the worker's span joins the trace of the request that queued it.

The receiver is a plain HTTP server decoding the protobuf export requests: the app's real exporter,
batch processor and propagation all run, in real web and worker processes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

pytestmark = pytest.mark.servers
Span = tuple[str, str, str]  # service name, span name, trace id (hex)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[Span]]]:
    spans: list[Span] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            export = ExportTraceServiceRequest.FromString(body)
            for resource_spans in export.resource_spans:
                service = next(a.value.string_value for a in resource_spans.resource.attributes
                               if a.key == "service.name")
                for scope in resource_spans.scope_spans:
                    spans.extend((service, s.name, s.trace_id.hex()) for s in scope.spans)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", spans
    server.shutdown()


def test_request_and_task_share_one_trace(app_env, workers, webs, receiver) -> None:
    endpoint, spans = receiver
    env = app_env()
    env.update({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"})
    web = webs(env)
    base = web.base
    httpx.put(f"{base}/items/traced", json={"value": "follow me"})
    task_id = httpx.get(f"{base}/items/traced").json()["task_id"]
    worker = workers(env)
    line = json.loads(worker.wait_for(f'"task started", "task_id": "{task_id}"'))
    worker.wait_for(f'"task done", "task_id": "{task_id}"')
    assert worker.stop() == 0
    web.stop()  # flushes the web's last spans

    web_spans = {name: trace for service, name, trace in spans if service == "request-path-app"}
    request_trace = web_spans["GET /items/{key}"]
    assert {"cache get", "db select", "queue publish"} <= set(web_spans)
    assert web_spans["queue publish"] == request_trace
    task_spans = [trace for service, name, trace in spans
                  if (service, name) == ("request-path-app-worker", "task count-characters")]
    assert task_spans == [request_trace]
    assert line["trace_id"] == request_trace  # the worker's log line leads to the same trace
