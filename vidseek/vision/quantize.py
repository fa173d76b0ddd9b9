"""An int8 copy of an ONNX graph, calibrated on real photos that vidseek's dependencies install, built once
and kept in the model cache.

Why: YOLOv3-tiny is most of what the picture sources cost, and on the CPU int8 convolutions run it about
2.5x faster (docs/models.md; with darknet.Outline.pool_first). Weights are quantised per channel,
activations per tensor from their MinMax ranges over the calibration photos (onnxruntime's static QDQ
quantisation). The layers named in `keep_float` stay float: for the detector its first layer (raw
pixels; its convolution, pool and activation: darknet.Outline.pool_first) and the two convolutions that
write the YOLO heads; quantising those too cost a right object or added a wrong class on the photo set
(docs/models.md has the table).

The calibration photos are none of the photo set the detector is measured on: Grace Hopper (matplotlib's
sample data), China and a flower (scikit-learn's sample images), a retina, a colour wheel and a brick
wall (scikit-image's data) — each package comes with one of vidseek's own dependencies (ultralytics,
sentence-transformers, easyocr). A missing one raises ModelUnavailable; callers then run the float graph.

vision.graphs keeps the result in the model cache, keyed by the source files, RECIPE and the onnxruntime
version.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from vidseek import models

RECIPE = "2"  # bump when the calibration photos, their preparation (the letterbox) or the settings change


def _rgb(picture) -> np.ndarray:
    array = np.asarray(picture)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    array = array.astype(np.uint8)
    return np.ascontiguousarray(np.stack([array] * 3, -1) if array.ndim == 2 else array[..., :3])


CALIBRATION_MODULES = ("matplotlib", "sklearn", "skimage")


def can_calibrate() -> bool:
    """Whether the packages that carry the calibration photos are installed (checked without importing them)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in CALIBRATION_MODULES)


def calibration_photos() -> list[np.ndarray]:
    """The six calibration photos, RGB uint8; ModelUnavailable when a package that carries one is missing."""
    try:
        import matplotlib
        import skimage.data
        import sklearn.datasets
        from PIL import Image

        photos = [_rgb(Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))]
        photos += [_rgb(p) for p in sklearn.datasets.load_sample_images().images]
        photos += [_rgb(skimage.data.retina()), _rgb(skimage.data.colorwheel()), _rgb(skimage.data.brick())]
    except (ImportError, OSError, ValueError) as e:
        raise models.ModelUnavailable(f"a calibration photo for the int8 detector is missing: {e}") from e
    return photos


def int8(graph: bytes, keep_float: Sequence[str], to_input: Callable[[np.ndarray], np.ndarray],
         input_name: str = "images") -> bytes:
    """The int8 copy of `graph` (~3 s; vision.graphs keeps it), its input for a photo given by `to_input`
    (a 1×C×H×W float32 array)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    feeds = iter([{input_name: to_input(photo)} for photo in calibration_photos()])

    class Photos(CalibrationDataReader):
        def get_next(self):
            return next(feeds, None)

    with tempfile.TemporaryDirectory() as tmp:
        source, built = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(graph)
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser's advice to pre-process goes to the root logger
        try:
            quantize_static(str(source), str(built), Photos(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=list(keep_float))
        finally:
            root.setLevel(level)
        return built.read_bytes()
