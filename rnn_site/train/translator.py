"""Train the English→German attention translator on the Ding dictionary's example sentences.

``python -m rnn_site.train.translator`` (or ``rnn-site train translator``) reads the pairs from
the installed ``trans-de-en`` package (GPL-2+ data: never copied into the repository), builds
both vocabularies from the training pairs, scores the word-by-word lookup baseline, trains the
model with the shared loop (teacher forcing, a budget of optimiser steps, the checkpoint with
the best validation BLEU kept), then translates the test set greedily and with beam search and
scores all three with BLEU and chrF (sacrebleu). The published recipe, 16,000 steps on 2 threads,
took 44 minutes on the shared 2-core machine (``--quick``: a few); writes
``models/translator/translator.pt`` and ``metrics.json``. Its validation loss stopped falling
in the second half while BLEU wobbled; the loop keeps the best validation BLEU's weights.

Loss: cross-entropy of the next German word given the English sentence and the German words
before it, padding ignored, with label smoothing 0.1 (the dictionary's translations are one
valid choice among several, so the model should not be pushed to certainty).
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from rnn_site.baselines.word_lookup import WordLookup, sentence_chrf, translation_scores
from rnn_site.data.bpe import BPE, join
from rnn_site.data.ding import (
    BOS,
    EOS,
    LICENCE,
    UNK,
    WORDS_FILE,
    Pair,
    Vocab,
    detokenize,
    load_pairs,
    phrase_pairs,
    read_lines,
    read_words,
    split_pairs,
    tokenize,
    write_words,
)
from rnn_site.decoding.beam import beam_search, default_max_len, replace_unknown
from rnn_site.models.translator import Translator, TranslatorConfig
from rnn_site.train.artifacts import load_checkpoint, round_to_float16, save_checkpoint
from rnn_site.train.batching import length_bucketed, pad_right
from rnn_site.train.command import PRECISION, Flag, Trainer, non_negative_int
from rnn_site.train.hparams import loop_fields, network_config
from rnn_site.train.loop import Job, RunOptions, train

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
MAX_TOKENS = 30  # longest sentence in tokens; 4–15 words plus punctuation stay under it
#: The beam width the card reports and the demo starts with: 3, chosen on the validation
#: sentences by rnn_site/experiments/translator_beam.py (5 before).
BEAM = 3


@dataclass(frozen=True)
class TranslatorTrainConfig:
    """Hyperparameters of the published recipe: a step budget from a seed (see the page for
    what each lever bought, measured at a short equal budget)."""

    # Sized so each ONNX graph stays under 2 MB with float16 weights (the export stores them so).
    embed_dim: int = 80
    encoder_hidden: int = 128
    decoder_hidden: int = 192
    dropout: float = 0.3
    src_vocab: int = 5000
    tgt_vocab: int = 6000
    # 0: German in whole words (capped at tgt_vocab, the rest <unk>). N > 0: German in BPE
    # pieces from N merges (3950 gives about 4,000 pieces); see the page for how that went.
    bpe_merges: int = 0
    min_count: int = 2
    batch: int = 128
    lr: float = 3e-3
    label_smoothing: float = 0.1
    # 2,400 then 6,000 steps before: each longer recipe scored better (the page's recipes table).
    max_steps: int = 16_000
    eval_every: int = 1000
    # German as written ("Das Buch"), scored cased; False: everything lowercase (the old model).
    cased: bool = True
    # An output <unk> becomes the lookup's German for the English word it attends to most
    # (False: that English word, copied).
    unk_dictionary: bool = True
    # Dictionary headwords and phrases mixed into every epoch, as a multiple of the number of
    # training sentences (0: sentences only); only pairs whose English words are all known.
    phrases: float = 0.5
    # The loop's training precision and weight averaging (`rnn_site.train.loop.TrainConfig`).
    precision: str = "fp32"
    ema_decay: float | None = None


@dataclass(frozen=True)
class Vocabs:
    """The English (source) vocabulary and the German (target) one: words, or BPE pieces with
    the merges that make them."""

    src: Vocab
    tgt: Vocab
    bpe: BPE | None = None
    cased: bool = False
    #: English word → German word, for an output <unk> that attends to it (else it is copied).
    dictionary: dict[str, str] = field(default_factory=dict)

    def target(self, text: str) -> list[str]:
        """German text → its target tokens (words, or BPE pieces), cased if the model is."""
        tokens = tokenize(text, lowercase=not self.cased)
        return self.bpe.encode(tokens) if self.bpe else tokens


def unk_dictionary(lookup: WordLookup) -> dict[str, str]:
    """What an output <unk> becomes when it attends to an English word: the lookup baseline's
    German for it, for every English word the dictionary has (about 86,000; shipped beside the
    card as dictionary.json). An <unk> often attends to a word the model does not know,
    which the first dictionary (the vocabulary's words only) lacked; the whole table scored
    better on validation (rnn_site/experiments/results/translator_unk.json)."""
    return dict(lookup.table)


def encode_pair(vocabs: Vocabs, pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """(English ids, German ids) of one pair, each cut to MAX_TOKENS."""
    return encode_texts(vocabs, pair.en, pair.de)


def encode_texts(vocabs: Vocabs, en: str, de: str) -> tuple[np.ndarray, np.ndarray]:
    """(English ids, German ids) of an English and a German text, each cut to MAX_TOKENS."""
    return (
        vocabs.src.encode(tokenize(en)[:MAX_TOKENS]),
        vocabs.tgt.encode(vocabs.target(de)[:MAX_TOKENS]),
    )


def phrase_examples(
    lines: Sequence[str], held_out: Sequence[Pair], vocabs: Vocabs
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The dictionary's headword and phrase pairs (never a validation or test sentence) whose
    English words the model knows, encoded; German words it does not know stay <unk>
    (a BPE model knows them all)."""
    exclude = [text for p in held_out for text in (p.en, p.de)]
    out = []
    for en, de in phrase_pairs(lines, exclude):
        src, tgt = encode_texts(vocabs, en, de)
        if len(src) and len(tgt) and (src != 1).all() and (tgt != 1).mean() >= 0.5:
            out.append((src, tgt))
    return out


def pad(
    rows: Sequence[np.ndarray], before: int | None = None, after: int | None = None
) -> torch.Tensor:
    """Right-padded (batch, time) int64 tensor, optionally framed by a start/end id.

    Padding is id 0, which the loss ignores and the encoder masks out.
    """
    head = [before] if before is not None else []
    tail = [after] if after is not None else []
    return pad_right([np.concatenate([head, r, tail]) for r in rows], torch.long)[0]


def make_batch(pairs: Sequence[tuple[np.ndarray, np.ndarray]], bos: int, eos: int) -> Batch:
    """src (batch, S), src_mask (batch, S) float, prev = <s> + German, gold = German + </s>."""
    src = pad([s for s, _ in pairs])
    return (
        src,
        (src != 0).float(),
        pad([t for _, t in pairs], before=bos),
        pad([t for _, t in pairs], after=eos),
    )


class EpochBatches:
    """Training pairs shuffled (seeded per epoch) into padded batches; has ``len``."""

    def __init__(self, encoded: list[tuple[np.ndarray, np.ndarray]], batch: int, seed: int,
                 bos: int, eos: int, extra: Sequence[tuple[np.ndarray, np.ndarray]] = (),
                 n_extra: int = 0) -> None:  # fmt: skip
        self.encoded, self.batch, self.seed, self.bos, self.eos = encoded, batch, seed, bos, eos
        self.extra, self.n_extra = extra, min(n_extra, len(extra))

    def __len__(self) -> int:
        return math.ceil((len(self.encoded) + self.n_extra) / self.batch)

    def __iter__(self) -> Iterator[Batch]:
        # Sentences of similar length together (less padding, a third less work); each epoch
        # adds its own seeded sample of `n_extra` dictionary phrases.
        rng = np.random.default_rng(self.seed)
        chosen_extra: list[int] = (
            rng.choice(len(self.extra), self.n_extra, replace=False).tolist()
            if self.n_extra
            else []
        )
        pairs = self.encoded + [self.extra[i] for i in chosen_extra]
        lengths = [len(src) for src, _ in pairs]
        for chosen in length_bucketed(lengths, self.batch, 20, rng):
            yield make_batch([pairs[i] for i in chosen], self.bos, self.eos)


def batch_loss(model: Translator, batch: Batch, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy of the next German word over the real (non-padding) words."""
    src, mask, prev, gold = batch
    logits = model(src, mask, prev)
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        gold.reshape(-1),
        ignore_index=0,
        label_smoothing=label_smoothing,
    )


# --------------------------------------------------------------------------- decoding


@dataclass(frozen=True)
class Translation:
    """German target tokens (words or BPE pieces; an ``<unk>`` replaced by the most attended
    English word), which ones were replaced, and the attention rows (one per token, then one
    for ``</s>``)."""

    pieces: list[str]
    replaced: list[bool]
    attention: np.ndarray

    @property
    def words(self) -> list[str]:
        """The German words: the pieces joined (the same list for a word model)."""
        return join(self.pieces)

    @property
    def text(self) -> str:
        """The words as a sentence, as scored against the reference."""
        return detokenize(self.words)


def translate(
    model: Translator, vocabs: Vocabs, text: str, beam: int = 1, max_len: int | None = None
) -> Translation:
    """Translate with the PyTorch model through the shared search (eval mode, no gradients)."""
    written = tokenize(text, lowercase=False)[:MAX_TOKENS] or [UNK]
    source = [w.lower() for w in written]
    max_len = max_len or default_max_len(len(source))
    src = torch.from_numpy(vocabs.src.encode(source))[None]
    mask = torch.ones_like(src, dtype=torch.float32)
    with torch.no_grad():
        memory, h, c = model.encode(src, mask)

        def step(prev: np.ndarray, state: Any) -> tuple[np.ndarray, Any, np.ndarray]:
            h, c, memory, mask = state
            log_probs, h, c, weights = model.step(torch.from_numpy(prev), h, c, memory, mask)
            return log_probs.numpy(), (h, c, memory, mask), weights.numpy()

        def select(state: Any, index: np.ndarray) -> Any:
            h, c, memory, mask = state
            i = torch.from_numpy(index)
            return h[:, i], c[:, i], memory[i], mask[i]

        best = beam_search(
            step,
            select,
            (h, c, memory, mask),
            bos=vocabs.tgt.index[BOS],
            eos=vocabs.tgt.index[EOS],
            beam=beam,
            max_len=max_len,
        )
    pieces, replaced = replace_unknown(
        vocabs.tgt.decode(best.ids), best.attention, source, UNK, vocabs.dictionary, written
    )
    return Translation(pieces, replaced, np.array(best.attention))


def translate_all(
    model: Translator, vocabs: Vocabs, pairs: Sequence[Pair], beam: int, progress: bool = False
) -> list[Translation]:
    """Every pair's English translated (eval mode: dropout off), for scoring a split.

    Beam search over the test set takes about a minute, hence the optional progress bar.
    """
    model.eval()
    bar = tqdm(pairs, desc=f"translate (beam {beam})", disable=not progress, leave=False)
    return [translate(model, vocabs, p.en, beam) for p in bar]


def pick_examples(
    pairs: Sequence[Pair], greedy: Sequence[str], beam: Sequence[str], lookup: Sequence[str],
    n: int = 6, cased: bool = False,
) -> dict[str, list[dict[str, Any]]]:  # fmt: skip
    """Short test sentences for the page: the best and the worst beam translations by chrF."""

    def row(i: int) -> dict[str, Any]:
        return {"en": pairs[i].en, "de": pairs[i].de, "greedy": greedy[i], "beam": beam[i],
                "lookup": lookup[i], "chrf": round(chrf[i], 1)}  # fmt: skip

    chrf = [sentence_chrf(b, p.de, cased) for b, p in zip(beam, pairs, strict=True)]
    short = [i for i, p in enumerate(pairs) if len(p.en.split()) <= 8]
    ranked = sorted(short, key=lambda i: (-chrf[i], i))
    return {"good": [row(i) for i in ranked[:n]], "failures": [row(i) for i in ranked[-n:][::-1]]}


def save_translator(path: str | Path, model: Translator, vocabs: Vocabs) -> Path:
    """Checkpoint: config, weights (float16: `round_to_float16` has rounded them, so half the
    file loses nothing) and both vocabularies in id order. The ``<unk>`` dictionary goes
    beside it as dictionary.json, the very file the export ships (kept once, not twice)."""
    merges = vocabs.bpe.merges if vocabs.bpe else []
    dictionary = ""
    if vocabs.dictionary:
        dictionary = write_words(Path(path).with_name(WORDS_FILE), vocabs.dictionary).name
    words = {"src": vocabs.src.words, "tgt": vocabs.tgt.words, "merges": merges,
             "cased": vocabs.cased, "dictionary": dictionary}  # fmt: skip
    return save_checkpoint(path, model, words, float16=True)


def load_translator(path: str | Path) -> tuple[Translator, Vocabs]:
    """The model (eval mode) and vocabularies saved by :func:`save_translator` (an older
    checkpoint holds its dictionary inline)."""
    model, words = load_checkpoint(path, lambda config: Translator(TranslatorConfig(**config)))
    merges = [(a, b) for a, b in words.get("merges", [])]
    bpe = BPE(merges) if merges else None
    stored = words.get("dictionary") or {}
    dictionary = read_words(Path(path).with_name(stored)) if isinstance(stored, str) else stored
    cased = bool(words.get("cased"))
    return model, Vocabs(Vocab(words["src"]), Vocab(words["tgt"]), bpe, cased, dict(dictionary))


def build_vocabs(train_pairs: Sequence[Pair], hp: TranslatorTrainConfig) -> Vocabs:
    """Both vocabularies from the training pairs: German in words, or in BPE pieces."""
    src = Vocab.build((p.en for p in train_pairs), hp.min_count, hp.src_vocab)
    german = [t for p in train_pairs for t in tokenize(p.de, lowercase=not hp.cased)]
    if not hp.bpe_merges:
        tgt = Vocab.from_counts(Counter(german), hp.min_count, hp.tgt_vocab)
        return Vocabs(src, tgt, None, hp.cased)
    bpe = BPE.learn(german, hp.bpe_merges)
    pieces = Counter(bpe.encode(german))
    return Vocabs(src, Vocab.from_counts(pieces, 1, len(pieces) + 4), bpe, hp.cased)


def greedy_texts(
    model: Translator, vocabs: Vocabs, texts: Sequence[str], batch: int = 256
) -> list[str]:
    """Greedy translations of many sentences at once (batched: the validation score every
    evaluation). Same search as :func:`translate` with beam 1, <unk> replaced likewise."""
    bos, eos = vocabs.tgt.index[BOS], vocabs.tgt.index[EOS]
    out = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            typed = [tokenize(t, lowercase=False)[:MAX_TOKENS] or [UNK] for t in chunk]
            sources = [[w.lower() for w in words] for words in typed]
            src = pad([vocabs.src.encode(s) for s in sources])
            mask = (src != 0).float()
            memory, h, c = model.encode(src, mask)
            prev = torch.full((len(sources),), bos, dtype=torch.long)
            ids, rows = [], []
            for _ in range(default_max_len(src.shape[1])):
                log_probs, h, c, weights = model.step(prev, h, c, memory, mask)
                prev = log_probs.argmax(1)
                ids.append(prev.numpy())
                rows.append(weights.numpy())
                if all((np.array(ids) == eos).any(0)):
                    break
            for i, source in enumerate(sources):
                seq = [int(step[i]) for step in ids]
                seq = seq[: seq.index(eos)] if eos in seq else seq
                attention = [row[i] for row in rows]
                pieces, _ = replace_unknown(
                    vocabs.tgt.decode(seq), attention, source, UNK, vocabs.dictionary, typed[i]
                )
                out.append(detokenize(join(pieces)))
    return out


def validation_loss(
    encoded: Sequence[tuple[np.ndarray, np.ndarray]], bos: int, eos: int,
    vocabs: Vocabs | None = None, pairs: Sequence[Pair] = (),
) -> Callable[[Translator], dict[str, float]]:  # fmt: skip
    """The loop's evaluation: cross-entropy per real German word over the validation pairs,
    and, given ``vocabs`` and ``pairs``, greedy BLEU and chrF of those pairs (the curve of the
    metric against steps)."""
    val_batches = [make_batch(encoded[i : i + 256], bos, eos) for i in range(0, len(encoded), 256)]

    def evaluate(m: Translator) -> dict[str, float]:
        total = sum(batch_loss(m, b) * (b[3] != 0).sum() for b in val_batches)
        words = sum(int((b[3] != 0).sum()) for b in val_batches)
        loss = float(total) / words
        scores: dict[str, float] = {"val_loss": loss, "val_perplexity": math.exp(loss)}
        if vocabs is not None and pairs:
            hyps = greedy_texts(m, vocabs, [p.en for p in pairs])
            found = translation_scores(hyps, [p.de for p in pairs], vocabs.cased)
            scores |= {"val_bleu": found["bleu"], "val_chrf": found["chrf"]}
        return scores

    return evaluate


def score_test(
    model: Translator, vocabs: Vocabs, test: Sequence[Pair], lookup_out: list[str],
    results: dict[str, Any], progress: bool,
) -> dict[str, Any]:  # fmt: skip
    """Greedy and beam translations of the test set, scored into ``results``; the examples."""
    references = [p.de for p in test]
    greedy = [t.text for t in translate_all(model, vocabs, test, 1, progress)]
    beamed = [t.text for t in translate_all(model, vocabs, test, BEAM, progress)]
    results["greedy"] = translation_scores(greedy, references, vocabs.cased)
    results[f"beam-{BEAM}"] = translation_scores(beamed, references, vocabs.cased)
    print(f"greedy: {results['greedy']}; beam {BEAM}: {results[f'beam-{BEAM}']}")
    return {"examples": pick_examples(test, greedy, beamed, lookup_out, cased=vocabs.cased)}


def train_translator(
    out_dir: str | Path = "models/translator",
    *,
    hparams: TranslatorTrainConfig | None = None,
    pairs: Sequence[Pair] | None = None,
    evaluate_test: bool = True,
    **run: Unpack[RunOptions],
) -> dict[str, Any]:
    """Fit the model, score it and the baseline; write the checkpoint and metrics.json."""
    job = Job.of(out_dir, run, threads=2)
    seed, progress = job.seed, job.progress
    hp = hparams or TranslatorTrainConfig()
    lines = read_lines()
    parts = split_pairs(pairs if pairs is not None else load_pairs())
    train_pairs = parts["train"]
    vocabs = build_vocabs(train_pairs, hp)
    encoded = {name: [encode_pair(vocabs, p) for p in part] for name, part in parts.items()}
    bos, eos = vocabs.tgt.index[BOS], vocabs.tgt.index[EOS]

    lookup = WordLookup.build(lines, (p.de for p in train_pairs), hp.cased)
    if hp.unk_dictionary:
        vocabs = replace(vocabs, dictionary=unk_dictionary(lookup))
    phrases = phrase_examples(lines, parts["val"] + parts["test"], vocabs) if hp.phrases else []
    test = parts["test"]
    lookup_out = [lookup.translate(p.en) for p in test]
    references = [p.de for p in test]
    results: dict[str, Any] = {"word-lookup": translation_scores(lookup_out, references, hp.cased)}
    print(f"word-by-word lookup: test {results['word-lookup']}")

    torch.manual_seed(seed)
    sizes = {"src_vocab": len(vocabs.src), "tgt_vocab": len(vocabs.tgt)}
    model = Translator(network_config(TranslatorConfig, hp, **sizes))
    config = job.train_config(
        **loop_fields(hp), epochs=10_000, schedule="cosine", warmup_steps=100, grad_clip=1.0,
        metric="val_bleu", mode="max",
    )  # fmt: skip
    data = {
        "name": "Ding English–German dictionary (Frank Richter, TU Chemnitz), example sentences",
        "source": "Debian package trans-de-en, /usr/share/trans/de-en",
        "licence": LICENCE,
        "pairs": {name: len(part) for name, part in parts.items()},
        "lookup_entries": len(lookup.table),
        "unk_dictionary": len(vocabs.dictionary),
        "phrase_pairs": len(phrases),
        "phrases_per_epoch": round(hp.phrases * len(encoded["train"])),
        "cased": hp.cased,
    }
    n_extra = round(hp.phrases * len(encoded["train"]))
    result = train(
        model,
        batches=lambda epoch: EpochBatches(
            encoded["train"], hp.batch, seed * 1000 + epoch, bos, eos, phrases, n_extra
        ),
        loss_fn=lambda m, b: batch_loss(m, b, hp.label_smoothing),  # type: ignore[arg-type]
        evaluate=validation_loss(encoded["val"], bos, eos, vocabs, parts["val"]),  # type: ignore[arg-type]
        config=config,
        out_dir=job.out,
        info=job.info("translator", model, hp, data=data),
    )
    model.eval()
    round_to_float16(model)  # the weights as shipped: what the test set scores
    save_translator(job.out / "translator.pt", model, vocabs)
    extra = score_test(model, vocabs, test, lookup_out, results, progress) if evaluate_test else {}
    return job.finish(result, **extra, results=results, beam=BEAM)


#: ``--quick``: 400 steps on one thread (a few minutes), in float32 without weight averaging
#: (what it was measured with, and what any CPU runs); the page's
#: "larger model" lever is this run (rnn_site/experiments/translator_levers.py).
QUICK = {"max_steps": 400, "eval_every": 200, "precision": "fp32", "ema_decay": None}


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0 (the phrase mix may be 0: sentences only)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text}")
    return value


#: ``rnn-site train translator [--quick] [--max-steps N] [--hidden H] [--bpe-merges N]
#: [--phrases X] [--precision fp32|bf16]``.
TRAINER = Trainer(
    "translator", __doc__, TranslatorTrainConfig, train_translator, QUICK,
    {"--max-steps": Flag("max_steps"), "--hidden": Flag("decoder_hidden"),
     "--bpe-merges": Flag("bpe_merges", non_negative_int, "0: German in words; N: in BPE pieces"),
     "--phrases": Flag("phrases", non_negative_float,
                       "dictionary phrases per epoch, as a multiple of the training sentences"),
     "--precision": PRECISION},
    threads=2, quick_threads=1,
)  # fmt: skip
main = TRAINER.main


if __name__ == "__main__":
    raise SystemExit(main())
