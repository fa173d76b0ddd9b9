"""Who speaks when: speech turns cut at word gaps and sentence ends, grouped by voice into S1, S2 … over a video.

The speech extractor cuts each Whisper segment where the words pause and where a sentence ends (people
answering each other quickly change over in short pauses, nearly always between sentences), embeds each
piece's audio (vidseek/voice.py) and stores the vector with the piece, and the piece's pitch. Grouping happens
when the video's speech evidence is read (`assign`): it needs every chunk's pieces together, it is cheap (no
model runs), and so labels are the same whichever chunks were indexed when.

Grouping is average-linkage clustering on a voice distance, cut at a distance threshold, so the number of
speakers comes out of the voices rather than being given. The distance is the cosine distance of the pieces'
vectors plus PITCH_WEIGHT times the difference of their median log pitch (vidseek/pitch.py, stored with each
piece too): the encoder hears timbre and tells two alike voices apart no better than one voice's sentences,
while their pitch can differ far more than one voice's does from sentence to sentence. Pieces too short to
carry a voice reliably are given the nearest speaker afterwards. Labels are numbered by first appearance.

Names come only from what is said: "my name is Ada" or "I'm Ada" in a speaker's own turn, or a turn that
ends by asking someone ("…, Ada?", "Ada, …?") followed straight away by another speaker (a statement
ending in a name, "…, Elinor.", names nobody: whoever speaks next need not be Elinor). A name is kept with the
evidence that gave it (`Naming.at`), and only a single capitalised word is ever taken, so text in the video
cannot put anything else into a label.
"""

from __future__ import annotations

import base64
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from vidseek.types import Evidence

THRESHOLD = 0.2  # voice distance (`distances`) at which two groups of pieces stop being one voice
GAP_S = 0.4  # a pause between words this long may be a change of speaker: the segment is cut there
MIN_VOICE_S = 1.0  # pieces shorter than this join the nearest speaker instead of founding one (chosen on the
#                   pyannote phone call: its second voice speaks in sentences of 1.2-1.5 s, so at 1.5 s it was no one)
MIN_SPEAKER_S = 4.0  # a group with less speech than this in all is merged into its nearest neighbour
VOICE = "voice"  # meta keys of a stored piece (removed when speakers are assigned)
VOICE_THRESHOLD = "voice_threshold"
SEGMENT = "segment"
PITCH = "pitch"  # meta key of a stored piece: its median log F0 (natural log of Hz), absent when too little is voiced
PITCH_WEIGHT = 0.5  # added to the cosine distance per unit of |Δ median log F0| (a 10% higher voice adds about
#                    0.05); chosen on espeak-alike (benchmarks/speakers.py): 0.3-1.0 keep its four voices at the
#                    0.2 threshold, and 0.5 keeps all four sets right at thresholds 0.15-0.25 too (docs/models.md)
SPEAKER = "speaker"  # meta key of the label on speech evidence
VOICE_LABEL = "voice_label"  # meta keys on speech whose speaker was recognised by an enrolled voice (voiceprints.py):
VOICE_SIMILARITY = "voice_similarity"  # SPEAKER then holds the name, these the video's own label and how alike
LABEL = re.compile(r"S[1-9][0-9]*")
SENTENCE_END = re.compile(r"[.?!…][\"')\]]*\s*$")  # a word that ends a sentence: a speaker may change after it


@dataclass(frozen=True)
class Word:
    """One word Whisper heard, with its times (seconds in the chunk's audio)."""

    start: float
    end: float
    text: str


def split_at_gaps(words: Sequence[Word], gap: float = GAP_S) -> list[list[Word]]:
    """The words in runs with no pause of `gap` seconds or more inside one and no sentence end before the
    last word. People answering each other quickly change over in pauses shorter than `gap` (a phone call's
    "Hello." "Oh, hello." came 0.4 s apart), and they change over at the end of a sentence far more often
    than inside one; a run cut there that one person says on is joined again when labelled (`assign`)."""
    runs: list[list[Word]] = []
    for word in words:
        if runs and word.start - runs[-1][-1].end < gap and not SENTENCE_END.search(runs[-1][-1].text):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def pack(vector: np.ndarray) -> str:
    """A voice vector as text for an evidence file: float16, base64 (about 700 characters)."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)


def cluster(vectors: np.ndarray, durations: Sequence[float], threshold: float = THRESHOLD,
            pitches: Sequence[float | None] | None = None) -> list[int]:
    """A group number per vector (unit vectors, one per piece), with as many groups as the voices make.

    Pieces of MIN_VOICE_S or longer are clustered on `distances`, their `pitches` (median log F0 per piece,
    None where unknown) counting beside the vectors when given; shorter pieces, and groups with under
    MIN_SPEAKER_S of speech, go to the group whose voice vector is nearest (by the vector alone: measured with
    pitch counting there too, the pyannote call's second voice was folded away). Numbers are arbitrary here
    (`assign` orders them)."""
    n = len(vectors)
    if n == 0:
        return []
    lengths = np.asarray(durations, dtype=np.float64)
    core = np.flatnonzero(lengths >= MIN_VOICE_S)
    if len(core) == 0:
        core = np.array([int(np.argmax(lengths))])
    groups = np.full(n, -1)
    if len(core) == 1:
        groups[core] = 0
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        picked = None if pitches is None else [pitches[i] for i in core]
        tree = linkage(distances(vectors[core], picked), method="average")
        groups[core] = fcluster(tree, t=threshold, criterion="distance") - 1
    while True:  # fold groups too small to be a speaker into their nearest neighbour, smallest first
        kept = sorted(set(groups[core].tolist()))
        if len(kept) < 2:
            break
        talk = {g: lengths[core][groups[core] == g].sum() for g in kept}
        small = min(kept, key=lambda g: talk[g])
        if talk[small] >= MIN_SPEAKER_S:
            break
        centres = _centres(vectors, groups, kept)
        others = [g for g in kept if g != small]
        nearest = max(others, key=lambda g: float(centres[small] @ centres[g]))
        groups[groups == small] = nearest
    kept = sorted(set(groups[core].tolist()))
    centres = _centres(vectors, groups, kept)
    for i in np.flatnonzero(groups < 0):
        groups[i] = max(kept, key=lambda g: float(vectors[i] @ centres[g]))
    return groups.tolist()


def distances(vectors: np.ndarray, pitches: Sequence[float | None] | None = None) -> np.ndarray:
    """The condensed matrix (scipy's pdist order) of voice distances between pieces: cosine distance of their
    unit vectors plus PITCH_WEIGHT times the difference of their median log F0 where both have one."""
    from scipy.spatial.distance import pdist

    out = pdist(vectors, metric="cosine").clip(0.0)
    if pitches is not None:
        heights = np.array([np.nan if p is None else float(p) for p in pitches], dtype=np.float64)
        apart = np.nan_to_num(pdist(heights[:, None], metric="cityblock"), nan=0.0)
        out = out + PITCH_WEIGHT * apart
    return out


def _centres(vectors: np.ndarray, groups: np.ndarray, kept: list[int]) -> dict[int, np.ndarray]:
    out = {}
    for g in kept:
        mean = vectors[groups == g].mean(axis=0)
        out[g] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return out


def assign(items: Sequence[Evidence]) -> list[Evidence]:
    """Speech evidence with speakers: pieces grouped by voice over the whole video, labelled S1, S2 … by
    first appearance, pieces of one Whisper segment with the same speaker joined again, and the label put
    before the text ("S2: we release on March fourteenth") and into meta. Evidence without a voice vector
    (indexed with --no-speakers, or by an older version) is passed through unchanged."""
    labelled = labelled_pieces(items)
    if not labelled:
        return list(items)
    rest = [e for e in items if not isinstance(e.meta.get(VOICE), str)]
    joined: list[Evidence] = []
    for item, label, _ in labelled:
        meta = {k: v for k, v in item.meta.items() if k not in (VOICE, VOICE_THRESHOLD, PITCH)}
        meta[SPEAKER] = label
        prev = joined[-1] if joined else None
        if (prev is not None and prev.meta.get(SPEAKER) == label and SEGMENT in meta
                and prev.meta.get(SEGMENT) == meta[SEGMENT]):
            joined[-1] = replace(prev, end=max(prev.end, item.end), text=f"{prev.text} {item.text}")
            continue
        joined.append(replace(item, meta=meta, text=item.text))
    said = [replace(e, text=f"{e.meta[SPEAKER]}: {e.text}",
                    meta={k: v for k, v in e.meta.items() if k != SEGMENT}) for e in joined]
    return sorted(rest + said, key=lambda e: (e.start, e.end))


def labelled_pieces(items: Sequence[Evidence]) -> list[tuple[Evidence, str, np.ndarray]]:
    """The stored pieces that carry a voice vector, in time order, each with its speaker label (S1, S2 … by
    first appearance) and its unit voice vector: the one grouping `assign` labels by, and that voice prints
    (vidseek/voiceprints.py) are made and matched from, so both always agree on who S2 is."""
    pieces = sorted((e for e in items if isinstance(e.meta.get(VOICE), str)), key=lambda e: (e.start, e.end))
    if not pieces:
        return []
    vectors = np.stack([unpack(e.meta[VOICE]) for e in pieces])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    threshold = float(pieces[0].meta.get(VOICE_THRESHOLD, THRESHOLD))
    groups = cluster(vectors, [e.end - e.start for e in pieces], threshold, [pitch_of(e) for e in pieces])
    order: dict[int, str] = {}
    for g in groups:
        order.setdefault(g, f"S{len(order) + 1}")
    return [(item, order[g], vector) for item, g, vector in zip(pieces, groups, vectors)]


def pitch_of(item: Evidence) -> float | None:
    """A stored piece's median log F0, or None (unvoiced, or indexed before pitch was stored)."""
    value = item.meta.get(PITCH)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def speaker_of(item: Evidence) -> str:
    """The label on speech (or subtitle) evidence, or '' when it has none."""
    label = item.meta.get(SPEAKER)
    return label if isinstance(label, str) else ""


def spoken_text(item: Evidence) -> str:
    """The words without the label put before them."""
    label = speaker_of(item)
    return item.text[len(label) + 2:] if label and item.text.startswith(f"{label}: ") else item.text


# words that follow "I'm" / start an address but are not names
_NOT_NAMES = frozenset("""
i im sorry sure not so just glad happy afraid here there going good fine okay ok yes no well thanks thank
the a an and but or if this that we you they he she it my your our so very really also still
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december everyone everybody team guys folks hello hi hey right now then
""".split())
_NAME = r"([A-Z][a-z]{1,19})"
_SELF = re.compile(rf"\b(?:[Mm]y name is|I'm|I am)\s+{_NAME}\b(?!')")
# only a question addressed to someone names who answers it: "…, Elinor." said to Elinor may be followed by anyone
_ADDRESS_END = re.compile(rf",\s*{_NAME}\s*\?\s*$")
_ADDRESS_START = re.compile(rf"^{_NAME}\s*,.*\?\s*$")


@dataclass(frozen=True)
class Naming:
    """A name the video gives a speaker, and the evidence it was given in."""

    label: str
    name: str
    at: Evidence
    how: str  # "introduces themselves" | "addressed before answering"


def _name(word: str) -> str | None:
    return None if word.lower() in _NOT_NAMES else word


def names(items: Sequence[Evidence]) -> dict[str, Naming]:
    """Names for speaker labels, only where the speech gives them (see the module docstring). A label
    named differently in different places takes the name said most often; a name claimed by two labels
    stays with the one it was given to most often."""
    turns = sorted((e for e in items if speaker_of(e)), key=lambda e: (e.start, e.end))
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[tuple[str, str], Naming] = {}
    for i, item in enumerate(turns):
        label, words = speaker_of(item), spoken_text(item)
        found: list[tuple[str, str, Evidence, str]] = []
        for match in _SELF.finditer(words):
            name = _name(match.group(1))
            if name:
                found.append((label, name, item, "introduces themselves"))
        nxt = turns[i + 1] if i + 1 < len(turns) else None
        if nxt is not None and speaker_of(nxt) != label:
            last = re.split(r"(?<=[.!?])\s+", words.strip())[-1]
            for pattern in (_ADDRESS_END, _ADDRESS_START):
                match = pattern.search(last)
                name = _name(match.group(1)) if match else None
                if name:
                    found.append((speaker_of(nxt), name, item, "addressed before answering"))
                    break
        for who, name, at, how in found:
            votes[who][name] += 1
            first.setdefault((who, name), Naming(who, name, at, how))
    chosen: dict[str, Naming] = {}
    owners: dict[str, tuple[int, str]] = {}
    for label, counted in votes.items():
        name, count = counted.most_common(1)[0]
        if name in owners and owners[name][0] >= count:
            continue
        if name in owners:
            chosen.pop(owners[name][1], None)
        owners[name] = (count, label)
        chosen[label] = first[(label, name)]
    return chosen


@dataclass(frozen=True)
class Speaker:
    """One voice in a video: its label, a name where the video gives one, how much and when it speaks."""

    label: str
    talk_time: float
    turns: int
    first: Evidence
    last: Evidence
    name: str = ""
    named_at: Evidence | None = None
    similarity: float | None = None  # set when the name is an enrolled voice recognised here (voiceprints.py)


def speakers(items: Sequence[Evidence]) -> list[Speaker]:
    """The speakers of a video's evidence, in order of first appearance."""
    by_label: dict[str, list[Evidence]] = defaultdict(list)
    for item in sorted(items, key=lambda e: (e.start, e.end)):
        if speaker_of(item):
            by_label[speaker_of(item)].append(item)
    named = names(items)
    out = []
    for label, turns in by_label.items():
        naming = named.get(label)
        out.append(Speaker(label, round(sum(t.end - t.start for t in turns), 2), len(turns), turns[0], turns[-1],
                           naming.name if naming else "", naming.at if naming else None))
    return out


def resolve(wanted: str, items: Sequence[Evidence]) -> str:
    """The label a `--speaker` value means: a label in the evidence (S2, s2, or a subtitle's JOHN), or a
    name the video gives; '' when it means none."""
    key = wanted.strip().lower()
    for item in items:
        if speaker_of(item).lower() == key:
            return speaker_of(item)
        if str(item.meta.get(VOICE_LABEL, "")).lower() == key:  # S2 of a speaker recognised by name
            return speaker_of(item)
    for naming in names(items).values():
        if naming.name.lower() == key:
            return naming.label
    return ""
