"""The group a directory's objects belong to (model files may name it; captures infer it).

Its own module so that replaying a build directory does not import the model-file
reader (pydantic models and tomllib: ~70 ms of a ~1.7 s replay) for one function.
"""

from __future__ import annotations


def infer_group(path: str) -> str:
    """The group of a directory by its top component (arch/*/lib counts as libs)."""
    top = path.split("/")[0]
    if top == "init":
        return "init"
    if top == "drivers" or top == "sound":
        return "drivers"
    if top == "net":
        return "net"
    if top == "virt":
        return "virt"
    if top == "lib" or (top == "arch" and path.rstrip("/").endswith("/lib")):
        return "libs"
    return "core"
