"""Which German an output ``<unk>`` becomes: decode once, score every rule on the same outputs.

The translator writes ``<unk>`` where the German word it wants is outside its vocabulary; the
decoder replaces it by the German for the English word it attends to most (Luong et al. 2015),
looked up in a dictionary, or copies that English word where the dictionary lacks it. The rule
changes nothing in the weights or the search, so each split is translated once (greedy and
beam 5, the published weights) and every rule rewrites the same ``<unk>`` slots:

- ``copy``: the attended English word, lowercase as the model reads it (no dictionary);
- ``vocabulary``: the lookup baseline's German for English words of the model's source
  vocabulary, else copied (the first published rule);
- ``vocabulary, as written``: the same, but a word it lacks is copied as typed ("Tom");
- ``table``: the whole lookup table (every one-word entry of the Ding dictionary), else copied;
- ``table, as written``: the whole table, else the English word copied as typed ("Tom", not
  "tom");
- ``table, names kept``: as written, and a capitalised word inside the sentence is copied as
  typed even where the table has it ("Bill" stays, instead of "Rechnung").

Scores are sacrebleu BLEU and chrF of cased text, as everywhere for this model. The
validation split chose the rule (``CHOSEN``, now `rnn_site.decoding.beam.replace_unknown` with
the trainer's `unk_dictionary`); :func:`rescore` then scores the test split once with it, the
weights untouched, through the trainer's own test scoring:

    python -m rnn_site.experiments.translator_unk [--split val] [--json OUT.json]
    python -m rnn_site.experiments.translator_unk --rescore models/translator
    rnn-site export translator

About 20 minutes a split on the loaded 2-core machine, 1 thread.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rnn_site.data.bpe import join
from rnn_site.data.ding import Pair, detokenize, tokenize

#: The rule validation chose, as the decoder now applies it.
CHOSEN = "table, as written"
#: rule(source as the model reads it, source as typed, attended position) → the German word.
Rule = Callable[[Sequence[str], Sequence[str], int], str]


def looked_up(dictionary: Mapping[str, str], as_written: bool = False, names: bool = False) -> Rule:
    """The rule that looks the attended word up in ``dictionary``, else copies it (lowercase,
    or ``as_written``); ``names``: a capitalised word after the first is copied as typed."""

    def rule(source: Sequence[str], written: Sequence[str], j: int) -> str:
        copied = written[j] if as_written else source[j]
        if names and j > 0 and written[j][:1].isupper():
            return copied
        return dictionary.get(source[j], copied)

    return rule


@dataclass(frozen=True)
class Decoded:
    """One translation before ``<unk>`` is replaced: its pieces, the attended source position
    of every ``<unk>`` (None for other pieces), and the source as read and as typed."""

    pieces: list[str]
    attended: list[int | None]
    source: list[str]
    written: list[str]

    def text(self, rule: Rule) -> str:
        """The sentence with every ``<unk>`` rewritten by ``rule``."""
        pieces = [
            p if j is None else rule(self.source, self.written, j)
            for p, j in zip(self.pieces, self.attended, strict=True)
        ]
        return detokenize(join(pieces))


def decode(model: Any, vocabs: Any, pairs: Sequence[Pair], beam: int) -> list[Decoded]:
    """Every pair translated with ``beam`` (1: greedy) by the PyTorch model, ``<unk>`` kept."""
    from rnn_site.train.translator import MAX_TOKENS, translate_all

    bare = replace(vocabs, dictionary={})
    out = []
    for pair, found in zip(pairs, translate_all(model, bare, pairs, beam), strict=True):
        written = tokenize(pair.en, lowercase=False)[:MAX_TOKENS]
        source = [w.lower() for w in written] or ["<unk>"]
        attended = [
            int(np.argmax(row[: len(source)])) if was else None
            for row, was in zip(found.attention, found.replaced, strict=False)
        ]
        out.append(Decoded(found.pieces, attended, source, written or source))
    return out


def vocabulary_entries(table: Mapping[str, str], vocabs: Any) -> dict[str, str]:
    """The first published dictionary: the table's entries for the model's English words."""
    return {en: table[en] for en in vocabs.src.words if en in table}


#: What each rule makes of an output <unk>, as the page's table says it.
DESCRIPTIONS = {
    "copy": "the attended English word, copied (lowercase, as the model reads it)",
    "vocabulary": "its German from the lookup, for the model's own English words only "
    "(the first published rule); else copied",
    "vocabulary, as written": "the same, a copied word as typed",
    "table": "its German from the whole lookup table; else copied",
    "table, as written": "its German from the whole table; else copied as typed",
    "table, names kept": "the same, but a capitalised word after the first is copied as typed "
    "even where the table has it",
}


def rules(vocabulary: Mapping[str, str], table: Mapping[str, str]) -> dict[str, Rule]:
    """The rules compared, by name (see the module docstring)."""
    return {
        "copy": looked_up({}),
        "vocabulary": looked_up(vocabulary),
        "vocabulary, as written": looked_up(vocabulary, as_written=True),
        "table": looked_up(table),
        "table, as written": looked_up(table, as_written=True),
        "table, names kept": looked_up(table, as_written=True, names=True),
    }


def compare(split: str = "val", checkpoint: str | Path = "models/translator/translator.pt",
            threads: int = 1) -> dict[str, Any]:  # fmt: skip
    """Every rule's greedy and beam-5 BLEU and chrF on ``split``, cased."""
    import torch

    from rnn_site.baselines.word_lookup import WordLookup, translation_scores
    from rnn_site.data.ding import load_pairs, read_lines, split_pairs
    from rnn_site.train.translator import BEAM, load_translator

    torch.set_num_threads(threads)
    model, vocabs = load_translator(checkpoint)
    lines = read_lines()
    parts = split_pairs(load_pairs())
    lookup = WordLookup.build(lines, (p.de for p in parts["train"]), vocabs.cased)
    pairs = parts[split]
    references = [p.de for p in pairs]
    decoded = {beam: decode(model, vocabs, pairs, beam) for beam in (1, BEAM)}
    unks = {beam: sum(j is not None for d in found for j in d.attended)
            for beam, found in decoded.items()}  # fmt: skip
    rows = []
    vocabulary = vocabulary_entries(lookup.table, vocabs)
    for name, rule in rules(vocabulary, lookup.table).items():
        row: dict[str, Any] = {"rule": name, "description": DESCRIPTIONS[name]}
        for beam, found in decoded.items():
            scores = translation_scores([d.text(rule) for d in found], references, vocabs.cased)
            search = "greedy" if beam == 1 else f"beam-{beam}"
            row |= {f"{search}_bleu": scores["bleu"], f"{search}_chrf": scores["chrf"]}
        rows.append(row)
    return {
        "schema": 1,
        "task": "English→German translator: what an output <unk> becomes",
        "split": split,
        "sentences": len(pairs),
        "unk_outputs": {"greedy" if b == 1 else f"beam-{b}": n for b, n in unks.items()},
        "table_entries": len(lookup.table),
        "vocabulary_entries": len(vocabulary),
        "metric": "sacrebleu BLEU and chrF of cased text, the published weights",
        "rules": rows,
        "chosen": CHOSEN,
    }


def score_test_again(
    folder: Path, results: dict[str, Any], *, pairs: Sequence[Pair] | None = None,
    progress: bool = True,
) -> tuple[Any, Any, dict[str, Any]]:  # fmt: skip
    """Decode a trained run's test set again with today's decoder: its weights, the whole
    lookup table as the ``<unk>`` dictionary and the recipe's beam width. Greedy and beam
    scores go into ``results``; returns the model, its vocabularies (with that dictionary) and
    the new examples."""
    from rnn_site.baselines.word_lookup import WordLookup
    from rnn_site.data.ding import load_pairs, split_pairs
    from rnn_site.train import translator as trainer

    model, vocabs = trainer.load_translator(folder / "translator.pt")
    parts = split_pairs(pairs if pairs is not None else load_pairs())
    lookup = WordLookup.build(trainer.read_lines(), (p.de for p in parts["train"]), vocabs.cased)
    vocabs = replace(vocabs, dictionary=trainer.unk_dictionary(lookup))
    lookup_out = [lookup.translate(p.en) for p in parts["test"]]
    extra = trainer.score_test(model, vocabs, parts["test"], lookup_out, results, progress)
    return model, vocabs, extra


def rescore(out_dir: str | Path = "models/translator", *, pairs: Sequence[Pair] | None = None,
            progress: bool = True) -> dict[str, Any]:  # fmt: skip
    """Score a trained run's test set again with the decoder's current ``<unk>`` rule and
    dictionary, the weights untouched: the checkpoint gets the dictionary, metrics.json the
    new test scores and examples (``rnn-site export translator`` then publishes them) and a
    ``rescored`` record. Its validation curve stays as training measured it."""
    from rnn_site.train import translator as trainer

    folder = Path(out_dir)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    results = dict(log.get("results") or {})
    model, vocabs, extra = score_test_again(folder, results, pairs=pairs, progress=progress)
    trainer.save_translator(folder / "translator.pt", model, vocabs)
    data = {**log.get("data", {}), "unk_dictionary": len(vocabs.dictionary)}
    record = {
        "unk_rule": CHOSEN,
        "note": "test scores and examples decoded again with the same weights; the "
        "validation history is the training run's, with the dictionary it had",
    }
    changes = {"results": results, **extra, "data": data}
    command = f"python -m rnn_site.experiments.translator_unk --rescore {out_dir}"
    return write_rescored(folder, log, changes, record, command)


def write_rescored(
    folder: Path, log: dict[str, Any], changes: dict[str, Any], record: dict[str, Any], command: str
) -> dict[str, Any]:
    """Write ``folder``/metrics.json: ``log`` with ``changes`` (the test scores and examples
    decoded again) and a ``rescored`` record (``command``, the commit it ran at, ``record``),
    which the card names; return it. Shared by the rescores of this module and
    `rnn_site.experiments.translator_beam`."""
    from rnn_site.files import write_json
    from rnn_site.provenance import git_commit

    log |= {**changes, "rescored": {"command": command, "commit": git_commit(), **record}}
    write_json(folder / "metrics.json", log)
    return log


def experiment_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options the translator experiments share (this module's and
    `rnn_site.experiments.translator_beam`'s): the split, the checkpoint (default: the
    published weights) and the machine named in the results."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--checkpoint", type=Path, default=Path("models/translator/translator.pt"))
    parser.add_argument("--machine", default="2-core CPU machine, no GPU, shared (1 thread)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = experiment_parser(__doc__)
    parser.add_argument("--json", type=Path)
    rescore_help = "score RUN_DIR's test set again with the current rule instead"
    parser.add_argument("--rescore", type=Path, metavar="RUN_DIR", help=rescore_help)
    args = parser.parse_args(argv)
    if args.rescore:
        import torch

        torch.set_num_threads(1)
        rescore(args.rescore)
        return 0
    found = {**compare(args.split, args.checkpoint), "machine": args.machine}
    text = json.dumps(found, indent=1, ensure_ascii=False) + "\n"
    (args.json.write_text(text, encoding="utf-8") if args.json else sys.stdout.write(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
