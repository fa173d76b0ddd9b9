from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.conftest import PHOTO_SPAN, frames_chunk
from tests.tiny_models import tiny_yolo_config
from vidseek import video
from vidseek.extractors.objects import ObjectsExtractor, describe


def test_packaged_detector_finds_the_person_in_the_photo_segment(needle_video: Path, objects) -> None:
    v = video.probe(needle_video)
    found = list(objects.run(v, frames_chunk(needle_video, 0.0, 30.0)))
    people = [e for e in found if "person" in e.text]
    assert people, found
    assert all(PHOTO_SPAN[0] <= e.start and e.end <= PHOTO_SPAN[1] for e in people)
    assert any(e.start == PHOTO_SPAN[0] for e in people)  # the segment that starts with the photo


def test_counts_read_most_first() -> None:
    assert describe(Counter({"dog": 1, "person": 2, "bus": 1})) == "2 person, 1 bus, 1 dog"


def test_yolo_code_path_runs_a_model_built_from_its_config(needle_video: Path, tmp_path: Path) -> None:
    config = tiny_yolo_config(tmp_path)
    # random weights score low: a tiny threshold lets boxes through so the counting code runs
    extractor = ObjectsExtractor(str(config), device="cpu", confidence=1e-9)
    v = video.probe(needle_video)
    extractor.check(v)
    chunk = frames_chunk(needle_video, 0.0, 10.0)
    found = list(extractor.run(v, chunk))
    assert found and extractor.model_calls == 1
    spans = {(round(s.start, 2), round(s.end, 2)) for s in chunk.segments}
    for item in found:
        assert (item.start, item.end) in spans and item.source == "objects"
        assert item.text == describe(Counter(item.meta["counts"]))


def test_index_prints_no_native_library_logs(tmp_path) -> None:
    """TensorFlow Lite and absl (in mediapipe, still there as --yolo mediapipe) write to file descriptor 2
    from C++ on every model load."""
    import subprocess
    import sys

    import skimage.data

    from vidseek import synth

    clip = synth.write_video(synth.Script(duration=2, size=(320, 240), fps=5, audio=False,
                                          photos=[synth.Photo(0, 2, skimage.data.astronaut(), box=(10, 10, 200, 200))]),
                             tmp_path / "clip.mp4")
    done = subprocess.run([sys.executable, "-m", "vidseek", "index", str(clip), "--sources", "objects", "--yolo",
                           "mediapipe", "--device", "cpu", "-L", str(tmp_path / "lib")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "1 objects" in done.stdout, done.stderr
    for noise in ("TensorFlow Lite", "absl::InitializeLog", "W0000", "inference_feedback_manager"):
        assert noise not in done.stderr, done.stderr
