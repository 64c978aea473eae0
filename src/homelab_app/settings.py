"""Every knob of the app, read from the environment only (12-factor), so Kubernetes wires it by env.

Each field maps to `APP_<FIELD>` (e.g. `database_url` <- `APP_DATABASE_URL`). OpenTelemetry uses its own
standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`), read by the SDK itself.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class Settings(BaseSettings):
    """The app's configuration; defaults fit the loopback servers of a development machine."""

    model_config = SettingsConfigDict(env_prefix="APP_", frozen=True, extra="ignore")

    database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/test",
                              description="libpq connection URI of the PostgreSQL database")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL of the cache")
    queue_backend: Literal["rabbitmq", "nats", "kafka"] = Field(default=
        "rabbitmq", description="which broker carries tasks: rabbitmq (AMQP), nats (JetStream) or kafka")
    queue_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/",
                           description="amqp://... for rabbitmq, nats://... for nats, host:port[,host:port] "
                                       "bootstrap servers for kafka")
    queue_name: str = Field(default="app-tasks", pattern=r"^[A-Za-z0-9][-A-Za-z0-9_]{0,100}$",
                            description="RabbitMQ queue, NATS stream/subject, or Kafka topic name")
    table_prefix: str = Field(default="", description="prefix of the items and tasks table names")
    cache_prefix: str = Field(default="item:", description="prefix of the Redis keys the cache writes")
    cache_ttl_seconds: int = Field(default=300, ge=1, description="how long a cached item lives")
    ack_wait_seconds: float = Field(default=30.0, gt=0, description="NATS: redeliver unacked tasks after")
    work_seconds: float = Field(default=0.0, ge=0, description="extra time each task takes (demos)")
    connect_timeout_seconds: float = Field(default=60.0, gt=0, description="give up connecting after")
    operation_attempts: int = Field(default=4, ge=1, description="tries of one database or cache operation")
    host: str = Field(default="0.0.0.0", description="web: address to listen on")
    port: int = Field(default=8080, ge=1, le=65535, description="web: HTTP port (API, probes and /metrics)")
    metrics_port: int = Field(default=9090, ge=1, le=65535, description="worker: port of its /metrics")
    shutdown_seconds: float = Field(default=20.0, gt=0, description="SIGTERM waits this for in-flight work")
    log_level: str = Field(default="INFO", description="Python log level name")

    @field_validator("table_prefix")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if value and not _IDENT.match(value):
            raise ValueError("table_prefix must be lower-case letters, digits and underscores")
        return value

    @property
    def items_table(self) -> str:
        return f"{self.table_prefix}items"

    @property
    def tasks_table(self) -> str:
        return f"{self.table_prefix}tasks"
