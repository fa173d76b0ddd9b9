"""Visual tags: what an ImageNet classifier sees in each segment ("tabby (cat, feline, animal)").

The labels are machine guesses with a confidence, written with their WordNet general names so the words
people ask with find them ("which animal appears?" finds a tabby). Adjacent segments with the same labels
become one span. The model and the calibrated threshold are vidseek/vision/tags.py's (docs/models.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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
    picture_looks,
)
from vidseek.types import Evidence, Video
from vidseek.vision import regions
from vidseek.vision import tags as imagenet

NAMES_SHOWN = 10  # general names written per tag: enough to reach 'animal' or 'vehicle', short enough to read


@dataclass(frozen=True)
class TagsOptions(Options):
    threshold: float = imagenet.THRESHOLD  # calibrated with min_energy on labelled pictures (docs/models.md)
    top_k: int = imagenet.TOP_K
    min_energy: float = imagenet.MIN_ENERGY

    def validate(self) -> None:
        if not 0 < self.threshold <= 1 or self.top_k < 1:
            raise BadRequest("tags: the threshold must be in (0, 1] and top k at least 1")


def describe(found: Sequence[imagenet.Tag]) -> str:
    """'tabby 0.41 (tabby cat, cat, feline, animal); Egyptian cat 0.22 (…)': each label with its probability
    and its general names."""
    parts = []
    for tag in found:
        names = [n for n in dict.fromkeys(tag.names) if len(n.split()) <= 2][:NAMES_SHOWN]
        parts.append(f"{tag.label} {tag.score:.2f} ({', '.join(names)})" if names else f"{tag.label} {tag.score:.2f}")
    return "; ".join(parts)


class TagsExtractor(Extractor):
    """ImageNet tags of each segment's middle frame (two on long segments, none again for an unchanged
    picture or a short shot just after a look: extractors.base.picture_looks); the labels of every frame
    looked at, best first."""

    name = "tags"
    version = "5"
    source = "tags"
    needs = frozenset({FRAMES})
    options_type = TagsOptions
    label = "PICTURE"
    colour = "#16a085"
    merge_gap = 0.01  # the same labels across a chunk border are one span

    def __init__(self, threshold: float = imagenet.THRESHOLD, top_k: int = imagenet.TOP_K,
                 min_energy: float = imagenet.MIN_ENERGY, device: str = "auto"):
        self.threshold, self.top_k, self.min_energy = threshold, top_k, min_energy
        self.device = models.resolve_device(device)
        self.model_calls = 0
        self._tagger: imagenet.ImageNetTagger | None = None

    def config(self) -> dict[str, Any]:
        return {"model": "packaged:efficientnet-lite0", "threshold": self.threshold, "top_k": self.top_k,
                "min_energy": self.min_energy, "long_segment": LONG_SEGMENT_S, "same_picture": SAME_PICTURE_SHARE,
                "look_gap": LOOK_GAP_S, "regions": regions.config()}

    def check(self, video: Video) -> None:
        super().check(video)
        models.packaged_file("efficientnet-lite0")

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        images, looks = picture_looks(chunk.segments)
        if not images:
            return []
        self.model_calls += 1
        if self._tagger is None:
            self._tagger = imagenet.ImageNetTagger(self.device, self.threshold, self.top_k, min_energy=self.min_energy)
        crops, inside = regions.looks(images)
        found_all = self._tagger.classify([*images, *crops])
        per_frame, per_crop = found_all[: len(images)], found_all[len(images) :]
        found = []
        for seg, mine in zip(chunk.segments, looks):
            best = imagenet.best_per_label(tag for at in mine for tag in per_frame[at])
            if best:
                found.append(self._evidence(video, seg, best))
            for region, taken in regions.of_segment(mine, inside):
                best = imagenet.best_per_label(tag for at in taken for tag in per_crop[at])
                if best:
                    found.append(self._evidence(video, seg, best, region))
        return found  # segments with the same labels are joined when read (merge_gap), within a chunk and across

    def _evidence(self, video: Video, seg, best: list[imagenet.Tag],
                  region: regions.Region | None = None) -> Evidence:
        ranked = best[: self.top_k]
        text = describe(ranked)
        meta: dict[str, Any] = {"tags": [{"label": t.label, "wnid": t.wnid, "score": t.score} for t in ranked]}
        if region is not None:
            text, meta["region"] = f"{region.phrase}: {text}", regions.meta(region)
        return Evidence(fingerprint=video.fingerprint, start=round(seg.start, 2), end=round(seg.end, 2),
                        source="tags", text=text, confidence=round(ranked[0].score, 3), extractor=self.name,
                        extractor_version=self.version, meta=meta)
