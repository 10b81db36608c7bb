"""Spoken digits and letters, synthesised offline by many text-to-speech voices, and real letters.

No speech corpus is downloaded: the training data is *made* with three Debian text-to-speech
engines (``apt-get install espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k
festvox-us-slt-hts``), and the real-speech test set is KLettres' recordings of the English
alphabet (``apt-get install klettres-data vorbis-tools``; GPL-2+, KDE).

What is said:

- **isolated words**: the digits 0–9 ("zero" … "nine") and the letters A–Z (letter names);
- **connected digit strings** of 3–7 digits, read like a phone number, with a comma (a short
  pause) at random places.

Who says it — a *voice* is one engine with one voice setting:

- espeak-ng: 8 English accents × 12 voice variants (m1–m7, f1–f5), each utterance with its own
  pitch (-p) and speed (-s);
- flite: kal (8 kHz), kal16, awb, rms, slt, with jittered duration and pitch;
- festival: kal and ked (diphone) and slt (HTS), with jittered duration.

**Whole voices are held out.** The test set is spoken only by voices the model never heard:
the Caribbean espeak accent (every variant), the f4 and m6 variants (every accent), flite's rms
and festival's ked. Validation (early stopping) uses the m2 variant. A transcript is the
string of symbols said ("7", "B", "55512"); the model's alphabet is the 36 symbols ``VOCAB``.

``SynthesisConfig(voices="more")`` adds 11 more espeak variants (``EXTRA_VARIANTS``) on the
training accents, to the training split only; validation and test stay exactly as with
``"base"`` (today's voices).

Synthesis is deterministic (a seeded plan, deterministic engines) and cached as int16 arrays in
``.cache/speech/<hash of the config and engine versions>/``, so retraining reuses it; it takes
about a minute on two cores. Augmentation (:func:`augment`: speed, gain, noise, silence, room
echo) is applied afresh to every training example in every epoch.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnn_site.data.audio import SAMPLE_RATE, decode_ogg, read_wav, resample
from rnn_site.files import atomic_path

#: The model's symbols; CTC class k + 1 is VOCAB[k] and class 0 is the blank.
VOCAB = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = VOCAB[:10]
LETTERS = VOCAB[10:]
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: Letter names spelled out, for festival (it reads a lone "A" as the article "a").
LETTER_WORDS = dict(zip(LETTERS, (
    "ay", "bee", "see", "dee", "ee", "eff", "gee", "aych", "eye", "jay", "kay", "el", "em",
    "en", "oh", "pee", "cue", "are", "ess", "tee", "you", "vee", "double you", "ex", "why", "zee",
), strict=True))  # fmt: skip
#: Letter names that rhyme on "ee" (the E-set of speech recognition), hard even for people on
#: a telephone line.
E_SET = "BCDEGPTVZ"
KLETTRES_DIR = Path("/usr/share/klettres")
KLETTRES_SETS = ("en", "en_GB")
CACHE_ROOT = Path(__file__).resolve().parents[2] / ".cache" / "speech"
FORMAT_VERSION = 1
APT_PACKAGES = (
    "espeak-ng", "flite", "festival", "festvox-kallpc16k", "festvox-kdlpc16k",
    "festvox-us-slt-hts",
)  # fmt: skip

#: espeak-ng 1.51 ignores a variant written after "en-gb" ("en-gb+f4" says, sample for sample,
#: what "en-gb" says), so the British accent is spelled "en": the same voice, which keeps its
#: variant. Until 2026-12 it was spelled "en-gb", which made its 12 variants one voice and two
#: "held-out" test voices (f4, m6) and the validation one (m2) the training voice.
ESPEAK_ACCENTS = (
    "en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
    "en-us-nyc", "en-029",
)  # fmt: skip
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
TEST_ACCENTS = ("en-029",)
TEST_VARIANTS = ("f4", "m6")
VAL_VARIANTS = ("m2",)
TEST_OTHER = ("flite:rms", "festival:ked_diphone")

#: ``voices`` settings of `SynthesisConfig`: today's voices, or those plus `EXTRA_VARIANTS`.
VOICE_SETS = ("base", "more")
#: More espeak-ng variants (files in espeak-ng-data/voices/!v) for ``voices="more"``, chosen
#: from the 100-odd that espeak-ng 1.51 ships as the natural-sounding ones, by reading each
#: file and saying the 36 symbols with en-us at the default pitch and speed:
#:
#: - ``klatt``–``klatt5``: espeak's Klatt synthesiser instead of its default one, each with
#:   another voicing source (impulsive, natural, sampled, ...), the default male pitch and
#:   formants: the same speaker made by another synthesis method. ``klatt6`` is left out: 6 is
#:   no source number, so it falls back to ``klatt``'s, and its audio is byte for byte
#:   ``klatt``'s.
#: - ``m8``, ``Mike``, ``robert`` (male, about 100–117 Hz) and ``belinda``, ``Annie``,
#:   ``grandma`` (female, about 245–300 Hz; grandma with an old voice's flutter): pitch and
#:   formant changes within a person's range, no clipping.
#:
#: Left out: whisper, robot, echo, croak and the like (not people); those that zero or move
#: far a formant that shapes vowels (Andy, Lee, Jacky, Michael, boris, steph); those that
#: clip on plain symbols (paul: 542 samples, pedro: 94, Andrea: 14, over 36 symbols); linda
#: (belinda's twin). None of them is the validation variant (m2) or a test one (f4, m6).
#:
#: Not every extra voice is a new one: espeak-ng 1.51's en-us-nyc says 29 of the 36 symbols
#: byte for byte as en-us does (only 2, 4, 8, D, R, T and W differ; at the default pitch and
#: speed, with each variant tried: klatt, m8, grandma and the base set's m1), so the 77 extra
#: voices are about 66 distinct ones.
EXTRA_VARIANTS = (
    "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "m8", "Mike", "robert", "belinda", "Annie",
    "grandma",
)  # fmt: skip
#: Version of how `plan` draws for ``voices="more"`` (the extra voices' words and which
#: training strings they say); part of a "more" cache key. Bump it when that drawing changes,
#: so no cache of the old drawing is read.
MORE_PLAN_VERSION = 1


@dataclass(frozen=True)
class Voice:
    """One engine with one voice setting; ``id`` is e.g. "espeak:en-gb-scotland+f2"."""

    engine: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"


def all_voices(voices: str = "base") -> list[Voice]:
    """Every voice the synthesiser uses, in a fixed order: today's (``"base"``), then for
    ``"more"`` the `extra_voices`."""
    check_voices(voices)
    out = [Voice("espeak", f"{a}+{v}") for a in ESPEAK_ACCENTS for v in ESPEAK_VARIANTS]
    out += [Voice("flite", v) for v in FLITE_VOICES]
    out += [Voice("festival", v) for v in FESTIVAL_VOICES]
    return out + (extra_voices() if voices == "more" else [])


def extra_voices() -> list[Voice]:
    """The voices ``"more"`` adds: every `EXTRA_VARIANTS` on every training accent (not the
    test accent), all of them training voices (see `voice_split`)."""
    accents = [a for a in ESPEAK_ACCENTS if a not in TEST_ACCENTS]
    return [Voice("espeak", f"{a}+{v}") for a in accents for v in EXTRA_VARIANTS]


def check_voices(voices: str) -> None:
    """`ValueError` unless ``voices`` is one of `VOICE_SETS`."""
    if voices not in VOICE_SETS:
        raise ValueError(f"unknown voices {voices!r}; expected one of {', '.join(VOICE_SETS)}")


def voice_split(voice: Voice) -> str:
    """ "train", "val" or "test": whole voices are held out, never single utterances."""
    if voice.engine == "espeak":
        accent, variant = voice.name.split("+")
        if accent in TEST_ACCENTS or variant in TEST_VARIANTS:
            return "test"
        return "val" if variant in VAL_VARIANTS else "train"
    return "test" if voice.id in TEST_OTHER else "train"


def spoken_text(label: str, voice: Voice, pauses: Sequence[bool] = ()) -> str:
    """What the engine is asked to say for `label` ("7", "B", "55512").

    Digits become words ("five five five, one two") so no engine reads a number ("fifty-five
    thousand"); a True in `pauses` after symbol i puts a comma (a short pause) there. Letters
    stay letters for espeak and flite (they say the letter's name, "zed" in British accents)
    and are spelled out for festival.
    """
    words = []
    for i, symbol in enumerate(label):
        if symbol in DIGITS:
            word = DIGIT_WORDS[int(symbol)]
        elif voice.engine == "festival":
            word = LETTER_WORDS[symbol]
        else:
            word = symbol
        words.append(word + ("," if i < len(pauses) and pauses[i] else ""))
    return " ".join(words) + ("." if len(label) == 1 and voice.engine != "festival" else "")


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SynthesisConfig:
    """How much to synthesise; every field goes into the cache key.

    Per voice, each of the 36 symbols is said ``renditions[engine]`` times (each with its own
    pitch/speed jitter). Connected strings are drawn per split, each from a random voice of the
    split (engines weighted by ``string_engine_weights``). ``voices`` is `all_voices`'s
    setting. The key also holds every voice's id (so a respelled or added voice is a new
    cache, never the old audio) and, for "more", `MORE_PLAN_VERSION`.
    """

    seed: int = 0
    renditions: dict[str, int] = field(
        default_factory=lambda: {"espeak": 1, "flite": 6, "festival": 6}
    )
    strings: dict[str, int] = field(
        default_factory=lambda: {"train": 1500, "val": 120, "test": 240}
    )
    string_engine_weights: dict[str, float] = field(
        default_factory=lambda: {"espeak": 0.5, "flite": 0.3, "festival": 0.2}
    )
    min_digits: int = 3
    max_digits: int = 7
    pause_probability: float = 0.25
    voices: str = "base"

    def __post_init__(self) -> None:
        check_voices(self.voices)

    def key(self, versions: dict[str, str]) -> str:
        """Hex digest naming the cache folder: the config, the format and engine versions."""
        keyed: dict[str, object] = {
            "format": FORMAT_VERSION,
            "engines": versions,
            "voices": [v.id for v in all_voices(self.voices)],
        }
        if self.voices == "more":
            keyed["more_plan"] = MORE_PLAN_VERSION
        blob = json.dumps({"config": asdict(self), **keyed}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Request:
    """One utterance to synthesise: who, what, and the prosody jitter (1.0 = the default)."""

    voice: Voice
    label: str
    kind: str  # "word" or "digits"
    text: str
    rate: float  # > 1 speaks faster
    pitch: float  # > 1 speaks higher


def plan(config: SynthesisConfig) -> dict[str, list[Request]]:
    """Every utterance of every split, deterministically from ``config.seed``.

    With ``voices="more"`` the `extra_voices` join the training split: each says every
    symbol as the other espeak voices do, and they join the espeak pool that training digit
    strings draw their voice from (same number of strings, same engine weights). Their draws
    come from a second generator, so the first draws exactly as for "base": the base voices'
    words, every string's digits, pauses and prosody, its engine, and the whole of validation
    and test are the same. But *every* espeak training string has its voice drawn again, from
    the base espeak voices and the extras together, so "more" differs from "base" in more than
    the added voices: with seed 0, of the 726 espeak training strings 394 are said by an extra
    voice, 328 by another base voice than in "base" and 4 by the same one. (A run's data is
    this drawing; changing it is a new `MORE_PLAN_VERSION`.)
    """
    rng = np.random.default_rng(config.seed)
    more = np.random.default_rng([config.seed, 1])
    extra = extra_voices() if config.voices == "more" else []
    by_split: dict[str, list[Voice]] = {"train": [], "val": [], "test": []}
    for voice in all_voices():
        by_split[voice_split(voice)].append(voice)

    def jitter(gen: np.random.Generator = rng) -> tuple[float, float]:
        return float(gen.uniform(0.8, 1.25)), float(gen.uniform(0.8, 1.25))

    def words(voice: Voice, times: int, gen: np.random.Generator = rng) -> list[Request]:
        out = []
        for _ in range(times):
            for symbol in VOCAB:
                rate, pitch = jitter(gen)
                out.append(Request(voice, symbol, "word", spoken_text(symbol, voice), rate, pitch))
        return out

    requests: dict[str, list[Request]] = {}
    for split, voices in by_split.items():
        out = []
        for voice in voices:
            times = config.renditions[voice.engine] if split == "train" else 1
            # Few flite and festival voices are held out: say each symbol thrice with them.
            times = times if split == "train" or voice.engine == "espeak" else 3
            out += words(voice, times)
        added = extra if split == "train" else []
        for voice in added:
            out += words(voice, config.renditions[voice.engine], more)
        engines = sorted({v.engine for v in voices})
        weights = np.array([config.string_engine_weights[e] for e in engines])
        for _ in range(config.strings[split]):
            engine = engines[rng.choice(len(engines), p=weights / weights.sum())]
            pool = [v for v in voices if v.engine == engine]
            voice = pool[rng.integers(len(pool))]
            if added and engine == "espeak":  # drawn from the pool with the extras instead
                pool = pool + added
                voice = pool[more.integers(len(pool))]
            n = int(rng.integers(config.min_digits, config.max_digits + 1))
            label = "".join(DIGITS[d] for d in rng.integers(0, 10, size=n))
            pauses = list(rng.random(n - 1) < config.pause_probability)
            rate, pitch = jitter()
            out.append(
                Request(voice, label, "digits", spoken_text(label, voice, pauses), rate, pitch)
            )
        requests[split] = out
    return requests


# --------------------------------------------------------------------------- the engines


def missing_tools() -> list[str]:
    """Engines or voices not installed here (empty when synthesis can run)."""
    missing = [tool for tool in ("espeak-ng", "flite", "festival") if shutil.which(tool) is None]
    festival_dirs = {
        "kal_diphone": "english/kal_diphone",
        "ked_diphone": "english/ked_diphone",
        "cmu_us_slt_arctic_hts": "us/cmu_us_slt_arctic_hts",
    }
    for voice, folder in festival_dirs.items():
        if not (Path("/usr/share/festival/voices") / folder).is_dir():
            missing.append(f"festival voice {voice}")
    return missing


def engine_versions() -> dict[str, str]:
    """Version strings of the installed engines (part of the cache key)."""
    out = {}
    for tool, args in (("espeak-ng", ["--version"]), ("flite", ["--version"])):
        try:
            text = subprocess.run([tool, *args], capture_output=True, text=True).stdout
        except FileNotFoundError:
            text = "missing"
        out[tool] = text.strip().splitlines()[0] if text.strip() else "unknown"
    out["festival"] = "present" if shutil.which("festival") else "missing"
    return out


def _espeak(request: Request, path: Path) -> list[str]:
    pitch = round(float(np.clip(50 * request.pitch, 0, 99)))
    speed = round(165 * request.rate)
    voice = request.voice.name
    return ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(path),
            request.text]  # fmt: skip


def _flite(request: Request, path: Path) -> list[str]:
    return ["flite", "-voice", request.voice.name,
            "--setf", f"duration_stretch={1 / request.rate:.3f}",
            "--setf", f"int_f0_target_mean={110 * request.pitch:.1f}",
            "-t", request.text, "-o", str(path)]  # fmt: skip


def _festival_script(requests: Sequence[tuple[Request, Path]]) -> str:
    """One festival batch for one voice: each utterance with its own duration stretch."""
    lines = [f"(voice_{requests[0][0].voice.name})"]
    for request, path in requests:
        lines.append(
            f"(Parameter.set 'Duration_Stretch {1 / request.rate:.3f})"
            f'(set! u (Utterance Text "{request.text}"))(utt.synth u)'
            f'(utt.save.wave u "{path}" \'riff)'
        )
    return "\n".join(lines) + "\n"


def trim_silence(samples: np.ndarray, margin_s: float = 0.08) -> np.ndarray:
    """Cut leading/trailing near-silence (below 2% of the peak), keeping `margin_s` of it."""
    peak = float(np.abs(samples).max(initial=0.0))
    if peak == 0.0:
        return samples
    loud = np.flatnonzero(np.abs(samples) > 0.02 * peak)
    margin = int(margin_s * SAMPLE_RATE)
    return samples[max(0, loud[0] - margin) : loud[-1] + margin + 1]


def _load_16k(path: Path) -> np.ndarray:
    samples, rate = read_wav(path)
    return trim_silence(resample(samples, rate, SAMPLE_RATE))


def synthesise(
    requests: Sequence[Request], workers: int = 2, progress: Callable[[int], None] | None = None
) -> list[np.ndarray]:
    """Run the engines: 16 kHz float32 audio per request, in order (silence trimmed)."""
    missing = missing_tools()
    if missing:
        raise FileNotFoundError(
            f"text-to-speech tools missing: {', '.join(missing)}; "
            f"apt-get install {' '.join(APT_PACKAGES)}"
        )
    out: list[np.ndarray | None] = [None] * len(requests)
    with tempfile.TemporaryDirectory(prefix="rnn-speech-") as tmp:
        folder = Path(tmp)
        paths = [folder / f"{i}.wav" for i in range(len(requests))]
        jobs: list[list[str]] = []
        owners: list[list[int]] = []
        festival: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            if request.voice.engine == "festival":
                festival.setdefault(request.voice.name, []).append(i)
            else:
                make = _espeak if request.voice.engine == "espeak" else _flite
                jobs.append(make(request, paths[i]))
                owners.append([i])
        # Festival batches, split in chunks so the progress bar moves and both cores work.
        for name, indices in sorted(festival.items()):
            for start in range(0, len(indices), 50):
                chunk = indices[start : start + 50]
                script = folder / f"festival-{name}-{start}.scm"
                script.write_text(_festival_script([(requests[i], paths[i]) for i in chunk]))
                jobs.append(["festival", "-b", str(script)])
                owners.append(chunk)

        def run(job: int) -> int:
            subprocess.run(jobs[job], check=True, capture_output=True)
            for i in owners[job]:
                out[i] = _load_16k(paths[i])
                paths[i].unlink()
            return len(owners[job])

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(run, range(len(jobs))):
                if progress is not None:
                    progress(done)
    return [a for a in out if a is not None]


# --------------------------------------------------------------------------- the data set


@dataclass(frozen=True)
class Utterance:
    """One clip: 16 kHz float32 audio, its transcript ("55512"), who said it, and what kind."""

    audio: np.ndarray
    label: str
    voice: str
    kind: str  # "word", "digits" or "real"


@dataclass(frozen=True)
class SpeechData:
    """The three splits; voices in test and val never occur in train."""

    train: list[Utterance]
    val: list[Utterance]
    test: list[Utterance]
    cache_dir: Path

    def counts(self) -> dict[str, dict[str, int]]:
        """Utterances and voices per split and kind (for the training log and the card)."""
        out = {}
        for name in ("train", "val", "test"):
            part: list[Utterance] = getattr(self, name)
            out[name] = {
                "word": sum(u.kind == "word" for u in part),
                "digits": sum(u.kind == "digits" for u in part),
                "voices": len({u.voice for u in part}),
                "seconds": round(sum(len(u.audio) for u in part) / SAMPLE_RATE),
            }
        return out


def _save_split(path: Path, utterances: Sequence[Utterance]) -> None:
    audio = [np.round(np.clip(u.audio, -1, 1) * 32767).astype(np.int16) for u in utterances]
    offsets = np.cumsum([0] + [len(a) for a in audio])
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            audio=np.concatenate(audio) if audio else np.zeros(0, np.int16),
            offsets=offsets,
            labels=np.array([u.label for u in utterances]),
            voices=np.array([u.voice for u in utterances]),
            kinds=np.array([u.kind for u in utterances]),
        )


def _load_split(path: Path) -> list[Utterance]:
    with np.load(path) as data:
        audio, offsets = data["audio"], data["offsets"]
        return [
            Utterance(audio[a:b].astype(np.float32) / 32767.0, str(lab), str(v), str(k))
            for a, b, lab, v, k in zip(
                offsets[:-1], offsets[1:], data["labels"], data["voices"], data["kinds"],
                strict=True,
            )
        ]  # fmt: skip


def cache_dir_for(config: SynthesisConfig, root: Path = CACHE_ROOT) -> Path:
    return root / config.key(engine_versions())


def load_speech(
    config: SynthesisConfig | None = None,
    *,
    cache_root: str | Path | None = None,
    workers: int = 2,
    progress: bool = True,
) -> SpeechData:
    """The synthesised splits: from the cache if present, else synthesised and cached."""
    config = config or SynthesisConfig()
    folder = cache_dir_for(config, Path(cache_root) if cache_root else CACHE_ROOT)
    splits = ("train", "val", "test")
    if not all((folder / f"{s}.npz").exists() for s in splits):
        requests = plan(config)
        total = sum(len(r) for r in requests.values())
        from tqdm.auto import tqdm

        with tqdm(total=total, desc="synthesising", disable=not progress, leave=False) as bar:
            for split in splits:
                audio = synthesise(requests[split], workers, bar.update)
                _save_split(
                    folder / f"{split}.npz",
                    [
                        Utterance(a, r.label, r.voice.id, r.kind)
                        for a, r in zip(audio, requests[split], strict=True)
                    ],
                )
        (folder / "config.json").write_text(
            json.dumps({"config": asdict(config), "engines": engine_versions()}, indent=2)
        )
    train, val, test = (_load_split(folder / f"{s}.npz") for s in splits)
    return SpeechData(train, val, test, cache_dir=folder)


# --------------------------------------------------------------------------- real recordings


def klettres_files(root: Path = KLETTRES_DIR) -> list[tuple[str, str, Path]]:
    """(set, letter, path) of KLettres' English letter recordings that exist here."""
    out = []
    for name in KLETTRES_SETS:
        for letter in LETTERS:
            for stem in (letter, letter.lower()):
                path = root / name / "alpha" / f"{stem}.ogg"
                if path.is_file():
                    out.append((name, letter, path))
                    break
    return out


def load_real_letters(root: Path = KLETTRES_DIR) -> list[Utterance]:
    """KLettres' recordings of A–Z by real people (en, en_GB), 16 kHz, silence trimmed.

    Decoded with ``oggdec`` once and cached in ``.cache/speech/klettres.npz``. Empty when
    klettres-data is not installed.
    """
    files = klettres_files(root)
    if not files:
        return []
    cache = CACHE_ROOT / f"klettres-v{FORMAT_VERSION}.npz"
    if cache.exists():
        cached = _load_split(cache)
        if len(cached) == len(files):
            return cached
    utterances = []
    for name, letter, path in files:
        samples, rate = decode_ogg(path)
        audio = trim_silence(resample(samples, rate, SAMPLE_RATE))
        utterances.append(Utterance(audio, letter, f"klettres:{name}", "real"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    _save_split(cache, utterances)
    return utterances


# --------------------------------------------------------------------------- augmentation


def augment(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A randomly changed copy: speed ±10%, silence before/after, room echo, noise, gain.

    Speed is changed by interpolation (pitch moves with it, like a tape); the echo is a short
    decaying noise burst (a small room); noise is white or low-pass ("rumble") at 8–40 dB SNR.
    Gain is applied last, though the model's peak normalisation undoes most of it: it matters
    only through clipping.
    """
    x = audio.astype(np.float32)
    speed = rng.uniform(0.9, 1.1)
    # Linear interpolation is enough for a ±10% change and far cheaper than a band-limited one.
    x = np.interp(np.arange(0, len(x) - 1, speed), np.arange(len(x)), x).astype(np.float32)
    before, after = rng.integers(0, int(0.2 * SAMPLE_RATE), size=2)
    x = np.concatenate([np.zeros(before, np.float32), x, np.zeros(after, np.float32)])
    if rng.random() < 0.25:
        taps = int(rng.uniform(0.02, 0.12) * SAMPLE_RATE)
        decay = np.exp(-np.arange(taps) / (taps / rng.uniform(3, 8)))
        impulse = rng.normal(size=taps) * decay * rng.uniform(0.05, 0.3)
        impulse[0] = 1.0
        size = len(x) + taps - 1
        echo = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(impulse, size), size)
        x = echo[: len(x)].astype(np.float32)
    if rng.random() < 0.8:
        noise = rng.normal(size=len(x))
        if rng.random() < 0.5:
            noise = np.cumsum(noise)
            smooth = np.cumsum(np.concatenate([[0.0], noise]))
            window = 64
            moving = (smooth[window:] - smooth[:-window]) / window
            noise = noise[window - 1 :] - moving  # drop the drift: keep the rumble
            noise = np.concatenate([noise, noise[: len(x) - len(noise)]])
        signal_power = float(np.mean(audio.astype(np.float64) ** 2)) + 1e-12
        snr_db = rng.uniform(8, 40)
        scale = np.sqrt(signal_power / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
        x = x + (scale * noise).astype(np.float32)
    x = x * np.float32(10 ** (rng.uniform(-20, 3) / 20))
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def labels_to_ids(label: str) -> list[int]:
    """ "55B" → CTC class ids [6, 6, 12] (class 0 is the blank)."""
    return [VOCAB.index(symbol) + 1 for symbol in label]


def by_voice(utterances: Iterable[Utterance]) -> dict[str, list[Utterance]]:
    out: dict[str, list[Utterance]] = {}
    for u in utterances:
        out.setdefault(u.voice, []).append(u)
    return out


def main() -> int:
    """``python -m rnn_site.data.speech``: synthesise (or find) the cached data; print counts."""
    data = load_speech()
    print(data.cache_dir)
    print(json.dumps(data.counts(), indent=2))
    print(f"real letters: {len(load_real_letters())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
