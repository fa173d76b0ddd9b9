"""On-screen text on a sparse set of frames, each line merged over its whole time on screen.

Two engines find and read the text: rapidocr (PP-OCRv4 mobile detector + recogniser on onnxruntime, the
default: its weights ship inside the `rapidocr-onnxruntime` wheel) and easyocr (CRAFT + english_g2). Both are
measured side by side by benchmarks/ocr_compare.py.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidseek import models
from vidseek.errors import BadRequest
from vidseek.extractors.base import FRAMES, Chunk, Extractor, Options, option
from vidseek.text import normalise_text
from vidseek.types import Evidence, Frame, Video

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the frame's pixels
Quad = list[list[float]]  # four corners of a found line, in the picture's pixels
RAPIDOCR_LANGUAGES = {"en", "ch_sim"}  # PP-OCRv4's Chinese recogniser reads Latin letters and digits too

# Two pictures are the same when under this share of a 160x90 grey thumbnail's pixels moved by more than
# PIXEL_CHANGE levels: a mean difference would let a small caption on a busy picture slip under it.
CHANGE_THRESHOLD = 0.002
PIXEL_CHANGE = 32
SAME_LINE_RATIO = 0.85  # two OCR readings this similar are the same line read twice
GATE_SIDE = 320  # a quick look for any text at all on a picture this small (4x cheaper than reading)
DETECT_SIDE = 640  # text is found on a picture this size (cost grows with pixels), then read at full size
PROBE_EVERY_S = 2.0  # frames looked at this far apart; text that changes between them is bisected
SAME_BOX_IOU = 0.75  # boxes overlapping a nearby read frame's this much hold its text (the quick look jitters)
FOREIGN_MARGIN = 0.1  # share of a line's height added around PP-OCRv4's boxes before easyocr reads them
CROP_MARGIN = (0.16, 0.04)  # share of the frame's width, height added around found text: lines run on sideways


def _thumbnail(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    ys = np.linspace(0, h - 1, 90).astype(int)
    xs = np.linspace(0, w - 1, 160).astype(int)
    return image[ys][:, xs].mean(axis=2)


def _same_picture(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    return float((np.abs(a - b) > PIXEL_CHANGE).mean()) <= threshold


def _bounds(quad: Quad) -> Box:
    xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _key(quad: Quad) -> tuple[tuple[float, float], ...]:
    return tuple((round(float(p[0]), 1), round(float(p[1]), 1)) for p in quad)


def _rectangle(box: Box) -> Quad:
    x0, y0, x1, y1 = box
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


class _EasyOcr:
    """easyocr: CRAFT finds the text, english_g2 reads it (torch; on CUDA when the device is)."""

    def __init__(self, languages: tuple[str, ...], gpu: bool):
        import easyocr

        self.reader = easyocr.Reader(
            list(languages), gpu=gpu, model_storage_directory=str(models.easyocr_model_dir()),
            download_enabled=models.downloads_allowed(), verbose=False,
        )
        self.horizontal: set[tuple[tuple[float, float], ...]] = set()  # the boxes CRAFT found last
        self.free: set[tuple[tuple[float, float], ...]] = set()

    def detect(self, image: np.ndarray, side: int) -> list[Quad]:
        """The lines of text in an RGB picture, searched on a copy `side` pixels at most across."""
        horizontal, free = self.reader.detect(np.ascontiguousarray(image), canvas_size=side, reformat=False)
        upright = [_rectangle((b[0], b[2], b[1], b[3])) for b in horizontal[0]]
        slanted = [[[float(x), float(y)] for x, y in q] for q in free[0]]
        self.horizontal, self.free = {_key(q) for q in upright}, {_key(q) for q in slanted}
        return upright + slanted

    def recognise(self, image: np.ndarray, quads: list[Quad]) -> list[tuple[Quad, str, float]]:
        """(corners, text, confidence) of each line; upright rectangles are read as such, others warped."""
        import cv2

        if not quads:
            return []
        horizontal, free = [], []
        for q in quads:
            x0, y0, x1, y1 = _bounds(q)
            if _key(q) in self.free:  # CRAFT's own slanted line: read warped, as easyocr.readtext does
                free.append(q)
            elif _key(q) in self.horizontal:  # CRAFT's own upright box, as it is
                horizontal.append([round(x0), round(x1), round(y0), round(y1)])
            elif abs(q[0][1] - q[1][1]) > 0.1 * (y1 - y0) or abs(q[3][1] - q[2][1]) > 0.1 * (y1 - y0):
                free.append(q)  # another detector's line that leans: warped
            else:  # another detector's tight box gets the room CRAFT's boxes have ("ROOM79" when read tight)
                pad = FOREIGN_MARGIN * (y1 - y0)
                horizontal.append([round(max(0.0, x0 - pad)), round(min(image.shape[1] - 1.0, x1 + pad)),
                                   round(max(0.0, y0 - pad)), round(min(image.shape[0] - 1.0, y1 + pad))])
        grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
        results = self.reader.recognize(grey, horizontal, free, paragraph=False, reformat=False)
        return [([list(map(float, p)) for p in quad], text, float(conf)) for quad, text, conf in results]


class _RapidOcr:
    """rapidocr-onnxruntime: the PP-OCRv4 mobile DB detector and CRNN recogniser (Apache-2.0, inside the
    wheel), on onnxruntime's CPU provider. The angle classifier is skipped: video text stands upright."""

    def __init__(self):
        from rapidocr_onnxruntime import RapidOCR

        self.ocr = RapidOCR(use_cls=False)

    def detect(self, image: np.ndarray, side: int) -> list[Quad]:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        det = self.ocr.text_det
        bgr = np.ascontiguousarray(image[..., ::-1])  # the models were trained on OpenCV's BGR
        h, w = bgr.shape[:2]
        tensor = DetPreProcess(side, "max", det.mean, det.std)(bgr)  # shrunk to `side` at most, like easyocr
        if tensor is None:
            return []
        quads, _ = det.postprocess_op(det.infer(tensor)[0], (h, w))
        quads = det.filter_tag_det_res(quads, (h, w))
        return [q.tolist() for q in self.ocr.sorted_boxes(quads)] if len(quads) else []

    def recognise(self, image: np.ndarray, quads: list[Quad]) -> list[tuple[Quad, str, float]]:
        if not quads:
            return []
        bgr = np.ascontiguousarray(image[..., ::-1])
        crops = self.ocr.get_crop_img_list(bgr, [np.array(q, dtype=np.float32) for q in quads])
        lines, _ = self.ocr.text_rec(crops)
        return [(q, text, float(score)) for q, (text, score) in zip(quads, lines)]


# engine -> (what finds the lines, what reads them). PP-OCRv4's recogniser is Chinese + Latin and often drops
# the spaces between English words ("THESECRETWORD"); easyocr's english_g2 keeps them (benchmarks/RESULTS.md)
ENGINES = {"rapidocr+easyocr": ("rapidocr", "easyocr"), "rapidocr": ("rapidocr", "rapidocr"),
           "easyocr": ("easyocr", "easyocr")}
DEFAULT_ENGINE = "rapidocr+easyocr"


def region(image: np.ndarray, boxes: list[Box] | None, canvas_size: int) -> tuple[np.ndarray, int]:
    """The part of a picture a read searches (around `boxes`, with a margin; all of it without) and the
    detection side that keeps it at the scale `canvas_size` gives the whole picture."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = 0, 0, w, h
    if boxes:
        mx, my = CROP_MARGIN[0] * w + 8, CROP_MARGIN[1] * h + 8
        x0, y0 = max(0, int(min(b[0] for b in boxes) - mx)), max(0, int(min(b[1] for b in boxes) - my))
        x1, y1 = min(w, int(max(b[2] for b in boxes) + mx)), min(h, int(max(b[3] for b in boxes) + my))
    crop = image[y0:y1, x0:x1]
    return crop, max(32, round(canvas_size * max(crop.shape[:2]) / max(h, w)))


@dataclass
class _Run:
    text: str
    key: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class OcrOptions(Options):
    engine: str = option(DEFAULT_ENGINE, "On-screen text engine: rapidocr+easyocr (PP-OCRv4 mobile finds the lines, "
                         "easyocr reads them; the default), rapidocr (PP-OCRv4 for both) or easyocr (CRAFT + "
                         "english_g2, the engine before; slower on CPU).", flag="ocr-engine")
    languages: tuple[str, ...] = ("en",)  # easyocr codes; only English weights are installed
    min_confidence: float = 0.4
    change_threshold: float = CHANGE_THRESHOLD
    canvas_size: int = DETECT_SIDE
    probe_every: float = PROBE_EVERY_S

    def validate(self) -> None:
        if self.engine not in ENGINES:
            raise BadRequest(f"ocr: the engine is one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.engine == "rapidocr" and not set(self.languages) <= RAPIDOCR_LANGUAGES:
            raise BadRequest(f"ocr: rapidocr reads {' and '.join(sorted(RAPIDOCR_LANGUAGES))}; "
                             "use --ocr-engine easyocr for other languages")
        if not self.languages or not 0 <= self.min_confidence <= 1 or self.canvas_size < 32 or self.probe_every <= 0:
            raise BadRequest("ocr: give a language, a confidence from 0 to 1, a canvas of 32+ pixels and a "
                             "positive probe interval")


class OcrExtractor(Extractor):
    """Text on screen over the sampled frames, reading as few of them as finding every line's span needs.

    With easyocr finding the text (CRAFT), each probe is a quick look on a 320 px picture and a read searches
    the region around what it saw again at `canvas_size`. PP-OCRv4's detector costs a fraction of CRAFT's, so
    with it the look itself is taken at `canvas_size` and a read only recognises the lines it found.
    """

    name = "ocr"
    version = "3"  # 3: the engine is a setting, PP-OCRv4 finding the lines by default
    source = "ocr"
    needs = frozenset({FRAMES})
    options_type = OcrOptions
    label = "TEXT"
    colour = "#d9822b"
    merge_gap = 0.01  # text that stays on screen across a chunk border becomes one span

    def __init__(
        self,
        languages: tuple[str, ...] = ("en",),
        device: str = "auto",
        min_confidence: float = 0.4,
        change_threshold: float = CHANGE_THRESHOLD,
        canvas_size: int = DETECT_SIDE,
        probe_every: float = PROBE_EVERY_S,
        engine: str = DEFAULT_ENGINE,
    ):
        OcrOptions(engine=engine, languages=tuple(languages), min_confidence=min_confidence,
                   change_threshold=change_threshold, canvas_size=canvas_size, probe_every=probe_every)
        self.engine = engine
        self.detector, self.recogniser = ENGINES[engine]
        self.languages = tuple(languages)
        self.device = models.resolve_device(device)
        self.min_confidence = min_confidence
        self.change_threshold = change_threshold
        self.canvas_size = canvas_size
        self.probe_every = probe_every
        self.model_calls = 0
        self.timings: dict[str, float] = {"look": 0.0, "detect": 0.0, "recognise": 0.0}  # seconds per step
        self._engines: dict[str, _EasyOcr | _RapidOcr] = {}
        self._looked: tuple[list[Box], list[Quad]] = ([], [])  # the last look's boxes and their corners

    def config(self) -> dict[str, Any]:
        return {"engine": self.engine, "languages": list(self.languages), "min_confidence": self.min_confidence,
                "change_threshold": self.change_threshold, "canvas_size": self.canvas_size,
                "probe_every": self.probe_every}

    def check(self, video: Video) -> None:
        super().check(video)
        if "rapidocr" in (self.detector, self.recogniser):
            try:
                models.rapidocr_model_dir()
            except models.ModelUnavailable as exc:
                raise models.ModelUnavailable(f"{exc}; --ocr-engine easyocr needs only easyocr") from exc
        if "easyocr" not in (self.detector, self.recogniser):
            return
        models.easyocr_model_dir()
        if set(self.languages) != {"en"} and not models.downloads_allowed():
            raise models.ModelUnavailable(
                f"only English OCR weights are installed; set {models.ALLOW_DOWNLOAD_ENV}=1 for {self.languages}"
            )

    def _load(self, which: str) -> _EasyOcr | _RapidOcr:
        if which not in self._engines:
            self._engines[which] = (_RapidOcr() if which == "rapidocr" else
                                    _EasyOcr(self.languages, gpu=self.device.startswith("cuda")))
        return self._engines[which]

    def _timed(self, step: str, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.timings[step] += time.perf_counter() - t0

    def read(self, image: np.ndarray, boxes: list[Box] | None = None) -> list[tuple[str, float]]:
        """(text, confidence) lines found in one RGB picture, top to bottom.

        With boxes from `text_boxes`, only those are read: PP-OCRv4 found them at full scale already; after
        easyocr's quick look, the region around them is searched again (at the scale the whole picture
        would be), which costs a fraction of a full search when the text is small.
        """
        self.model_calls += 1
        if boxes and self.detector == "rapidocr":
            crop, quads = image, self._looked[1] if self._looked[0] == boxes else [_rectangle(b) for b in boxes]
        else:
            crop, canvas = region(image, boxes, self.canvas_size)
            quads = self._timed("detect", self._load(self.detector).detect, crop, canvas)
        results = self._timed("recognise", self._load(self.recogniser).recognise, crop, quads)
        results.sort(key=lambda r: (min(p[1] for p in r[0]), min(p[0] for p in r[0])))
        return [(text.strip(), conf) for _, text, conf in results
                if conf >= self.min_confidence and normalise_text(text)]

    def text_boxes(self, image: np.ndarray) -> list[Box]:
        """Where text seems to be (x0, y0, x1, y1 in the picture's pixels), from a small, quick detection."""
        self.model_calls += 1
        side = GATE_SIDE if self.detector == "easyocr" else self.canvas_size
        found = sorted((_bounds(q), q) for q in self._timed("look", self._load(self.detector).detect, image, side))
        self._looked = ([b for b, _ in found], [q for _, q in found])  # a read of these boxes warps the corners
        return self._looked[0]

    def _lines_per_frame(self, frames: list[Frame]) -> list[list[tuple[str, float]]]:
        """The text lines of every frame, with as few OCR calls as the picture allows.

        Frames `probe_every` seconds apart are looked at; where two disagree the frames between are
        bisected, so a line's first and last frame are still found exactly. A frame reuses an earlier
        reading when its picture matches, or its text boxes do; a quick detection on a small picture
        skips reading frames with no text at all.
        """
        step = frames[1].time - frames[0].time if len(frames) > 1 else 1.0
        stride = max(1, round(self.probe_every / step))
        thumbs = [_thumbnail(f.image) for f in frames]
        readings: dict[int, list[tuple[str, float]]] = {}
        boxes_of: dict[int, list[Box]] = {}
        read_at: list[int] = []

        def lines(i: int) -> list[tuple[str, float]]:
            if i in readings:
                return readings[i]
            twin = next((j for j in reversed(read_at)
                         if _same_picture(thumbs[i], thumbs[j], self.change_threshold)), None)
            if twin is not None:
                readings[i], boxes_of[i] = readings[twin], boxes_of[twin]
            else:
                boxes_of[i] = self.text_boxes(frames[i].image)
                # the same boxes over a moving picture, moments apart: a caption that stays as the scene plays
                same = next((j for j in reversed(read_at)
                             if abs(i - j) <= stride and _same_boxes(boxes_of[i], boxes_of[j])), None)
                if not boxes_of[i]:
                    readings[i] = []
                elif same is not None:
                    readings[i] = readings[same]
                else:
                    readings[i] = self.read(frames[i].image, boxes_of[i])
            read_at.append(i)
            return readings[i]

        def keys(i: int) -> set[str]:
            return {normalise_text(t) for t, _ in lines(i)}

        probes = sorted({*range(0, len(frames), stride), len(frames) - 1})
        for probe in probes:  # every probe is read, so each frame has a reading at or before it
            lines(probe)
        pending = list(zip(probes, probes[1:]))
        while pending:
            a, b = pending.pop()
            if b - a > 1 and keys(a) != keys(b):
                m = (a + b) // 2
                lines(m)
                pending += [(a, m), (m, b)]
        # frames never read sit between two probes that agree: they show the same text
        known = sorted(readings)
        return [readings[i] if i in readings else readings[max(k for k in known if k < i)] for i in range(len(frames))]

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        frames: list[Frame] = chunk.frames
        if not frames:
            return []
        step = frames[1].time - frames[0].time if len(frames) > 1 else chunk.end - chunk.start
        done: list[_Run] = []
        active: list[_Run] = []
        for frame, lines in zip(frames, self._lines_per_frame(frames)):
            until = min(frame.time + step, chunk.end)
            still: list[_Run] = []
            for text, conf in lines:
                key = normalise_text(text)
                run = next((r for r in active if _same(r.key, key)), None)
                if run is None:
                    still.append(_Run(text, key, frame.time, until, conf))
                    continue
                active.remove(run)
                run.end = until
                if conf > run.confidence:  # keep the clearest reading of the line
                    run.text, run.confidence = text, conf
                still.append(run)
            done.extend(active)
            active = still
        done.extend(active)
        return [
            Evidence(
                fingerprint=video.fingerprint, start=round(r.start, 2), end=round(r.end, 2), source="ocr",
                text=r.text, confidence=round(r.confidence, 3), extractor=self.name,
                extractor_version=self.version,
            )
            for r in sorted(done, key=lambda r: (r.start, r.text))
        ]


def _same(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SAME_LINE_RATIO


def _iou(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _same_boxes(a: list[Box], b: list[Box]) -> bool:
    return bool(a) and len(a) == len(b) and all(_iou(x, y) >= SAME_BOX_IOU for x, y in zip(a, b))
