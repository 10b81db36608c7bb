"""Train the speech recogniser (BiLSTM + CTC) on synthesised voices; score it against DTW.

``python -m rnn_site.train.speech`` (or ``rnn-site train speech``) synthesises the data (or
reads it from ``.cache/speech/``), trains the model with the shared loop (a fresh augmentation
of every clip in every epoch) for a fixed budget of ``max_epochs``, keeping the epoch with the
lowest character error rate on the validation voices, then reports, on voices never heard in
training and on KLettres' real recordings:

- character error rate and string accuracy, isolated words and connected digit strings, with
  greedy and prefix-beam decoding;
- the same for the DTW template baseline (isolated words only: it cannot segment strings).

Writes ``models/speech/speech.pt`` and ``metrics.json``. Synthesis about 1–2 minutes; the
published 80 epochs took 67 minutes (4,035 s) on one thread of the shared 2-core machine, a
median of 49 s an epoch, 24 s in its last 20 (the 40 epochs published before took 22
minutes, 32 s an epoch).

**No early stopping** (``patience=None``). With patience 4 a run stopped after 5 epochs without
a better validation CER, and the validation curve is noisy enough that this decided how long
a run trained: the 40-epoch run published before escaped by one epoch (epoch 22 was its 4th
in a row without improvement) and ran all 40 epochs, best epoch 36, while a comparable run
with hiss added was stopped at epoch 23. Two recipes differing only in augmentation then
differed in budget too.
A fixed budget that keeps the best epoch compares them fairly, and gives the published model
exactly: its log (models/speech/metrics.json, ``--max-epochs 80 --patience 80``) shows
``stopped: "finished"`` after 80 of 80 epochs, best epoch 60, at most 19 epochs in a row
without a better CER, so patience never acted and the same command without it trains the same
weights. ``--patience N`` still stops early when asked for.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch
import torch.nn.functional as F

from rnn_site.baselines.dtw import DTWClassifier, dtw_features, pick_templates
from rnn_site.data.audio import N_MELS
from rnn_site.data.speech import (
    VOCAB,
    VOICE_SETS,
    SpeechData,
    SynthesisConfig,
    Utterance,
    all_voices,
    augment,
    labels_to_ids,
    load_real_letters,
    load_speech,
)
from rnn_site.data.speech_trim import TRIM, TrimSettings, trim_silence
from rnn_site.decoding.ctc import error_rates, greedy_decode, prefix_beam_decode
from rnn_site.models.speech import SpeechConfig, SpeechCTC, frame_count
from rnn_site.train.artifacts import load_checkpoint, save_checkpoint
from rnn_site.train.batching import length_bucketed, pad_right
from rnn_site.train.command import Flag, Trainer
from rnn_site.train.hparams import EpochBudget, loop_fields, network_config
from rnn_site.train.loop import Job, RunOptions, train
from rnn_site.train.speech_augment import KINDS, LEGACY, Augmenter, kinds_of, parse_augment

Batch = tuple[torch.Tensor, ...]  # waveforms, lengths, targets, target lengths[, feature masks]


@dataclass(frozen=True)
class SpeechTrainConfig(EpochBudget):
    """Hyperparameters (chosen by hand on the validation voices; see the model card)."""

    conv_channels: int = 64
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    dtw_templates_per_symbol: int = 12
    #: training-time augmentation (`rnn_site.train.speech_augment.parse_augment`); chosen by
    #: the ablation in rnn_site/experiments/results/speech_ablation.json ("legacy" until 2026-12)
    augment: str = "pitch,noise,silence"
    #: the synthesised voices (`rnn_site.data.speech.VOICE_SETS`): "base", today's, or "more",
    #: which adds `~rnn_site.data.speech.EXTRA_VARIANTS` to the training voices only (issue
    #: 18's "more voice variety" lever); validation and test are the same with both
    voices: str = "base"
    #: 80 epochs, published 2026-12 (speech_publish_80_noise_floor.json; 40 before)
    max_epochs: int = 80
    # The budget (EpochBudget's otherwise): every one of max_epochs, best epoch kept (see the
    # module docstring for why there is no early stopping).
    batch: int = 16
    patience: int | None = None


def loop_settings(hp: SpeechTrainConfig) -> dict[str, Any]:
    """The shared loop's fields for this recipe: its budget (``max_epochs``, ``patience``:
    ``None`` runs them all), a cosine schedule, and the best epoch by validation CER."""
    return {
        **loop_fields(hp), "schedule": "cosine", "warmup_steps": 100, "grad_clip": 5.0,
        "metric": "val_cer",
    }  # fmt: skip


def pad_waveforms(clips: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips → (batch, longest) zero-padded float32 waveforms and their lengths."""
    return pad_right(clips, torch.float32)


class EpochBatches:
    """Training clips, freshly augmented, in batches of similar length (less padding).

    Seeded per epoch; pools of 50 batches sorted by length (see `length_bucketed`). With
    ``augment="legacy"`` each clip goes through `rnn_site.data.speech.augment`; otherwise
    through the switched-on kinds of `rnn_site.train.speech_augment` (a batch then carries a
    fifth tensor, the feature masks, when "mask" is on).
    """

    def __init__(
        self, utterances: Sequence[Utterance], batch: int, seed: int, augment: str = LEGACY
    ) -> None:
        self.utterances, self.batch, self.seed = utterances, batch, seed
        self.augment = augment

    def __len__(self) -> int:
        return math.ceil(len(self.utterances) / self.batch)

    def __iter__(self) -> Iterator[Batch]:
        rng = np.random.default_rng(self.seed)
        sizes = [len(u.audio) for u in self.utterances]
        order = length_bucketed(sizes, self.batch, 50, rng)
        if self.augment != LEGACY:
            yield from prefetched(self.make_batch, order)
            return
        for indices in order:
            chosen = [self.utterances[i] for i in indices]
            x, lengths = pad_waveforms([augment(u.audio, rng) for u in chosen])
            yield (x, lengths, *self.targets(chosen))

    @staticmethod
    def targets(chosen: Sequence[Utterance]) -> tuple[torch.Tensor, torch.Tensor]:
        """The CTC targets of a batch, concatenated, and their lengths."""
        targets = torch.tensor([k for u in chosen for k in labels_to_ids(u.label)])
        return targets, torch.tensor([len(u.label) for u in chosen])

    def make_batch(self, number: int, indices: Sequence[int]) -> Batch:
        """Batch ``number`` of the epoch, changed by `speech_augment` with its own seed (so
        batches can be made ahead, in another thread, and still come out the same)."""
        augmenter = Augmenter(kinds_of(self.augment), self.seed * 10_000 + number)
        chosen = [self.utterances[i] for i in indices]
        x, lengths = pad_waveforms([augmenter.waveform(u.audio) for u in chosen])
        if not augmenter.masks:
            return (x, lengths, *self.targets(chosen))
        total = int(frame_count(torch.tensor(x.shape[1])))
        masks = augmenter.feature_masks(frame_count(lengths), total, N_MELS)
        return (x, lengths, *self.targets(chosen), masks)


def prefetched(
    make: Callable[[int, Sequence[int]], Batch], order: Sequence[Sequence[int]], ahead: int = 4
) -> Iterator[Batch]:
    """``make(k, order[k])`` for every k, in order, computed up to ``ahead`` batches early in
    one worker thread: augmenting a clip costs about as much as training on it, and torch and
    NumPy release the GIL, so the second core does it while the first trains."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque[Future[Batch]] = deque()
        for k, indices in enumerate(order):
            pending.append(pool.submit(make, k, indices))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def ctc_loss(model: SpeechCTC, batch: Batch) -> torch.Tensor:
    """Mean CTC loss per target symbol (blank = class 0); a fifth tensor masks the features."""
    x, lengths, targets, target_lengths, *masks = batch
    log_probs, steps = model(x, lengths, *masks)
    return F.ctc_loss(
        log_probs.transpose(0, 1), targets, steps, target_lengths, blank=0, zero_infinity=True
    )


def posteriors(model: SpeechCTC, clips: Sequence[np.ndarray], batch: int = 32) -> list[np.ndarray]:
    """Per-clip log-probabilities (steps, 37), in eval mode, batched by length."""
    was_training = model.training
    model.eval()
    order = sorted(range(len(clips)), key=lambda i: len(clips[i]))
    out: list[np.ndarray] = [np.zeros(0)] * len(clips)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            x, lengths = pad_waveforms([clips[i] for i in chosen])
            log_probs, steps = model(x, lengths)
            for row, i in enumerate(chosen):
                out[i] = log_probs[row, : int(steps[row])].numpy()
    model.train(was_training)
    return out


def transcribe_all(
    model: SpeechCTC, utterances: Sequence[Utterance], beam: bool = False
) -> list[str]:
    """Greedy (or prefix-beam, width 8) transcripts of every utterance."""
    outs = posteriors(model, [u.audio for u in utterances])
    if beam:
        return [prefix_beam_decode(lp, VOCAB)[0].text for lp in outs]
    return [greedy_decode(lp, VOCAB) for lp in outs]


def groups(
    test: Sequence[Utterance],
    real: Sequence[Utterance],
    trim: bool = True,
    settings: TrimSettings = TRIM,
) -> dict[str, list[Utterance]]:
    """The evaluation sets: held-out TTS voices (isolated, connected) and the real letters.

    With ``trim``, each clip is cut as the runtime and the demo cut what they hear
    (`rnn_site.data.speech_trim`, ``settings``), so the card scores what a user gets. The clips
    were trimmed when made; the fixed -40 dB cut changed 9 of the 1,444 test clips, and none
    of the 40-epoch model's scores; the noise floor changes more (speech_noise_floor.json).
    """
    if trim:
        test, real = (
            [replace(u, audio=trim_silence(u.audio, settings)) for u in us] for us in (test, real)
        )
    out = {
        "tts_isolated": [u for u in test if u.kind == "word"],
        "tts_connected": [u for u in test if u.kind == "digits"],
    }
    for name in sorted({u.voice.split(":")[1] for u in real}):
        out[f"real_{name}"] = [u for u in real if u.voice == f"klettres:{name}"]
    return {k: v for k, v in out.items() if v}


def score_model(model: SpeechCTC, sets: dict[str, list[Utterance]]) -> dict[str, Any]:
    """CER and string accuracy per evaluation set, greedy and beam, plus the transcripts."""
    out: dict[str, Any] = {}
    for name, utterances in sets.items():
        refs = [u.label for u in utterances]
        greedy = transcribe_all(model, utterances)
        beam = transcribe_all(model, utterances, beam=True)
        out[name] = {
            "greedy": error_rates(refs, greedy),
            "beam": error_rates(refs, beam),
            "errors": [
                {"voice": u.voice, "said": u.label, "heard": h}
                for u, h in zip(utterances, greedy, strict=True)
                if h != u.label
            ][:40],
        }
    return out


def score_dtw(dtw: DTWClassifier, sets: dict[str, list[Utterance]]) -> dict[str, Any]:
    """The DTW baseline on the isolated-word sets (one symbol per clip)."""
    out = {}
    for name, utterances in sets.items():
        if name == "tts_connected":
            continue
        predicted = [dtw.predict(dtw_features(u.audio)) for u in utterances]
        out[name] = {"greedy": error_rates([u.label for u in utterances], predicted)}
    return out


def per_voice_accuracy(model: SpeechCTC, utterances: Sequence[Utterance]) -> dict[str, float]:
    """String accuracy per held-out voice (isolated words), for the card's detail table."""
    heard = transcribe_all(model, utterances)
    voices: dict[str, list[bool]] = {}
    for u, h in zip(utterances, heard, strict=True):
        voices.setdefault(u.voice, []).append(u.label == h)
    return {v: round(float(np.mean(ok)), 4) for v, ok in sorted(voices.items())}


def save_speech(path: str | Path, model: SpeechCTC) -> Path:
    """Checkpoint: config, weights and the alphabet (class k is VOCAB[k - 1])."""
    return save_checkpoint(path, model, VOCAB)


def load_speech_model(path: str | Path) -> tuple[SpeechCTC, str]:
    """The model (eval mode) and alphabet saved by :func:`save_speech`."""
    return load_checkpoint(path, lambda config: SpeechCTC(SpeechConfig(**config)))


def train_speech(
    out_dir: str | Path = "models/speech",
    *,
    hparams: SpeechTrainConfig | None = None,
    synthesis: SynthesisConfig | None = None,
    **run: Unpack[RunOptions],
) -> dict[str, Any]:
    """Synthesise (or reuse), train, score model and baseline; write checkpoint + metrics.json.

    ``run`` is the job's frame (:class:`RunOptions`; 2 threads unless given). ``synthesis``
    (default: the seed's, with ``hparams.voices``) must have the voices of ``hparams``."""
    hp = hparams or SpeechTrainConfig()
    if synthesis is not None and synthesis.voices != hp.voices:
        raise ValueError(
            f"synthesis has voices {synthesis.voices!r} but the hyperparameters {hp.voices!r}; "
            "give both the same"
        )
    job = Job.of(out_dir, run, threads=2)
    seed = job.seed
    cpu_start = time.process_time()
    synthesis = synthesis or SynthesisConfig(seed=seed, voices=hp.voices)
    data = load_speech(synthesis, workers=job.threads or 2, progress=job.progress)
    real = load_real_letters()
    synthesis_s = time.perf_counter() - job.start
    print(f"data ready in {synthesis_s:.0f} s: {data.counts()} + {len(real)} real letters")

    torch.manual_seed(seed)
    model = SpeechCTC(network_config(SpeechConfig, hp))
    config = job.train_config(**loop_settings(hp))

    def evaluate(m: SpeechCTC) -> dict[str, float]:
        refs = [u.label for u in data.val]
        scores = error_rates(refs, transcribe_all(m, data.val))
        return {"val_cer": scores["cer"], "val_string_accuracy": scores["string_accuracy"]}

    info = job.info(
        "speech", model, hp, synthesis=asdict(synthesis), synthesis_cache=data.cache_dir.name,
        data={"counts": data.counts(), "real_letters": len(real)},
    )  # fmt: skip
    result = train(
        model,
        batches=lambda epoch: EpochBatches(data.train, hp.batch, seed * 1000 + epoch, hp.augment),
        loss_fn=ctc_loss,  # type: ignore[arg-type]
        evaluate=evaluate,  # type: ignore[arg-type]
        config=config,
        out_dir=job.out,
        info=info,
    )
    model.eval()
    save_speech(job.out / "speech.pt", model)  # before scoring: a failure there keeps the weights
    return job.finish(
        result,
        **final_scores(model, data, real, hp.dtw_templates_per_symbol, seed),
        synthesis_s=round(synthesis_s, 1),
        # CPU seconds of this process (all threads): comparable across machines and loads,
        # unlike wall time on a shared machine; ÷ threads ≈ wall time on a quiet machine.
        process_cpu_s=round(time.process_time() - cpu_start, 1),
    )


def final_scores(
    model: SpeechCTC,
    data: SpeechData,
    real: Sequence[Utterance],
    templates_per_symbol: int,
    seed: int,
    settings: TrimSettings = TRIM,
) -> dict[str, Any]:
    """The log's test scores (``results``: LSTM and DTW per set, ``per_voice``,
    ``dtw_templates``), every clip cut by the trim ``settings`` as the runtime cuts it, and
    those settings (``test_trim``): the exporter publishes scores only with the trim that
    scored them (`rnn_site.export.speech.speech_card`).

    DTW's templates come from the training words of the base voices only (``all_voices()``,
    never the ``voices="more"`` extras), so the baseline is the same yardstick in a "more" run
    as in every other (the ablation shows one DTW row for all runs). Keeping the base voices,
    rather than dropping today's extras, keeps a rescore of an old "more" log right if the
    extra list has changed since."""
    sets = groups(data.test, real, settings=settings)
    results: dict[str, Any] = {"lstm": score_model(model, sets)}
    base = {v.id for v in all_voices("base")}
    isolated_train = [
        (u.audio, u.label, u.voice) for u in data.train if u.kind == "word" and u.voice in base
    ]
    dtw = DTWClassifier(pick_templates(isolated_train, templates_per_symbol, seed))
    results["dtw"] = score_dtw(dtw, sets)
    for name in sets:
        line = f"{name}: LSTM cer {results['lstm'][name]['greedy']['cer']:.3f}"
        if name in results["dtw"]:
            line += f", DTW cer {results['dtw'][name]['greedy']['cer']:.3f}"
        print(line)
    return {
        "results": results,
        "per_voice": per_voice_accuracy(model, sets["tts_isolated"]),
        "dtw_templates": len(dtw.labels),
        "test_trim": settings.to_dict(),
    }


def rescore(
    out_dir: str | Path = "models/speech",
    command: str | None = None,
    *,
    checkpoint: str | Path | None = None,
) -> dict[str, Any]:
    """Score a trained run's test sets again with the runtime's trim, the weights untouched:
    its metrics.json gets the new ``results``, ``per_voice``, ``test_trim`` and a ``rescored``
    record (`rnn_site.export.speech.refresh_card` then publishes them). The validation history
    stays as training measured it (validation clips are not trimmed).

    ``checkpoint`` is the weights scored (default: ``out_dir``/speech.pt, what training
    writes). It must lie in ``out_dir``: the log rescored is the metrics.json beside it, the
    one ``rnn-site export speech --checkpoint`` reads (`ValueError` otherwise, before anything
    is read or written).

    The log's ``synthesis_cache`` becomes the cache the test clips were read from now: when
    the code's cache key has changed since training (the split fix respelled voices), that is
    another cache than training's, with other audio.

    ``rescored.previous`` keeps what the replaced scores were, so the card can say what the
    new trim changed: the trim that scored them (``None``: the log predates ``test_trim``),
    the synthesis cache they were scored from, greedy CER per set, and the clips heard
    differently where a set's error list is complete. Scoring again with the trim and the
    cache that scored the log keeps the ``previous`` it already has (`previous_scores`)."""
    from rnn_site.files import write_json
    from rnn_site.provenance import git_commit

    folder = Path(out_dir)
    weights = folder / "speech.pt" if checkpoint is None else Path(checkpoint)
    if weights.parent.resolve() != folder.resolve():
        raise ValueError(
            f"checkpoint {weights} is not in {folder}: the rescore rewrites {folder}/metrics.json, "
            "the log beside the checkpoint; give the checkpoint's own folder"
        )
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    model, _ = load_speech_model(weights)
    data = load_speech(SynthesisConfig(**log["synthesis"]), progress=False)
    scores = final_scores(
        model, data, load_real_letters(), log["hparams"]["dtw_templates_per_symbol"], log["seed"]
    )
    scores["synthesis_cache"] = data.cache_dir.name
    previous = previous_scores(log, scores)
    log |= {
        **scores,
        "rescored": {
            "command": command,
            "commit": git_commit(),
            "trim": TRIM.to_dict(),
            "note": "test sets scored again with the same weights, cut by the runtime's trim; "
            "the training and validation history is the run's",
            "previous": previous,
        },
    }
    write_json(folder / "metrics.json", log)
    return log


def previous_scores(log: dict[str, Any], scores: dict[str, Any]) -> dict[str, Any]:
    """``rescored.previous`` for ``scores`` replacing the log's: what the log's own rescore
    kept when the trim and the synthesis cache are the ones that scored the log (scoring
    again changes nothing then), else what the log's scores were (:func:`score_changes`): a
    rescore from another cache scored other audio, so what the log held is what it replaced.
    ``scores`` without a ``synthesis_cache`` is taken to be from the log's."""
    kept = (log.get("rescored") or {}).get("previous")
    same_audio = scores.get("synthesis_cache", log.get("synthesis_cache")) == log.get(
        "synthesis_cache"
    )
    if kept is not None and log.get("test_trim") == scores["test_trim"] and same_audio:
        return dict(kept)
    return score_changes(log, scores)


def score_changes(log: dict[str, Any], scores: dict[str, Any]) -> dict[str, Any]:
    """What the log's test scores were before ``scores`` replace them: its ``test_trim`` and
    ``synthesis_cache`` (what cut the clips, and which audio they were), greedy CER per set,
    and per set the clips heard differently (``said``, ``voice``, ``before``, ``after``: the
    transcripts) where both error lists hold every error. A clip is known by its voice and
    what it says (one clip each in KLettres)."""
    old, new = log["results"]["lstm"], scores["results"]["lstm"]
    changed: dict[str, list[dict[str, str]]] = {}
    for name in new:
        if name not in old or max(len(old[name]["errors"]), len(new[name]["errors"])) >= 40:
            continue  # an error list is cut at 40: the clips it leaves out are unknown
        before = {(e["voice"], e["said"]): e["heard"] for e in old[name]["errors"]}
        after = {(e["voice"], e["said"]): e["heard"] for e in new[name]["errors"]}
        changed[name] = []
        for voice, said in sorted(before.keys() | after.keys()):
            was, now = before.get((voice, said), said), after.get((voice, said), said)
            if was != now:
                changed[name].append({"voice": voice, "said": said, "before": was, "after": now})
    return {
        "test_trim": log.get("test_trim"),
        "synthesis_cache": log.get("synthesis_cache"),
        "greedy_cer": {name: old[name]["greedy"]["cer"] for name in old},
        "changed": changed,
    }


#: ``--quick``: 3 epochs (a few minutes on 2 idle cores; the published recipe runs 80).
QUICK = {"max_epochs": 3}


def augment_flag(text: str) -> str:
    """argparse type of ``--augment``: the canonical value, or a one-line error."""
    try:
        return parse_augment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


#: ``rnn-site train speech [--quick] [--max-epochs N] [--hidden H] [--augment KINDS]
#: [--voices base|more]``.
TRAINER = Trainer(
    "speech", __doc__, SpeechTrainConfig, train_speech, QUICK,
    {
        "--max-epochs": Flag("max_epochs"),
        "--patience": Flag(
            "patience",
            help="stop after this many epochs without a better validation CER (default: never; "
            "the recipe runs every epoch and keeps the best)",
        ),
        "--hidden": Flag("hidden_size"),
        "--augment": Flag(
            "augment", type=augment_flag,
            help="pitch,noise,silence (the published recipe), legacy, none, all, or a "
            "comma-separated list of "
            + ", ".join(KINDS),
        ),
        "--voices": Flag(
            "voices", str,
            "base (the published recipe's voices) or more (11 more espeak variants on the "
            "training accents, training only; validation and test unchanged)",
            VOICE_SETS,
        ),
    },
)  # fmt: skip
main = TRAINER.main


if __name__ == "__main__":
    raise SystemExit(main())
