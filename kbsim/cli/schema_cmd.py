"""`kbsim schema`: the JSON Schema of kbsim's file formats."""

from __future__ import annotations

import json
import sys

import typer

from ..errors import InputError
from .root import app

FORMATS = ("model", "capture")


@app.command("schema")
def schema_cmd(
    kind: str = typer.Argument("model", help="Which format: model (TOML tree models) or "
                                             "capture (captured build trees)."),
) -> None:
    """Print the JSON Schema of a kbsim file format."""
    if kind == "model":
        from ..tree.model import TreeModel
        schema = TreeModel.model_json_schema()
    elif kind == "capture":
        try:
            from ..tree.capture_format import Capture  # type: ignore[attr-defined]
        except ImportError:
            raise InputError("the capture format is not available in this build") from None
        schema = Capture.model_json_schema()
    else:
        raise InputError(f"unknown format {kind!r}; expected one of {', '.join(FORMATS)}")
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")
