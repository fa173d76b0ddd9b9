"""Who's who across a library: a voice enrolled once by name, recognised in every video after.

Within a video, diarization (vidseek/diarize.py) groups speech pieces by voice into S1, S2 …; across videos
those labels mean nothing. A *voice* is one speaker of one video as a single unit vector: its identity vector
(vidseek/identity.py: ECAPA-TDNN over the audio of its longest pieces; `voices` below, the diarization
d-vectors averaged, is what was matched before, kept for benchmarks/speaker_id.py's comparison). A *print* is
a name with the voices it was enrolled from (`vidseek speakers name VIDEO S2 "Alice Chen"`), averaged by their
seconds of speech. Recognition compares each speaker of a video with every print by cosine similarity and
names the pairs at or above THRESHOLD, best first, one name per speaker and one speaker per name in a video. It
runs when a video's evidence is read: nothing is re-transcribed, a print enrolled today names speakers in
videos indexed last year, and forgetting a print un-names them everywhere at once.

Prints are personal data (a voice identifies a person). They live in one file in the library,
`speakers/voices.json`, written whole; nothing else in the library stores a name taken from a print (the
search store keeps S1, S2 …), so `forget` — which rewrites that file without the print, or deletes it when it
was the last — leaves no trace of it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from vidseek.diarize import LABEL, labelled_pieces, pack, unpack
from vidseek.errors import BadRequest, NotFound
from vidseek.types import Evidence
from vidseek.video import LibraryError

THRESHOLD = 0.415  # cosine similarity of identity vectors at which a speaker is taken to be an enrolled voice
#                    (ECAPA, vidseek/identity.py): benchmarks/speaker_id.py, chosen on half of 30 real voices
#                    (docs/models.md); different real people reached 0.47 at most there
AGREEMENT = 0.25  # below this, two pieces of one speaker are taken to be two people (benchmarks/speaker_id.py:
#                   one person's pieces of 1 s or more rarely fall under it; docs/models.md)
NAME_MAX = 80
FORMAT = 2  # 1: prints of Resemblyzer d-vectors (before identity vectors); read, and re-taken by the library


@dataclass(frozen=True)
class Voice:
    """One speaker of one video as a single unit vector, with its seconds of speech and number of pieces."""

    label: str
    vector: np.ndarray
    seconds: float
    pieces: int
    agreement: float = 1.0  # how alike the least alike two of its pieces are (vidseek/identity.py; 1.0: one piece)

    @property
    def one_voice(self) -> bool:
        """Whether its pieces sound like one person: a speaker that holds two (diarization joined them) is
        neither named nor enrolled, as whichever name it got would be wrong for part of what it says."""
        return self.agreement >= AGREEMENT


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-9)).astype(np.float32)


def voices(raw: Sequence[Evidence]) -> dict[str, Voice]:
    """Each speaker's diarization voice, by label: its stored pieces' d-vectors averaged by length (read with
    their vectors, before `diarize.assign` drops them). What prints were matched on before identity vectors;
    benchmarks/speaker_id.py --voices dvector measures it beside them."""
    parts: dict[str, list[tuple[float, np.ndarray]]] = defaultdict(list)
    for item, label, vector in labelled_pieces(raw):
        parts[label].append((max(item.end - item.start, 1e-3), vector))
    out = {}
    for label, pieces in parts.items():
        weights = np.array([w for w, _ in pieces])
        mean = (weights[:, None] * np.stack([v for _, v in pieces])).sum(axis=0)
        out[label] = Voice(label, _unit(mean), round(float(weights.sum()), 2), len(pieces))
    return out


@dataclass(frozen=True)
class Sample:
    """One enrolment: speaker `label` of the video with this fingerprint, and its voice then."""

    video: str
    label: str
    seconds: float
    vector: np.ndarray


@dataclass(frozen=True)
class VoicePrint:
    """A name and the voices it was enrolled from; its vector is their length-weighted mean."""

    name: str
    samples: tuple[Sample, ...]

    @property
    def vector(self) -> np.ndarray:
        weights = np.array([max(s.seconds, 1e-3) for s in self.samples])
        return _unit((weights[:, None] * np.stack([s.vector for s in self.samples])).sum(axis=0))

    @property
    def seconds(self) -> float:
        return round(sum(s.seconds for s in self.samples), 2)


@dataclass(frozen=True)
class Recognised:
    """A speaker taken to be an enrolled voice, and how alike they are (cosine similarity, 1 = the same)."""

    name: str
    similarity: float


def recognise(found: Mapping[str, Voice], prints: Sequence[VoicePrint],
              threshold: float = THRESHOLD) -> dict[str, Recognised]:
    """The names of a video's speakers: pairs of speaker and print at or above `threshold`, taken best first
    so one speaker gets one name and one name one speaker (two voices in one video are two people). A speaker
    whose pieces do not sound like one person (`Voice.one_voice`) is left unnamed."""
    if not found or not prints:
        return {}
    vectors = np.stack([p.vector for p in prints])
    pairs = sorted(((float(s), label, prints[i].name) for label, voice in found.items() if voice.one_voice
                    for i, s in enumerate(vectors @ voice.vector)), key=lambda p: (-p[0], p[1], p[2]))
    named: dict[str, Recognised] = {}
    taken: set[str] = set()
    for similarity, label, name in pairs:
        if similarity < threshold:
            break
        if label in named or name in taken:
            continue
        named[label] = Recognised(name, round(similarity, 3))
        taken.add(name)
    return named


def check_name(name: str) -> str:
    """A person's name as given (trimmed), or BadRequest in one line: a name is printed into evidence lines
    and prompts, so it is one short line, and it must not look like a video's own labels (S2)."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise BadRequest("the speaker's name is empty")
    if len(cleaned) > NAME_MAX or any(not ch.isprintable() for ch in cleaned):
        raise BadRequest(f"a speaker's name is one line of at most {NAME_MAX} printable characters")
    if LABEL.fullmatch(cleaned) or ":" in cleaned:
        raise BadRequest(f"'{cleaned}' cannot be a name: S1, S2 … are the labels a video gives its speakers, and "
                         "a name holds no ':'")
    return cleaned


class VoiceBook:
    """The enrolled prints of one library: a small JSON file read and written whole."""

    def __init__(self, path: Path, encoder: str = ""):
        self.path = path
        self.encoder = encoder  # the identity encoder the vectors must come from (vidseek/identity.py)

    def stale(self) -> bool:
        """Whether the file holds vectors of another encoder (an older library's): they must be taken again."""
        if not self.path.exists():
            return False
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get("encoder", "") != self.encoder
        except (OSError, ValueError, AttributeError):
            return False  # `prints` says what is wrong with it

    def retake(self, vector_of: Callable[[Sample], np.ndarray | None]) -> list[str]:
        """Every sample's vector taken again (`vector_of`; None drops the sample, and a print left with none),
        saved with this book's encoder. Returns the names dropped."""
        kept, dropped = [], []
        for p in self.prints():
            samples = tuple(replace(s, vector=v) for s in p.samples if (v := vector_of(s)) is not None)
            if samples:
                kept.append(replace(p, samples=samples))
            else:
                dropped.append(p.name)
        self._save(kept)
        return dropped

    def version(self) -> tuple[int, int]:
        """Changes whenever the file does (what recognition results are remembered by)."""
        try:
            stat = self.path.stat()
        except OSError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    def prints(self) -> list[VoicePrint]:
        """The enrolled prints by name. Raises LibraryError naming the file when it cannot be read."""
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [VoicePrint(p["name"], tuple(Sample(s["video"], s["label"], float(s["seconds"]),
                                                       unpack(s["vector"])) for s in p["samples"]))
                    for p in data["prints"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LibraryError(f"the voice prints in {self.path} cannot be read ({exc.__class__.__name__}); "
                               "move the file away to start again") from None

    def get(self, name: str) -> VoicePrint:
        """The print of this name (case-insensitive), or NotFound naming the enrolled ones."""
        key = name.strip().lower()
        found = [p for p in self.prints() if p.name.lower() == key]
        if not found:
            known = ", ".join(p.name for p in self.prints()) or "none yet (vidseek speakers name VIDEO S2 NAME)"
            raise NotFound(f"no voice enrolled as '{name.strip()}'; enrolled: {known}")
        return found[0]

    def _save(self, prints: list[VoicePrint]) -> None:
        from vidseek.pipeline.cache import write_atomic

        if not prints:  # the last print forgotten: no file is left to hold anything of it
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # the folder goes too when nothing else is in it
                self.path.parent.rmdir()
            return
        write_atomic(self.path, {"format": FORMAT, "encoder": self.encoder, "prints": [
            {"name": p.name, "samples": [{"video": s.video, "label": s.label, "seconds": s.seconds,
                                          "vector": pack(s.vector)} for s in p.samples]} for p in prints]})

    def enrol(self, name: str, sample: Sample) -> VoicePrint:
        """Add a voice to the print of `name` (made if new). The same speaker of the same video enrolled again
        replaces its sample; enrolled under another name, it is refused (rename or forget that one first)."""
        name = check_name(name)
        prints = self.prints()
        for p in prints:
            if p.name.lower() != name.lower() and any((s.video, s.label) == (sample.video, sample.label)
                                                       for s in p.samples):
                raise BadRequest(f"{sample.label} of that video is enrolled as '{p.name}' already "
                                 f"(vidseek speakers rename '{p.name}' NEW, or forget it first)")
        mine = next((p for p in prints if p.name.lower() == name.lower()), None)
        kept = tuple(s for s in (mine.samples if mine else ()) if (s.video, s.label) != (sample.video, sample.label))
        made = VoicePrint(mine.name if mine else name, (*kept, sample))
        self._save([made if p is mine else p for p in prints] + ([] if mine else [made]))
        return made

    def rename(self, old: str, new: str) -> VoicePrint:
        mine = self.get(old)
        new = check_name(new)
        prints = self.prints()
        if any(p.name.lower() == new.lower() and p.name != mine.name for p in prints):
            raise BadRequest(f"'{new}' is enrolled already: to make them one person, "
                             f"vidseek speakers merge '{mine.name}' '{new}'")
        made = replace(mine, name=new)
        self._save([made if p.name == mine.name else p for p in prints])
        return made

    def merge(self, source: str, into: str) -> VoicePrint:
        """Make two prints one person: `source`'s voices join `into`'s, and `source` is gone."""
        first, second = self.get(source), self.get(into)
        if first.name == second.name:
            raise BadRequest(f"'{first.name}' is one print already")
        known = {(s.video, s.label) for s in second.samples}
        made = replace(second, samples=second.samples + tuple(s for s in first.samples
                                                              if (s.video, s.label) not in known))
        self._save([made if p.name == second.name else p for p in self.prints() if p.name != first.name])
        return made

    def forget(self, name: str) -> VoicePrint:
        """Delete a print: its name and voice vectors leave the file (the file goes with the last one)."""
        gone = self.get(name)
        self._save([p for p in self.prints() if p.name != gone.name])
        return gone


def mentioned(question: str, prints: Sequence[VoicePrint]) -> list[str]:
    """The enrolled names a question says (whole words, any case), longest first so "Ann Lee" wins over "Ann"."""
    found = []
    for name in sorted((p.name for p in prints), key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
        if re.search(pattern, question, flags=re.IGNORECASE) and not any(name.lower() in f.lower() for f in found):
            found.append(name)
    return found
