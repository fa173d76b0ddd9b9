"""The one place that touches PyAV: probe, fingerprint, sampled frames, 16 kHz audio, scene segments."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import av
import numpy as np
from pysubs2 import SSAEvent

from vidseek.errors import LibraryError, VideoError  # noqa: F401  (VideoError: callers import it from here)
from vidseek.types import Frame, Segment, Video

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what Whisper expects
FINGERPRINT_BLOCK = 1 << 20  # bytes read at each of the sampled offsets
FINGERPRINT_SAMPLES = 8
SEEK_GAP_S = 8.0  # a jump further ahead than this seeks instead of decoding through
MAX_SIDE = 1280  # frames are scaled down to this; OCR still reads 720p captions at this size
CUT_THRESHOLD = 0.35  # histogram distance (0..1) between sampled frames that counts as a cut
MAX_WINDOW_S = 10.0  # a segment never spans more than this, even inside one shot


def disk_error(exc: OSError, what: str) -> LibraryError:
    """An OSError met while writing a library, as the one line a user can act on."""
    import errno

    if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return LibraryError(f"the disk is full writing {what}: free some space and run again "
                            "(what was finished is kept)")
    if exc.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        return LibraryError(f"cannot write {what}: the library is read-only here ({exc.strerror})")
    return LibraryError(f"cannot write {what}: {exc.strerror or exc}")


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Hash of the size and sampled bytes: stable across renames, cheap on multi-GB files."""
    p = Path(path)
    size = p.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with p.open("rb") as fh:
        if size <= FINGERPRINT_BLOCK * FINGERPRINT_SAMPLES:
            digest.update(fh.read())
        else:
            step = (size - FINGERPRINT_BLOCK) // (FINGERPRINT_SAMPLES - 1)
            for i in range(FINGERPRINT_SAMPLES):
                fh.seek(i * step)
                digest.update(fh.read(FINGERPRINT_BLOCK))
    return digest.hexdigest()


def _open(path: str | os.PathLike[str]) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VideoError(f"cannot read '{path}': no such file")
    if p.is_dir():
        raise VideoError(f"cannot read '{path}': it is a folder (vidseek batch indexes folders)")
    if not p.is_file():  # opening a FIFO would wait for a writer forever
        raise VideoError(f"cannot read '{path}': not a regular file (a pipe, socket or device)")
    if p.stat().st_size == 0:
        raise VideoError(f"cannot read '{path}': the file is empty")
    try:
        return av.open(str(p))
    except PermissionError as exc:
        raise VideoError(f"cannot read '{path}': permission denied") from exc
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VideoError(f"cannot read '{path}': not a readable media file ({reason})") from exc


def _start_offset(container: av.container.InputContainer) -> float:
    """Seconds before the first timestamp; evidence times count from the player's zero."""
    return (container.start_time or 0) / av.time_base


def _demuxed_duration(container: av.container.InputContainer) -> float:
    """Duration from packet timestamps, for containers whose header does not say."""
    last = 0.0
    for packet in container.demux():
        if packet.pts is not None and packet.time_base is not None:
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            last = max(last, end)
    return last - _start_offset(container)


def probe(path: str | os.PathLike[str]) -> Video:
    """Open a file, check it holds something to index, and describe it."""
    container = _open(path)
    with container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise VideoError(f"cannot read '{path}': no video or audio stream")
        duration = (container.duration or 0) / av.time_base
        if duration <= 0:
            duration = _demuxed_duration(container)
        if duration <= 0:
            raise VideoError(f"cannot read '{path}': no decodable content (empty or broken stream)")
        fps = float(video.average_rate or video.guessed_rate or 0) if video else 0.0
        return Video(
            path=str(Path(path).resolve()),
            fingerprint=fingerprint(path),
            duration=duration,
            fps=fps,
            width=video.codec_context.width if video else 0,
            height=video.codec_context.height if video else 0,
            has_video=video is not None,
            has_audio=audio is not None,
            subtitle_streams=len(container.streams.subtitles),
        )


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height, 1))
    # even sizes keep swscale and the encoders that later read these frames happy
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """The picture as a player shows it: phones store portrait video sideways with a display rotation
    (counterclockwise degrees, as FFmpeg reports it), and OCR needs the text upright."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


def decodable(path: str | os.PathLike[str]) -> tuple[bool, bool]:
    """Whether the first picture and the first sound of a file decode: a file cut off or damaged at its
    start can probe fine (its header is intact) and still hold nothing to index."""

    def first(kind: str) -> bool:
        with _open(path) as container:
            streams = getattr(container.streams, kind)
            if not streams:
                return False
            bad = 0
            try:  # decoded as indexing decodes it: a bad first packet is not the end if good ones follow
                for frame in tolerant_decode(container, streams[0]):
                    if not isinstance(frame, av.error.FFmpegError):
                        return True
                    bad += 1
                    if bad > MAX_BAD_PACKETS:
                        return False
            except av.error.FFmpegError:
                return False
            return False

    return first("video"), first("audio")


MAX_BAD_PACKETS = 300  # undecodable packets in a row before a stream counts as broken for good


class FrameReader:
    """Frames sampled at a fixed rate from time windows, in order.

    Consecutive windows decode straight on; a jump ahead of more than SEEK_GAP_S seeks, which is
    cheaper than decoding everything between.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float = 1.0, max_side: int = MAX_SIDE):
        self.path = str(path)
        self.fps = fps
        self.max_side = max_side
        self.broken_at: float | None = None  # where a corrupt stream stopped decoding for good
        self.damaged: list[tuple[float, float]] = []  # stretches lost to damage: (from, decoding again at)
        self.decoded_frames = 0
        self.last_time: float | None = None  # the latest picture decoded: short of the duration = cut off
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._stash: av.VideoFrame | None = None
        self._position = 0.0
        self._offset = 0.0

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None
        self._stash = None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _seek(self, start: float) -> None:
        if self._container is None:
            self._container = _open(self.path)
            self._offset = _start_offset(self._container)
            if self._container.streams.video:  # only before the decoder opens: PyAV refuses after
                self._container.streams.video[0].thread_type = "AUTO"
        if not self._container.streams.video:  # a sound file: no pictures to read (a thumbnail is a 404)
            self._frames, self._stash = iter(()), None
            return
        stream = self._container.streams.video[0]
        if start > 0:
            target = int((start + self._offset) / stream.time_base)
            self._container.seek(target, stream=stream, backward=True, any_frame=False)
        self._frames = self._decode(stream)
        self._stash = None

    def _decode(self, stream: av.VideoStream) -> Iterator[av.VideoFrame]:
        """Frames in order. A packet that fails to decode is skipped and the decoder goes on with the next
        (the stretch is noted in `damaged`); only a container that cannot be read further, or a long run
        of bad packets, ends the video early (`broken_at`)."""
        assert self._container is not None
        bad_run = 0
        damaged_from: float | None = None
        try:
            for frame in tolerant_decode(self._container, stream):
                if isinstance(frame, av.error.FFmpegError):
                    bad_run += 1
                    if damaged_from is None:
                        damaged_from = self._position
                        log.info("decoding %s failed near %.1fs: %s", self.path, damaged_from, frame)
                    if bad_run > MAX_BAD_PACKETS:
                        self.broken_at = damaged_from
                        return
                    continue
                if damaged_from is not None:
                    self.damaged.append((damaged_from, self._time(frame)))
                    damaged_from, bad_run = None, 0
                self.decoded_frames += 1
                yield frame
        except av.error.FFmpegError as exc:
            self.broken_at = self._position
            log.info("reading %s stopped near %.1fs: %s", self.path, self._position, exc)
        if damaged_from is not None:  # the damage ran to the end
            self.broken_at = damaged_from

    def _time(self, frame: av.VideoFrame) -> float:
        t = frame.time if frame.time is not None else 0.0
        return float(t) - self._offset

    def read(self, start: float, end: float) -> list[Frame]:
        """Frames at start, start + 1/fps, … before end (the first frame at or after each mark)."""
        continuing = (
            self._frames is not None and self._position - 1e-6 <= start <= self._position + SEEK_GAP_S
        )
        if not continuing:
            self._seek(start)
        step = 1.0 / self.fps
        mark = start
        half_frame = 0.5 / 60
        out: list[Frame] = []
        while mark < end:
            frame = self._stash or next(self._frames, None)  # type: ignore[arg-type]
            self._stash = None
            if frame is None:
                break
            t = self._time(frame)
            self._position = max(self._position, t)
            self.last_time = t if self.last_time is None else max(self.last_time, t)
            if t < mark - half_frame:
                continue
            if t >= end:
                self._stash = frame
                break
            width, height = _scaled_size(frame.width, frame.height, self.max_side)
            image = upright(frame.reformat(width=width, height=height, format="rgb24").to_ndarray(), frame.rotation)
            out.append(Frame(time=t, image=image))
            while mark <= t + half_frame:
                mark += step
        self._position = max(self._position, min(end, mark))
        return out


def frames_at(path: str | os.PathLike[str], times: list[float], max_side: int = MAX_SIDE) -> list[Frame | None]:
    """The picture shown at each time (the first frame at or after it; at or past the last picture, the last
    one), read by one reader in time order: the page's thumbnails and a contact sheet's tiles. None where the
    file holds no picture near that time."""
    found: dict[float, Frame | None] = {}
    with FrameReader(path, fps=1.0, max_side=max_side) as reader:
        for at in sorted(set(times)):
            frames = reader.read(at, at + 1.0)
            found[at] = frames[0] if frames else None
    for at in (t for t, frame in found.items() if frame is None):  # the end: a fresh reader steps back to it
        with FrameReader(path, fps=10.0, max_side=max_side) as reader:
            found[at] = next(iter(reader.read(max(0.0, at - 2.0), at + 0.01)[-1:]), None)
    return [found[t] for t in times]


def tolerant_decode(container: av.container.InputContainer,
                    stream: av.stream.Stream) -> Iterator[av.VideoFrame | av.AudioFrame | av.error.FFmpegError]:
    """Decoded frames packet by packet; a packet that will not decode comes out as its error and decoding
    goes on (one damaged packet must not end a whole file). Errors reading the container still raise."""
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            yield exc
            continue
        yield from frames


def load_audio(path: str | os.PathLike[str], start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Mono float32 samples at 16 kHz between start and end seconds (whole file when end is None)."""
    container = _open(path)
    with container:
        if not container.streams.audio:
            raise VideoError(f"cannot read audio of '{path}': no audio stream")
        stream = container.streams.audio[0]
        offset = _start_offset(container)
        if start > 0:
            container.seek(int((start + offset) / stream.time_base), stream=stream, backward=True)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        first_time: float | None = None
        samples_so_far = 0
        try:
            for frame in tolerant_decode(container, stream):
                if isinstance(frame, av.error.FFmpegError):
                    continue  # a damaged packet: its moment becomes silence below
                t = (float(frame.time) if frame.time is not None else 0.0) - offset
                if first_time is None:
                    first_time = t
                if end is not None and t >= end:
                    break
                gap = int(round((t - first_time) * SAMPLE_RATE)) - samples_so_far
                if gap > SAMPLE_RATE // 20:  # keep later sound at its true time
                    chunks.append(np.zeros(gap, dtype=np.float32))
                    samples_so_far += gap
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    samples_so_far += len(chunks[-1])
        except av.error.FFmpegError as exc:
            log.info("audio of %s stopped decoding: %s", path, exc)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks or first_time is None:
        return np.zeros(0, dtype=np.float32)
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    lo = max(0, int(round((start - first_time) * SAMPLE_RATE)))
    hi = len(samples) if end is None else max(lo, int(round((end - first_time) * SAMPLE_RATE)))
    return samples[lo:hi]


def read_embedded_subtitles(path: str | os.PathLike[str]) -> list[tuple[float, float, str]]:
    """(start, end, text) cues from the first text subtitle stream of a file."""
    container = _open(path)
    cues: list[tuple[float, float, str]] = []
    with container:
        if not container.streams.subtitles:
            return cues
        stream = container.streams.subtitles[0]
        offset = _start_offset(container)
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            start = float(packet.pts * packet.time_base) - offset
            end = start + float((packet.duration or 0) * packet.time_base)
            for item in packet.decode():
                # PyAV >= 14 yields the subtitle rects; older releases a set of them with its own timing
                rects = list(item) if hasattr(item, "start_display_time") else [item]
                if hasattr(item, "end_display_time") and item.end_display_time:
                    end = start + item.end_display_time / 1000
                text = " ".join(t for t in (_subtitle_rect_text(r) for r in rects) if t)
                if text:
                    cues.append((start, max(end, start), text))
    return cues


def _subtitle_rect_text(rect: object) -> str:
    text = getattr(rect, "dialogue", b"") or getattr(rect, "text", b"") or b""
    if not text:
        ass = getattr(rect, "ass", b"") or b""
        # an ASS event line: 8 comma-separated fields, then the text
        text = ass.split(b",", 8)[-1] if ass.count(b",") >= 8 else ass
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # pysubs2 reads the ASS tags ({\i1}, \N, \h) as it does for sidecar files
    return re.sub(r"\s+", " ", SSAEvent(text=text).plaintext).strip()


def colour_histogram(image: np.ndarray) -> np.ndarray:
    """A 64-bin colour histogram of a subsampled frame, normalised to sum 1."""
    step = max(1, max(image.shape[:2]) // 96)
    small = image[::step, ::step].reshape(-1, 3) // 64
    bins = small[:, 0].astype(np.int32) * 16 + small[:, 1] * 4 + small[:, 2]
    hist = np.bincount(bins, minlength=64).astype(np.float64)
    return hist / max(hist.sum(), 1.0)


def picture_change(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two colour histograms are, 0 (same colours) to 1 (none shared): above CUT_THRESHOLD, a cut."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def scene_cuts(frames: list[Frame], threshold: float = CUT_THRESHOLD) -> list[float]:
    """Times of the frames that start a new shot (colour histogram jump from the frame before)."""
    cuts: list[float] = []
    previous: np.ndarray | None = None
    for frame in frames:
        hist = colour_histogram(frame.image)
        if previous is not None and picture_change(hist, previous) > threshold:
            cuts.append(frame.time)
        previous = hist
    return cuts


def segment(
    fingerprint: str,
    frames: list[Frame],
    start: float,
    end: float,
    max_window: float = MAX_WINDOW_S,
    threshold: float = CUT_THRESHOLD,
    cuts: Sequence[float] | None = None,
) -> list[Segment]:
    """Split [start, end) at scene cuts (found here, or `cuts` when the caller found them), then cap every
    piece at max_window seconds."""
    found = scene_cuts(frames, threshold) if cuts is None else cuts
    bounds = [start, *(t for t in found if start < t < end), end]
    segments: list[Segment] = []
    for a, b in zip(bounds, bounds[1:]):
        pieces = max(1, math.ceil((b - a) / max_window - 1e-9))
        for i in range(pieces):
            s, e = a + (b - a) * i / pieces, a + (b - a) * (i + 1) / pieces
            segments.append(Segment(fingerprint, s, e, [f for f in frames if s <= f.time < e]))
    return segments
