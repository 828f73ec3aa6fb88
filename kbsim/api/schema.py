"""What the API's result models share: a strict base and the engines count."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A result record. Strict: a field the report layer adds to ``--json`` and the API
    does not know is an error (tests/test_api.py), so the two cannot drift apart."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict:
        """The record as the CLI's ``--json`` prints it (plain dicts and lists)."""
        return self.model_dump(mode="json", by_alias=True)


class Engines(Record):
    """Make processes run by each tier (docs/plan-tier.md)."""

    plan: int = 0
    faithful: int = 0
