"""How beam search ranks its finished sentences: a length exponent and the beam width.

The published search (`rnn_site.decoding.beam`) keeps the finished hypothesis with the best
*average* log-probability per word, score / length. GNMT (Wu et al. 2016) generalises that to
score / length**alpha: alpha = 0 ranks by the plain sum (short outputs favoured), alpha = 1 is
today's average, alpha > 1 favours longer outputs. The search itself never looks at the ranking,
so each beam width decodes a split once (`beam_candidates`, through the trainer's own
`translate`) and every alpha ranks the same finished hypotheses; at alpha = 1 the texts must
equal what the trainer's search returned, a check on the replay.

The decision rule (:data:`RULE`) was committed before any validation score was computed. The
validation split chooses; the test split is then scored once, for the chosen setting and
today's (and the best validation BLEU, where the rule rejected it, for information), with the
published weights:

    python -m rnn_site.experiments.translator_beam --split val    # writes RESULTS
    python -m rnn_site.experiments.translator_beam --split test   # adds the test scores

Scores are sacrebleu BLEU and chrF of cased text, as everywhere for this model (1 thread).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rnn_site.data.bpe import join
from rnn_site.data.ding import UNK, Pair, detokenize, tokenize
from rnn_site.decoding.beam import Hypothesis, beam_candidates, replace_unknown
from rnn_site.experiments.translator_unk import experiment_parser, score_test_again, write_rescored

ALPHAS = (0.0, 0.5, 0.75, 1.0, 1.25, 1.5)
WIDTHS = (3, 5, 8)
#: Where the validation table, the decision and the test scores are kept (the page reads it).
RESULTS = Path(__file__).resolve().parent / "results" / "translator_beam.json"
#: The search published when this experiment ran: average log-probability per word, width 5.
TODAY = (1.0, 5)
RULE = (
    "Among alpha in {0, 0.5, 0.75, 1, 1.25, 1.5} x width in {3, 5, 8}, take the setting with "
    "the best validation BLEU (cased, 2 decimals); ties go to today's (alpha 1, width 5), then "
    "the narrower beam, then alpha nearer 1. Adopt it only if it is not today's and its "
    "validation chrF is not lower than today's; otherwise keep today's. Fixed before scoring."
)


def normalised(hyp: Hypothesis, alpha: float) -> float:
    """GNMT's length-normalised score: summed log-probability / length**alpha (``</s>``
    counts as a word, as in `Hypothesis.average`; alpha = 1 is exactly that average)."""
    return hyp.score / max(len(hyp.attention), 1) ** alpha


def pick(candidates: Sequence[Hypothesis], alpha: float) -> Hypothesis:
    """The winner under ``alpha``; max() keeps the first found of equal scores, as the search."""
    return max(candidates, key=lambda h: normalised(h, alpha))


@contextmanager
def recording(found: list[list[Hypothesis]]) -> Iterator[None]:
    """While active, the trainer's `translate` searches as published (alpha 1) and appends
    every sentence's finished hypotheses to ``found``."""
    from rnn_site.train import translator as trainer

    original = trainer.beam_search

    def search(*args: Any, **kwargs: Any) -> Hypothesis:
        candidates = beam_candidates(*args, **kwargs)
        found.append(candidates)
        return pick(candidates, 1.0)

    trainer.beam_search = search
    try:
        yield
    finally:
        trainer.beam_search = original


def text(hyp: Hypothesis, english: str, vocabs: Any, max_tokens: int) -> str:
    """The sentence ``hyp`` becomes, ``<unk>`` replaced exactly as the trainer's `translate`."""
    written = tokenize(english, lowercase=False)[:max_tokens] or [UNK]
    source = [w.lower() for w in written]
    pieces, _ = replace_unknown(
        vocabs.tgt.decode(hyp.ids), hyp.attention, source, UNK, vocabs.dictionary, written
    )
    return detokenize(join(pieces))


def decide(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """:data:`RULE` applied to validation rows ({alpha, width, bleu, chrf})."""
    today = next(r for r in rows if (r["alpha"], r["width"]) == TODAY)

    def order(r: dict[str, Any]) -> tuple[float, bool, int, float]:
        return (r["bleu"], r is today, -r["width"], -abs(r["alpha"] - 1.0))

    best = max(rows, key=order)
    adopt = best is not today and best["chrf"] >= today["chrf"]
    chosen = best if adopt else today
    return {"best_bleu": {k: best[k] for k in ("alpha", "width")}, "adopt": adopt,
            "chosen": {k: chosen[k] for k in ("alpha", "width")}}  # fmt: skip


def score(model: Any, vocabs: Any, pairs: Sequence[Pair],
          settings: Sequence[tuple[float, int]]) -> list[dict[str, Any]]:  # fmt: skip
    """BLEU and chrF of every (alpha, width) in ``settings``: one decode per width."""
    from rnn_site.baselines.word_lookup import translation_scores
    from rnn_site.train.translator import MAX_TOKENS, translate_all

    references = [p.de for p in pairs]
    rows = []
    for width in sorted({w for _, w in settings}):
        found: list[list[Hypothesis]] = []
        with recording(found):
            searched = [t.text for t in translate_all(model, vocabs, pairs, width)]
        for alpha in sorted(a for a, w in settings if w == width):
            texts = [text(pick(c, alpha), p.en, vocabs, MAX_TOKENS)
                     for c, p in zip(found, pairs, strict=True)]  # fmt: skip
            if alpha == 1.0 and texts != searched:
                raise RuntimeError(f"replayed beam-{width} texts differ from the search's")
            scores = translation_scores(texts, references, vocabs.cased)
            rows.append({"alpha": alpha, "width": width, **scores})
    return rows


def run(split: str, checkpoint: Path, settings: Sequence[tuple[float, int]],
        threads: int = 1) -> tuple[list[dict[str, Any]], dict[str, float], int]:  # fmt: skip
    """Rows for ``settings`` on ``split``, the greedy scores beside them, and the split's size."""
    import torch

    from rnn_site.baselines.word_lookup import translation_scores
    from rnn_site.data.ding import load_pairs, split_pairs
    from rnn_site.train.translator import load_translator, translate_all

    torch.set_num_threads(threads)
    # oneDNN's fixed cost per LSTM call dominates one-step decoding (FACTS.md); the same maths.
    setattr(torch.backends.mkldnn, "enabled", False)  # noqa: B010 (typed as a descriptor)
    model, vocabs = load_translator(checkpoint)
    pairs = split_pairs(load_pairs())[split]
    greedy = [t.text for t in translate_all(model, vocabs, pairs, 1)]
    greedy_scores = translation_scores(greedy, [p.de for p in pairs], vocabs.cased)
    return score(model, vocabs, pairs, settings), greedy_scores, len(pairs)


def rescore(out_dir: Path = Path("models/translator"), progress: bool = False) -> dict[str, Any]:
    """Score the published run's test set again with the recipe's beam width (``BEAM``, set by
    this experiment's decision), same weights and ``<unk>`` rule: metrics.json gets the new test
    scores and examples and a ``rescored`` record (``rnn-site export translator`` then
    publishes them). Its validation history stays as training measured it."""
    from rnn_site.train import translator as trainer

    log = json.loads((out_dir / "metrics.json").read_text("utf-8"))
    results = {"word-lookup": log["results"]["word-lookup"]}
    _, _, extra = score_test_again(out_dir, results, progress=progress)
    record = {
        "beam": trainer.BEAM,
        "previous": {"beam": log.get("beam"), "results": log.get("results")},
        "note": "test scores and examples decoded again with the beam width chosen on "
        "validation; same weights and <unk> rule",
    }
    changes = {"results": results, **extra, "beam": trainer.BEAM}
    command = f"python -m rnn_site.experiments.translator_beam --rescore {out_dir}"
    return write_rescored(out_dir, log, changes, record, command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = experiment_parser(__doc__)
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="MODEL_DIR",
        help="score MODEL_DIR's test set again with the recipe's beam width",
    )
    args = parser.parse_args(argv)
    if args.rescore:
        rescore(args.rescore)
        return 0
    found = json.loads(args.json.read_text("utf-8")) if args.json.exists() else {}
    if args.split == "val":
        settings = [(a, w) for w in WIDTHS for a in ALPHAS]
        rows, greedy, n = run("val", args.checkpoint, settings)
        found = {
            "schema": 1,
            "task": "English→German translator: length exponent and width of beam search",
            "metric": "sacrebleu BLEU and chrF of cased text, the published weights",
            "ranking": "summed log-probability / length**alpha, </s> counted (alpha 1: today)",
            "rule": RULE,
            "machine": args.machine,
            "checkpoint_sha256": hashlib.sha256(args.checkpoint.read_bytes()).hexdigest(),
            "validation": {"sentences": n, "greedy": greedy, "rows": rows},
            "decision": decide(rows),
        }
    else:
        if "decision" not in found:
            parser.error(f"{args.json} has no validation decision; run --split val first")
        # The chosen setting and today's; the best validation BLEU too where the rule rejected
        # it, for information only (the decision is already written).
        picks = [found["decision"][k] for k in ("chosen", "best_bleu")]
        settings = sorted({TODAY, *((p["alpha"], p["width"]) for p in picks)})
        rows, greedy, n = run("test", args.checkpoint, settings)
        found["test"] = {"sentences": n, "greedy": greedy, "rows": rows}
    args.json.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
