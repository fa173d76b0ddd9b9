"""A Darknet network (.cfg + .weights) as an ONNX graph, so onnxruntime runs it.

Why not OpenCV's Darknet reader: on the same 2 cores onnxruntime ran YOLOv3-tiny 2.2x faster at 416×416
(19 against 43 ms a frame) and the reader is gone from OpenCV 5. Why not torch: 26 ms for the same graph.
The graph is built in memory (a fifth of a second; vision.graphs keeps it): batch norms folded into their
convolutions, the layers YOLOv3-tiny uses (convolutional, maxpool, route, upsample, yolo), and the YOLO
heads' raw maps as outputs; `outline` says what the graph will be from the cfg alone; `decode_head` turns
a head into boxes the way Darknet does. A layer type outside that list raises ModelUnavailable rather
than building a different network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidseek import models

VERSION = "2"  # of the graph build() makes: part of its cache key (vision.graphs)
BN_EPSILON = 1e-5  # darknet's batchnorm_layer.c
LEAKY_SLOPE = 0.1


@dataclass(frozen=True)
class YoloHead:
    """One [yolo] layer: the graph output it reads, and its anchors (width, height) in input pixels."""

    output: str
    anchors: tuple[tuple[float, float], ...]
    classes: int


def parse_cfg(text: str) -> list[dict[str, str]]:
    """A Darknet cfg as its sections in order: {'type': 'convolutional', 'filters': '16', …}."""
    sections: list[dict[str, str]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append({"type": line[1:-1].strip()})
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            sections[-1][key.strip()] = value.strip()
    return sections


def _read_weights(path: Path) -> np.ndarray:
    """The float32 values after the header (major, minor, revision, then images seen: 8 bytes from 0.2 on)."""
    raw = path.read_bytes()
    major, minor = np.frombuffer(raw[:8], dtype=np.int32)
    start = 12 + (8 if major * 10 + minor >= 2 else 4)
    return np.frombuffer(raw[start:], dtype=np.float32)


@dataclass(frozen=True)
class Step:
    """One cfg layer as the graph has it: what it reads, the tensor it writes, its input channels."""

    index: int
    layer: dict[str, str]
    reads: tuple[str, ...]
    writes: str
    channels: int  # of its input (a convolution's weights depend on it)


@dataclass(frozen=True)
class Outline:
    """A network's steps, heads and input channels, from its cfg alone (no weights read)."""

    steps: tuple[Step, ...]
    heads: tuple[YoloHead, ...]
    input_channels: int

    @property
    def pool_first(self) -> bool:
        """Whether the first layer is a leaky convolution whose maxpool alone reads it. build() then pools
        before the activation: max and a non-decreasing activation commute, so the numbers are the same, and
        the activation reads a quarter of the values. The point is the int8 copy, whose first layer stays
        float (vision.quantize): there onnxruntime ran a pool left after the float layer in its slow uint8
        layout (a third of the detector's time); pooled first, the whole first layer runs in float's fast
        one and hands a quarter of the values to the quantised rest (2x the detector, the same photo-set
        figures). Done for the first layer only: pooling first at every such layer cost a found object."""
        first, then = self.steps[0], self.steps[1] if len(self.steps) > 1 else None
        readers = [s for s in self.steps if first.writes in s.reads]
        return (first.layer["type"] == "convolutional" and first.layer.get("activation") == "leaky"
                and then is not None and then.layer["type"] == "maxpool" and readers == [then])

    @property
    def front(self) -> tuple[str, ...]:
        """The nodes build() makes of the first layer (each named after what it writes): its Conv
        ('<layer>.conv') and activation, and with pool_first the maxpool after it ('<pool layer>.pool',
        then the activation writes '<pool layer>')."""
        first = self.steps[0]
        if self.pool_first:
            pool = self.steps[1].writes
            return f"{first.writes}.conv", f"{pool}.pool", pool
        if first.layer.get("activation") == "leaky":
            return f"{first.writes}.conv", first.writes
        return (first.writes,)


def outline(cfg: Path) -> Outline:
    """What `build` makes of `cfg`, without its weights. Raises ModelUnavailable for a layer it cannot build."""
    sections = parse_cfg(cfg.read_text(encoding="utf-8"))
    if not sections or sections[0]["type"] not in {"net", "network"}:
        raise models.ModelUnavailable(f"{cfg} does not start with a [net] section")
    net, layers = sections[0], sections[1:]
    steps: list[Step] = []
    outputs: list[str] = []  # each layer's output tensor
    channels: list[int] = []
    previous, c = "images", int(net.get("channels", 3))
    heads: list[YoloHead] = []
    for i, layer in enumerate(layers):
        kind, reads, out, c_in = layer["type"], (previous,), f"layer{i}", c
        if kind == "convolutional":
            activation = layer.get("activation", "logistic")
            if activation not in {"leaky", "linear"} or int(layer.get("groups", 1)) != 1:
                raise models.ModelUnavailable(f"{cfg}: layer {i} ({activation}) is not one this reader builds")
            c = int(layer["filters"])
        elif kind == "route":
            sources = [int(s) for s in layer["layers"].split(",")]
            sources = [s if s >= 0 else i + s for s in sources]
            reads = tuple(outputs[s] for s in sources)
            if len(sources) == 1:
                out = reads[0]
            c = sum(channels[s] for s in sources)
        elif kind == "yolo":
            if any(key in layer for key in ("scale_x_y", "new_coords")):
                raise models.ModelUnavailable(f"{cfg}: layer {i} is a YOLOv4-style head this reader does not decode")
            anchors = np.array([float(a) for a in layer["anchors"].split(",")]).reshape(-1, 2)
            mask = [int(m) for m in layer["mask"].split(",")]
            heads.append(YoloHead(previous, tuple((float(w), float(h)) for w, h in anchors[mask]),
                                  int(layer["classes"])))
            out = previous
        elif kind not in {"maxpool", "upsample"}:
            raise models.ModelUnavailable(f"{cfg}: layer {i} is a [{kind}], which this reader does not build")
        steps.append(Step(i, layer, reads, out, c_in))
        outputs.append(out)
        channels.append(c)
        previous = out
    return Outline(tuple(steps), tuple(heads), int(net.get("channels", 3)))


def build(cfg: Path, weights: Path) -> bytes:
    """The network `cfg` describes with the values in `weights`, as a serialised ONNX model (opset 13, input
    'images', N×3×H×W floats in 0..1, H and W any multiple of 32; outlined by `outline(cfg)`)."""
    from onnx import TensorProto, helper, numpy_helper

    plan = outline(cfg)
    values = _read_weights(weights)
    at = 0

    def take(n: int) -> np.ndarray:
        nonlocal at
        if at + n > len(values):
            raise models.ModelUnavailable(f"{weights} holds fewer values than {cfg} needs")
        at += n
        return values[at - n : at]

    nodes, initializers = [], []
    for step in plan.steps:
        layer, name, kind = step.layer, step.writes, step.layer["type"]
        pooled_first = plan.pool_first and step.index in (0, 1)
        if kind == "convolutional":
            n, k, stride, c = int(layer["filters"]), int(layer["size"]), int(layer.get("stride", 1)), step.channels
            pad = k // 2 if int(layer.get("pad", 0)) else int(layer.get("padding", 0))
            bias = take(n)
            if int(layer.get("batch_normalize", 0)):
                scale, mean, var = take(n), take(n), take(n)
                kernel = take(n * c * k * k).reshape(n, c, k, k)
                factor = scale / np.sqrt(var + BN_EPSILON)
                kernel, bias = kernel * factor[:, None, None, None], bias - mean * factor
            else:
                kernel = take(n * c * k * k).reshape(n, c, k, k)
            initializers += [numpy_helper.from_array(kernel.astype(np.float32), f"{name}.weight"),
                             numpy_helper.from_array(bias.astype(np.float32), f"{name}.bias")]
            leaky = layer["activation"] == "leaky"
            conv = f"{name}.conv" if leaky else name
            nodes.append(helper.make_node("Conv", [*step.reads, f"{name}.weight", f"{name}.bias"], [conv], name=conv,
                                          kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
            if leaky and not pooled_first:
                nodes.append(helper.make_node("LeakyRelu", [conv], [name], name=name, alpha=LEAKY_SLOPE))
        elif kind == "maxpool":
            k, stride = int(layer["size"]), int(layer.get("stride", 1))
            # darknet pads size−1 at the bottom and right: a stride-1 pool keeps the map's size
            pads = [0, 0, 0, 0] if stride == k else [0, 0, k - 1, k - 1]
            if pooled_first:  # the pool reads the first convolution, the activation the pool (pool_first)
                nodes.append(helper.make_node("MaxPool", [f"{step.reads[0]}.conv"], [f"{name}.pool"],
                                              name=f"{name}.pool", kernel_shape=[k, k], strides=[stride, stride],
                                              pads=pads))
                nodes.append(helper.make_node("LeakyRelu", [f"{name}.pool"], [name], name=name, alpha=LEAKY_SLOPE))
            else:
                nodes.append(helper.make_node("MaxPool", list(step.reads), [name], name=name, kernel_shape=[k, k],
                                              strides=[stride, stride], pads=pads))
        elif kind == "route" and len(step.reads) > 1:
            nodes.append(helper.make_node("Concat", list(step.reads), [name], name=name, axis=1))
        elif kind == "upsample":
            stride = int(layer.get("stride", 2))
            initializers.append(numpy_helper.from_array(np.array([1, 1, stride, stride], np.float32), f"{name}.scales"))
            nodes.append(helper.make_node("Resize", [*step.reads, "", f"{name}.scales"], [name], name=name,
                                          mode="nearest"))
    if at != len(values):
        raise models.ModelUnavailable(f"{weights} holds {len(values) - at} values more than {cfg} uses")
    graph = helper.make_graph(
        nodes, cfg.stem,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["n", plan.input_channels, "h", "w"])],
        [helper.make_tensor_value_info(h.output, TensorProto.FLOAT, ["n", len(h.anchors) * (5 + h.classes),
                                                                     f"{h.output}.h", f"{h.output}.w"])
         for h in plan.heads],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what onnxruntime 1.16+ reads
    return model.SerializeToString()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def decode_head(raw: np.ndarray, head: YoloHead, input_size: tuple[int, int], min_score: float = 0.0) -> np.ndarray:
    """One frame's map of a head (anchors·(5+classes) × gh × gw) as rows (cx, cy, w, h, objectness, class
    scores…): centre and size as fractions of the input of `input_size` (height, width), each class score
    objectness × class probability, as OpenCV's Darknet reader gave them. Only the cells whose objectness
    reaches `min_score` (no class score of the others can)."""
    per = 5 + head.classes
    gh, gw = raw.shape[-2:]
    maps = raw.reshape(len(head.anchors), per, gh, gw)
    anchor, row, col = np.nonzero(_sigmoid(maps[:, 4]) >= min_score)
    cells = maps[anchor, :, row, col]  # one row of raw values per cell kept
    anchors = np.array(head.anchors, dtype=np.float32)[anchor]
    out = np.empty_like(cells)
    out[:, 0] = (col + _sigmoid(cells[:, 0])) / gw
    out[:, 1] = (row + _sigmoid(cells[:, 1])) / gh
    out[:, 2] = np.exp(cells[:, 2]) * anchors[:, 0] / input_size[1]
    out[:, 3] = np.exp(cells[:, 3]) * anchors[:, 1] / input_size[0]
    out[:, 4] = _sigmoid(cells[:, 4])
    out[:, 5:] = _sigmoid(cells[:, 5:]) * out[:, 4:5]
    return out
