"""Reference workload: the design's request path (cache, database, queue, worker) as a real service.

The web service (`homelab-app`) answers item requests from Redis or PostgreSQL and hands async work to
a queue; the worker (`homelab-app-worker`) does that work and records the result. Both are configured
only by environment variables (see `settings.py`), so the same image runs anywhere the platform wires it.
"""
