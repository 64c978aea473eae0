"""The async work the request path hands off, as a message, and the work itself."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field


class Task(BaseModel):
    """One unit of work on the queue; `trace` carries the W3C context of the request that made it."""

    task_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    kind: Literal["count-characters"] = "count-characters"
    key: str
    value: str
    trace: dict[str, str] = Field(default_factory=dict)

    def encode(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, body: bytes) -> Task:
        return cls.model_validate_json(body)


def perform(task: Task) -> dict[str, Any]:
    """Do the task's work; pure, so a redelivered task yields the same result."""
    return {"characters": len(task.value), "words": len(task.value.split())}
