"""The extractor registry: a source from outside vidseek plugs in through an entry point, with no edit to
vidseek — its flag shows in `vidseek index --help`, `--sources` takes it, its evidence is indexed and read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import cli
from vidseek import extractors as ex
from vidseek.errors import BadRequest
from vidseek.extractors.ocr import OcrExtractor

ROOT = Path(__file__).resolve().parents[1]


def _install_plugin(folder: Path) -> dict[str, str]:
    """What `pip install vidseek-brightness` would leave: a dist-info whose entry point names the class in
    tests/plugin. Returns the environment that puts it on the path."""
    info = folder / "vidseek_brightness-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vidseek-brightness\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[vidseek.extractors]\nbrightness = tests.plugin.brightness:BrightnessExtractor\n")
    return {"PYTHONPATH": os.pathsep.join([str(folder), str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_a_plugin_extractor_indexes_through_the_cli_with_no_edit_to_vidseek(needle_video: Path,
                                                                            tmp_path: Path) -> None:
    env = _install_plugin(tmp_path / "site")
    library = tmp_path / "lib"
    helped, indexed, listed, strict = cli(
        ["index", "--help"],
        ["index", needle_video, "--sources", "brightness", "--brightness-threshold", "0.2", "-L", library],
        ["evidence", needle_video, "--source", "brightness", "-L", library],
        ["index", needle_video, "--sources", "brightness", "--brightness-threshold", "7", "-L", library],
        env=env)
    assert "--brightness-threshold" in helped["stdout"] and "brightness" in helped["stdout"]
    assert indexed["code"] == 0, indexed["stderr"]
    assert "brightness" in indexed["stdout"]
    lines = listed["stdout"].splitlines()
    assert lines and all("[brightness] a " in line and "picture (level" in line for line in lines)
    assert strict["code"] == 2 and "the threshold must be from 0 to 1, not 7" in strict["stderr"]


def test_without_the_plugin_its_source_is_an_unknown_name(needle_video: Path, tmp_path: Path) -> None:
    [result] = cli(["index", needle_video, "--sources", "brightness", "-L", tmp_path / "lib"])
    assert result["code"] == 2 and "unknown source(s) brightness; choose from subtitle, speech" in result["stderr"]


def test_registering_refuses_a_name_or_flag_that_is_taken() -> None:
    class Twin(OcrExtractor):
        pass

    with pytest.raises(BadRequest, match="two extractors are named 'ocr'"):
        ex.register_extractor(Twin)
    with pytest.raises(BadRequest, match="not a vidseek Extractor"):
        ex.register_extractor(dict)  # type: ignore[arg-type]


def test_built_ins_are_all_registered_in_run_order() -> None:
    assert ex.source_names() == ["subtitle", "speech", "ocr", "objects", "tags", "caption"]
    assert ex.merge_gaps() == {"ocr": 0.01, "tags": 0.01}
    assert [s["name"] for s in ex.page_sources()] == ex.source_names()


def test_cli_values_reach_the_extractor_that_declares_them() -> None:
    settings = ex.ExtractorSettings.from_flags("cpu", {"whisper_model": "tiny.pt", "yolo": None, "language": "de"})
    speech, objects = ex.build(["speech", "objects"], settings)
    assert (speech.model, speech.language, objects.model) == ("tiny.pt", "de", None)
    with pytest.raises(BadRequest, match="unknown source"):
        ex.build(["smell"], settings)
