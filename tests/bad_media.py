"""The awkward files people really have, made on the spot: cut-off downloads, phone videos, odd sizes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidseek import synth

TEXT = "HARBOR 2051"


def text_script(duration: float = 8.0, size: tuple[int, int] = (320, 180), audio: bool = False,
                text_span: tuple[float, float] = (1.0, 7.0)) -> synth.Script:
    """Plain scenes with TEXT on screen; OCR alone reads it, so tests need no other model."""
    return synth.Script(duration=duration, size=size, fps=10, audio=audio,
                        scenes=[synth.Scene(0.0, (30, 40, 90))],
                        captions=[synth.Caption(*text_span, TEXT, size=max(14, size[1] // 7))])


def write_frames(frames: list[np.ndarray], times: list[float], path: Path, codec: str = "libx264",
                 options: dict[str, str] | None = None, pix_fmt: str = "yuv420p", rotation: int = 0) -> Path:
    """Encode RGB frames at the given times (seconds): any rate, constant or not."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=1000)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        for image, t in zip(frames, times):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = int(round(t * 1000)), Fraction(1, 1000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def faststart_video(path: Path, duration: float = 40.0) -> Path:
    """An mp4 with its index (moov) first, as web downloads have: cut anywhere, the rest still plays."""
    script = synth.Script(duration=duration, size=(320, 180), fps=5, audio=False,
                          scenes=[synth.Scene(0.0, (30, 40, 90))],
                          captions=[synth.Caption(t, t + 4.0, f"PART {i + 1}", size=28)
                                    for i, t in enumerate(np.arange(2.0, duration - 4, 8.0))])
    times = [i / script.fps for i in range(int(duration * script.fps))]
    return write_frames([synth.render_frame(script, t) for t in times], times, path,
                        options={"movflags": "+faststart"})


def truncate(source: Path, fraction: float, path: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def variable_rate_video(path: Path) -> Path:
    """Frames 50 ms to 400 ms apart (a phone dropping frames), TEXT on screen from 3 s to 6 s."""
    script = text_script(duration=9.0, text_span=(3.0, 6.0))
    times, t, step = [], 0.0, 0
    while t < 9.0:
        times.append(round(t, 3))
        t += (0.05, 0.4, 0.1, 0.25)[step % 4]
        step += 1
    return write_frames([synth.render_frame(script, t) for t in times], times, path)


def rotated_phone_video(path: Path, rotation: int = -90) -> Path:
    """Portrait footage stored sideways with a display rotation, as phones record it: TEXT reads upright only
    when the player (or vidseek) applies the rotation. `rotation` is counterclockwise degrees, as FFmpeg
    reports it; a player turns the stored picture by it to show it."""
    upright = text_script(duration=4.0, size=(180, 320), text_span=(0.0, 4.0))
    upright.captions[0].size = 22
    times = [i / 5 for i in range(20)]
    stored = [np.ascontiguousarray(np.rot90(synth.render_frame(upright, t), k=-round(rotation / 90)))
              for t in times]
    return write_frames(stored, times, path, rotation=rotation)


def odd_size_video(path: Path, size: tuple[int, int], duration: float = 2.0) -> Path:
    """Sizes H.264 in 4:2:0 cannot hold (1x1, odd) go into FFV1 in Matroska, which takes any size."""
    width, height = size
    times = [i / 5 for i in range(int(duration * 5))]
    if width % 2 or height % 2:
        frames = [np.full((height, width, 3), 120, np.uint8) for _ in times]
        return write_frames(frames, times, path.with_suffix(".mkv"), codec="ffv1", pix_fmt="yuv444p")
    script = text_script(duration=duration, size=size, text_span=(0.0, duration))
    return write_frames([synth.render_frame(script, t) for t in times], times, path)
