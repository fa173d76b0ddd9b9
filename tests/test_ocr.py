from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import WORD, WORD_SPAN, frames_chunk
from vidseek import synth, video
from vidseek.errors import BadRequest
from vidseek.extractors.ocr import OcrExtractor, OcrOptions
from vidseek.text import normalise_text


def test_on_screen_word_is_read_once_with_its_whole_span(needle_video: Path, ocr: OcrExtractor) -> None:
    v = video.probe(needle_video)
    calls = ocr.model_calls
    found = list(ocr.run(v, frames_chunk(needle_video, 0.0, 10.0)))
    assert [e.text for e in found] == [WORD]
    word = found[0]
    # exact to the sampling step (1 s): the frames either side of the word are bisected
    assert word.start == pytest.approx(WORD_SPAN[0], abs=0.5)
    assert word.end == pytest.approx(WORD_SPAN[1], abs=0.5)
    # ten sampled frames, but only the picture with the word needs reading (plus quick looks for text)
    assert ocr.model_calls - calls <= 6


def test_plain_frames_give_no_text(needle_video: Path, ocr: OcrExtractor) -> None:
    assert list(ocr.run(video.probe(needle_video), frames_chunk(needle_video, 20.0, 30.0))) == []


def _moving(t: float, width: int, height: int) -> np.ndarray:
    """A scene that never holds still: a gradient sliding sideways."""
    x = (np.arange(width)[None, :] + int(t * 40)) % 256
    return np.repeat(np.broadcast_to(x, (height, width))[..., None], 3, axis=2).astype(np.uint8)


def test_caption_over_a_moving_scene_is_read_once_and_spans_its_time(tmp_path: Path, ocr: OcrExtractor) -> None:
    script = synth.Script(duration=10, audio=False, scenes=[synth.Scene(0.0, draw=_moving)],
                          captions=[synth.Caption(2.0, 8.0, "LOWER THIRD 77", size=36, xy=(40, 290))])
    path = synth.write_video(script, tmp_path / "moving.mp4")
    reads = []
    original = ocr.read
    ocr.read = lambda image, boxes=None: reads.append(1) or original(image, boxes)  # count the full readings
    try:
        found = list(ocr.run(video.probe(path), frames_chunk(path, 0.0, 10.0)))
    finally:
        del ocr.read
    assert [e.text for e in found] == ["LOWER THIRD 77"]
    assert (found[0].start, found[0].end) == (pytest.approx(2.0, abs=0.5), pytest.approx(8.0, abs=0.5))
    assert len(reads) == 1  # the boxes stay put while the picture moves: one reading serves


def _busy(t: float, width: int, height: int) -> np.ndarray:
    """The same detailed picture at every moment (seeded noise over stripes)."""
    rng = np.random.default_rng(7)
    base = (np.arange(width)[None, :, None] * 3 + np.arange(height)[:, None, None]) % 200
    return (base + rng.integers(0, 55, (height, width, 3))).astype(np.uint8)


def test_a_small_caption_on_a_busy_picture_is_not_taken_for_the_bare_picture(tmp_path: Path,
                                                                              ocr: OcrExtractor) -> None:
    script = synth.Script(duration=10, audio=False, scenes=[synth.Scene(0.0, draw=_busy)],
                          captions=[synth.Caption(4.0, 6.0, "EXIT 12", size=26, xy=(40, 40))])
    path = synth.write_video(script, tmp_path / "busy.mp4")
    found = [e for e in ocr.run(video.probe(path), frames_chunk(path, 0.0, 10.0)) if "EXIT" in e.text.upper()]
    assert [(e.start, e.end) for e in found] == [(4.0, 6.0)]


OPENCV_TEXT = Path("/usr/share/doc/opencv-doc/examples/data/imageTextN.png")  # Debian's opencv-doc, if installed


def _caption_frame(text: str, size: int) -> np.ndarray:
    script = synth.Script(duration=1, size=(1280, 720), audio=False, scenes=[synth.Scene(0.0, draw=_busy)],
                          captions=[synth.Caption(0.0, 1.0, text, size=size, xy=(80, 600))])
    return synth.render_frame(script, 0.0)


def _read(x: OcrExtractor, image: np.ndarray) -> str:
    boxes = x.text_boxes(image)
    return " ".join(text for text, _ in x.read(image, boxes)) if boxes else ""


def test_pp_ocr_finds_a_caption_and_easyocr_reads_its_words(ocr: OcrExtractor) -> None:
    assert (ocr.detector, ocr.recogniser) == ("rapidocr", "easyocr")  # the default engine
    frame = _caption_frame("THE SECRET WORD IS PELICAN 4821", 40)
    boxes = ocr.text_boxes(frame)
    assert boxes and all(560 <= (b[1] + b[3]) / 2 <= 680 for b in boxes)  # found where it was drawn
    assert normalise_text(_read(ocr, frame)) == "THE SECRET WORD IS PELICAN 4821"


def test_rapidocr_alone_reads_the_caption_letters() -> None:
    rapid = OcrExtractor(device="cpu", engine="rapidocr")
    # PP-OCRv4's recogniser may run English words together; the letters and digits are all there
    assert normalise_text(_read(rapid, _caption_frame("LOWER THIRD 77", 36))).replace(" ", "") == "LOWERTHIRD77"
    assert rapid.timings["look"] > 0 and rapid.timings["recognise"] > 0 and rapid.timings["detect"] == 0


@pytest.mark.skipif(not OPENCV_TEXT.exists(), reason="OpenCV's sample text images (apt-get install opencv-doc)")
def test_a_printed_page_is_read_line_by_line() -> None:
    from PIL import Image

    page = np.asarray(Image.open(OPENCV_TEXT).convert("RGB"))
    read = normalise_text(_read(OcrExtractor(device="cpu", engine="rapidocr"), page))
    assert "IN TEACHING OUR COURSES WE HAVE FOUND IT USEFUL FOR THE STUDENTS" in read
    assert "INSPIRATION FROM THREE HIGH LEVEL APPROACHES" in read


def test_the_easyocr_engine_still_reads_the_word(needle_video: Path) -> None:
    easy = OcrExtractor(device="cpu", engine="easyocr")
    found = list(easy.run(video.probe(needle_video), frames_chunk(needle_video, 0.0, 10.0)))
    assert [e.text for e in found] == [WORD] and easy.timings["detect"] > 0


def test_engine_is_checked_and_named_in_the_options() -> None:
    with pytest.raises(BadRequest, match="engine"):
        OcrOptions(engine="tesseract")
    with pytest.raises(BadRequest, match="rapidocr reads"):
        OcrExtractor(device="cpu", engine="rapidocr", languages=("fr",))
    assert OcrOptions().engine == "rapidocr+easyocr"
    assert OcrExtractor.from_options(OcrOptions(engine="easyocr"), "cpu").config()["engine"] == "easyocr"
