"""Prometheus metrics of the web service and of the worker, each in its own registry.

Separate registries keep each process's /metrics to the families it actually updates.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

WEB = CollectorRegistry()
WORKER = CollectorRegistry()

REQUEST_SECONDS = Histogram(
    "app_request_seconds", "Time to answer an HTTP request", ["route", "method", "source", "status"], registry=WEB,
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
CACHE_HITS = Counter("app_cache_hits_total", "Item reads answered by the cache", registry=WEB)
CACHE_MISSES = Counter("app_cache_misses_total", "Item reads that had to query the database", registry=WEB)
CACHE_ERRORS = Counter("app_cache_errors_total", "Cache operations that failed after retries", registry=WEB)
TASKS_PUBLISHED = Counter("app_tasks_published_total", "Tasks handed to the queue", registry=WEB)
QUEUE_DEPTH = Gauge("app_queue_depth", "Tasks waiting in the queue, measured at scrape time", registry=WEB)

TASKS_DONE = Counter("app_tasks_processed_total", "Tasks the worker finished", ["outcome"], registry=WORKER)
TASK_SECONDS = Histogram("app_task_seconds", "Time the worker spent on one task", registry=WORKER)
