"""Every knob of the app, read from the environment only (12-factor), so Kubernetes wires it by env.

Each field maps to `APP_<FIELD>` (e.g. `database_url` <- `APP_DATABASE_URL`). OpenTelemetry uses its own
standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`), read by the SDK itself.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
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
    host: str = Field(default="127.0.0.1", description="address the web API and the worker's /metrics "
                                                        "listen on (the image sets 0.0.0.0)")
    port: int = Field(default=8080, ge=1, le=65535, description="web: HTTP port (API, probes and /metrics)")
    metrics_port: int = Field(default=9090, ge=1, le=65535, description="worker: port of its /metrics")
    max_key_bytes: int = Field(default=256, ge=1, le=2048, description="longest item key, in UTF-8 bytes")
    max_value_bytes: int = Field(default=65536, ge=1, le=1 << 20, description="longest item value, UTF-8 bytes")
    max_body_bytes: int = Field(default=262144, ge=1024, le=4 << 20, description="largest request body")
    max_connections: int = Field(default=256, ge=8, description="web: connections and requests at once "
                                                                 "before new ones get 503")
    write_rate: float = Field(default=20.0, gt=0, description="writes (PUT, DELETE) a second per client")
    write_burst: int = Field(default=40, ge=1, description="writes a client may make at once above the rate")
    cache_timeout_seconds: float = Field(default=0.25, gt=0, description="one Redis call gives up after")
    cache_breaker_failures: int = Field(default=3, ge=1, description="Redis failures in a row that take the "
                                                                     "cache out of the request path")
    cache_breaker_seconds: float = Field(default=5.0, gt=0, description="how long the cache stays out")
    oidc_issuer: str = Field(default="", description="OIDC issuer whose bearer tokens the API accepts")
    oidc_audience: str = Field(default="", description="the `aud` those tokens must carry (a client id)")
    insecure_no_auth: bool = Field(default=False, description="serve beyond loopback without tokens")
    docs: bool = Field(default=False, description="serve /docs and /openapi.json")
    shutdown_seconds: float = Field(default=20.0, gt=0, description="SIGTERM waits this for in-flight work")
    log_level: str = Field(default="INFO", description="Python log level name")

    @field_validator("table_prefix")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if value and not _IDENT.match(value):
            raise ValueError("table_prefix must be lower-case letters, digits and underscores")
        return value

    @model_validator(mode="after")
    def _login_beyond_loopback(self) -> Settings:
        """Beyond loopback the API needs tokens from the platform's issuer, unless explicitly open."""
        if bool(self.oidc_issuer) != bool(self.oidc_audience):
            raise ValueError("set both oidc_issuer and oidc_audience, or neither")
        if not self.oidc_issuer and not self.insecure_no_auth and not is_loopback(self.host):
            raise ValueError(f"host {self.host} is reachable beyond this machine: set APP_OIDC_ISSUER and "
                             "APP_OIDC_AUDIENCE, or APP_INSECURE_NO_AUTH=true for an open API")
        return self

    @property
    def items_table(self) -> str:
        return f"{self.table_prefix}items"

    @property
    def tasks_table(self) -> str:
        return f"{self.table_prefix}tasks"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
