"""Each speaker of a video as one identity vector: what enrolled voice prints are made of and matched against.

Diarization (vidseek/diarize.py) groups a video's speech pieces by Resemblyzer's d-vector, stored with every
piece at index time: cheap enough for every piece, and good enough to tell the voices of one video apart. It is
too weak to tell dozens of real people apart across videos (benchmarks/speaker_id.py: recall 0.50 at precision
1.0 on 30 real voices). So each speaker, once grouped, gets a second vector from a far stronger encoder
(ECAPA-TDNN trained on VoxCeleb, vidseek/ecapa.py), run on the audio of that speaker's longest pieces, at most
CAP_S seconds of it, and on those pieces one by one to see whether they are one voice (`agreement`). ECAPA costs
about 0.05 s of compute per second of audio on one core: several minutes for every piece of an hour of speech,
about 0.4 s a speaker this way (benchmarks/speaker_id.py).

Identities are worked out when a video's speakers are first compared with enrolled prints (the end of `index`
when the library has prints, `speakers name`, `speakers match`, the first read after enrolling) and kept in the
video's evidence folder, keyed by the encoder and the pieces chosen: nothing runs twice, nothing is
re-transcribed, and a video whose speakers are grouped anew gets new vectors. They need the video file once.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vidseek.diarize import labelled_pieces, pack, unpack
from vidseek.errors import NotFound
from vidseek.types import Evidence
from vidseek.voiceprints import Voice

log = logging.getLogger(__name__)

CAP_S = 8.0  # seconds of a speaker's audio embedded, longest pieces first (benchmarks/speaker_id.py: docs/models.md)
MIN_PIECE_S = 1.0  # pieces this long or longer are also embedded alone, to see whether they are one voice
FORMAT = 2  # 1: without agreement

Spans = list[tuple[float, float]]
AudioReader = Callable[[Spans], list[np.ndarray]]  # the samples (16 kHz mono) of each span, in order


def chosen_spans(raw: Sequence[Evidence], cap: float = CAP_S) -> dict[str, tuple[Spans, float, int]]:
    """Per speaker label: the spans of its longest pieces, `cap` seconds of them (the last cut short), its
    seconds of speech in all, and its number of pieces. Labels are diarize's own (`labelled_pieces`)."""
    pieces: dict[str, list[Evidence]] = defaultdict(list)
    for item, label, _ in labelled_pieces(raw):
        pieces[label].append(item)
    out = {}
    for label, items in pieces.items():
        spans: Spans = []
        total = 0.0
        for item in sorted(items, key=lambda e: (-(e.end - e.start), e.start)):
            if total >= cap:
                break
            length = min(item.end - item.start, cap - total)  # the last one taken is cut at the cap
            spans.append((round(item.start, 2), round(item.start + length, 2)))
            total += length
        out[label] = (sorted(spans), round(sum(e.end - e.start for e in items), 2), len(items))
    return out


def embed_speakers(raw: Sequence[Evidence], read: AudioReader, encoder, cap: float = CAP_S) -> dict[str, Voice]:
    """Each speaker's identity vector, from the audio of its chosen spans joined, and how well its pieces agree
    (`agreement`): a speaker's chosen pieces of MIN_PIECE_S or longer, when there are two or more, are embedded
    on their own too, so those seconds of audio pass the encoder twice. A speaker whose pieces sound like two
    people (diarization joined them) is never named nor enrolled (voiceprints.AGREEMENT)."""
    return _embed(chosen_spans(raw, cap), read, encoder)


def _embed(chosen: dict[str, tuple[Spans, float, int]], read: AudioReader, encoder) -> dict[str, Voice]:
    """`embed_speakers` for spans already chosen (choosing groups the speakers: done once a video)."""
    if not chosen:
        return {}
    labels = list(chosen)
    pieces = {label: read(chosen[label][0]) for label in labels}
    joined = encoder.embed([np.concatenate(pieces[label] or [np.zeros(0, np.float32)]) for label in labels])
    long = {label: [clip for (a, b), clip in zip(chosen[label][0], pieces[label]) if b - a >= MIN_PIECE_S]
            for label in labels}
    alone = [(label, clip) for label in labels if len(long[label]) > 1 for clip in long[label]]
    vectors = encoder.embed([clip for _, clip in alone]) if alone else np.zeros((0, 1), np.float32)
    out = {}
    for i, label in enumerate(labels):
        own = np.array([vectors[n] for n, (who, _) in enumerate(alone) if who == label]) if len(vectors) else []
        agreement = float((own @ own.T)[np.triu_indices(len(own), 1)].min()) if len(own) > 1 else 1.0
        out[label] = Voice(label, joined[i], chosen[label][1], chosen[label][2], round(agreement, 3))
    return out


class IdentityFile:
    """A video's identity vectors on disk (one small JSON file beside its evidence), valid while the encoder,
    the cap and every speaker's chosen spans are what they were when it was written."""

    def __init__(self, path: Path, encoder_id: str):
        self.path = path
        self.encoder_id = encoder_id

    def read(self, chosen: dict[str, tuple[Spans, float, int]], cap: float = CAP_S) -> dict[str, Voice] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("encoder") != self.encoder_id or data.get("cap") != cap:
                return None
            stored = data["speakers"]
            if set(stored) != set(chosen) or any([tuple(s) for s in stored[label]["spans"]] != chosen[label][0]
                                                 for label in chosen):
                return None
            return {label: Voice(label, unpack(stored[label]["vector"]), chosen[label][1], chosen[label][2],
                                 float(stored[label]["agreement"])) for label in chosen}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("the identity vectors in %s cannot be read; working them out again", self.path)
            return None

    def write(self, chosen: dict[str, tuple[Spans, float, int]], found: dict[str, Voice], cap: float = CAP_S) -> None:
        from vidseek.pipeline.cache import write_atomic

        write_atomic(self.path, {"format": FORMAT, "encoder": self.encoder_id, "cap": cap, "speakers": {
            label: {"spans": [list(s) for s in chosen[label][0]], "vector": pack(found[label].vector),
                    "agreement": found[label].agreement}
            for label in found}})


def identities(raw: Sequence[Evidence], read: AudioReader, encoder, file: IdentityFile | None,
               cap: float = CAP_S) -> dict[str, Voice]:
    """A video's identity vectors: from `file` when it holds them for these speakers, else embedded from the
    audio (and written there)."""
    chosen = chosen_spans(raw, cap)
    if not chosen:
        return {}
    if file is not None:
        kept = file.read(chosen, cap)
        if kept is not None:
            return kept
    found = _embed(chosen, read, encoder)
    if file is not None:
        file.write(chosen, found, cap)
    return found


def file_reader(path: str | Path) -> AudioReader:
    """Reads spans of a video's sound track (vidseek.video.load_audio, one seek a span). Raises NotFound in one
    line when the file is gone: its speakers' voices can only be taken from it."""
    from vidseek.video import load_audio

    def read(spans: Spans) -> list[np.ndarray]:
        where = Path(path)
        if not where.exists():
            raise NotFound(f"the voices of '{where.name}' were never taken and its file is gone from "
                           f"{where.parent}: put it back (or index it again where it is now) to recognise its "
                           "speakers")
        return [load_audio(path, a, b)[: max(0, int(round((b - a) * 16_000)))] for a, b in spans]

    return read


def array_reader(samples: np.ndarray, rate: int = 16_000) -> AudioReader:
    """Reads spans of a sound track already in memory (benchmarks, tests)."""
    def read(spans: Spans) -> list[np.ndarray]:
        return [samples[int(a * rate):int(b * rate)] for a, b in spans]

    return read
