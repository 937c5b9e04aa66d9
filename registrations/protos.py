"""Regenerate the committed gRPC/protobuf stubs (``make protos``).

Sources live in ``registrations/proto/wgtwo/…`` under their upstream file names, so the
descriptors we register carry the same names as the operator's (``wgtwo/sipbreakout/v1/…``).
protoc writes ``wgtwo/…_pb2.py`` with absolute ``wgtwo.*`` imports; we move the output under
``registrations/wgtwo/`` and rewrite those imports to ``registrations.wgtwo.*`` so the stubs
import as ``from registrations.wgtwo.sipbreakout.v1 import sipbreakout_pb2``.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROTO_ROOT = PACKAGE_DIR / "proto"
STUB_ROOT = PACKAGE_DIR / "wgtwo"

#: ``from wgtwo.x import y`` / ``import wgtwo.x`` at the start of a generated line.
_IMPORT = re.compile(r"^(from|import) wgtwo\.", re.MULTILINE)


def proto_files() -> list[Path]:
    """Every .proto source, relative to :data:`PROTO_ROOT`, in a stable order."""
    return sorted(p.relative_to(PROTO_ROOT) for p in PROTO_ROOT.rglob("*.proto"))


def rewrite_imports(text: str) -> str:
    """Point generated ``wgtwo.*`` imports at ``registrations.wgtwo.*``."""
    return _IMPORT.sub(r"\1 registrations.wgtwo.", text)


def generate(out_root: Path = STUB_ROOT) -> list[Path]:
    """Run protoc (grpcio-tools) on every source; return the files written under ``out_root``."""
    from grpc_tools import protoc

    well_known = resources.files("grpc_tools") / "_proto"
    import google.api.annotations_pb2  # googleapis-common-protos: google/api/*.proto

    google_api = Path(google.api.annotations_pb2.__file__).parents[2]
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"-I{google_api}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *(str(p) for p in proto_files()),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed: " + " ".join(args))
        generated = Path(tmp) / "wgtwo"
        if out_root.exists():
            shutil.rmtree(out_root)
        for src in sorted(generated.rglob("*")):
            if src.is_dir():
                continue
            dst = out_root / src.relative_to(generated)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(rewrite_imports(src.read_text()))
            written.append(dst)
    packages = {d for p in written for d in p.parents if d.is_relative_to(out_root)}
    for directory in sorted(packages):
        init = directory / "__init__.py"
        init.write_text('"""Generated wgtwo stubs (``make protos``); do not edit."""\n')
        written.append(init)
    return written


def main() -> int:
    for path in generate():
        print(path.relative_to(PACKAGE_DIR.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
