"""Copy the browser libraries the site serves itself (from node_modules) into the built site.

Pages make no request to another host, so KaTeX and onnxruntime-web are installed by
`npm ci` from the committed lockfile and copied here at build time. Only the files the pages
use are copied: onnxruntime-web alone ships hundreds of megabytes of builds we do not need.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"


class VendorAssetsMissing(RuntimeError):
    """node_modules lacks a package the site serves; the message says what to run."""


@dataclass(frozen=True)
class VendorFile:
    """One file or folder of an npm package to serve from the site.

    ``dest`` is relative to the site root; ``{version}`` in it becomes the installed version, so a
    new release gets a new URL and browsers never mix cached files of two versions.
    """

    package: str
    src: str
    dest: str


VENDOR_FILES: tuple[VendorFile, ...] = (
    VendorFile("katex", "dist/katex.min.js", "assets/vendor/katex/katex.min.js"),
    VendorFile("katex", "dist/katex.min.css", "assets/vendor/katex/katex.min.css"),
    VendorFile("katex", "dist/fonts", "assets/vendor/katex/fonts"),
    VendorFile(
        "katex", "dist/contrib/auto-render.min.js", "assets/vendor/katex/contrib/auto-render.min.js"
    ),
    # onnxruntime-web, WASM backend only: the ES-module API plus the single-file SIMD build it
    # loads. The demos set `ort.env.wasm.wasmPaths` to this folder, whose name must match
    # ORT_VERSION in docs/assets/demos/runtime.js (a test checks both against package.json).
    *(
        VendorFile(
            "onnxruntime-web", f"dist/{name}", f"assets/vendor/onnxruntime-web-{{version}}/{name}"
        )
        for name in (
            "ort.wasm.min.mjs",
            "ort-wasm-simd-threaded.mjs",
            "ort-wasm-simd-threaded.wasm",
        )
    ),
    # fflate (MIT): reads a reader's own model folder zipped into one .zip, in the browser
    # (docs/assets/demos/own-model.js imports it from this folder).
    VendorFile("fflate", "esm/browser.js", "assets/vendor/fflate-{version}/fflate.mjs"),
)


def package_version(package: str, node_modules: Path = NODE_MODULES) -> str:
    """The installed version of an npm package, read from its package.json."""
    manifest = node_modules / package / "package.json"
    if not manifest.is_file():
        raise VendorAssetsMissing(
            f"npm package '{package}' is not installed in {node_modules}; run `npm ci` in the "
            "repository root (Node.js 18+ with npm is needed) or use `nox -s serve`."
        )
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def copy_vendor(site_dir: Path, node_modules: Path = NODE_MODULES) -> list[Path]:
    """Copy every ``VENDOR_FILES`` entry into ``site_dir``; returns the destinations."""
    copied = []
    for item in VENDOR_FILES:
        version = package_version(item.package, node_modules)
        src = node_modules / item.package / item.src
        dest = site_dir / item.dest.format(version=version)
        if not src.exists():
            raise VendorAssetsMissing(
                f"{src} is missing from npm package '{item.package}' {version}; "
                "run `npm ci` to restore node_modules from package-lock.json."
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
        copied.append(dest)
    return copied
