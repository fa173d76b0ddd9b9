"""A video's scenes: the shots the indexer cuts, kept in the library, read as a list with the first words said
and shown (Library.scenes, `vidseek scenes`, its contact sheet, GET /api/videos/{id}/scenes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from scipy import ndimage

from tests.helpers import cli, one_line
from tests.server_fixtures import make_served_folder
from vidseek.errors import BadRequest, NotFound
from vidseek.library import Library
from vidseek.pipeline.index import IndexOptions
from vidseek.pipeline.scenes import ChunkCuts, merged, shots
from vidseek.server import ServerConfig, create_app
from vidseek.sheet import BACKGROUND

# harbor.mp4 (tests/server_fixtures.py): blue 0-10 s with "HARBOR TOUR" on screen, a photo on orange 10-16 s,
# green 16-20 s; its subtitles are said at 2, 12 and 17 s
SHOTS = [(0.0, 10.0), (10.0, 16.0), (16.0, 20.0)]
OPTIONS = IndexOptions(chunk_seconds=10.0)  # the cut at 10 s falls on a chunk's border


@pytest.fixture(scope="module")
def harbor(tmp_path_factory, embedder) -> tuple[Path, Library, str]:
    """harbor.mp4 indexed with subtitles and real OCR, in 10 s chunks."""
    root = tmp_path_factory.mktemp("scenes")
    video = make_served_folder(root)
    library = Library(root / "library", embedder=embedder, device="cpu")
    report = library.index(video, sources=["subtitle", "ocr"], options=OPTIONS)
    return video, library, report.video.fingerprint


def _spans(scenes) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in scenes]


def test_a_video_s_scenes_are_its_shots_with_the_first_words_said_and_shown(harbor) -> None:
    video, library, fp = harbor
    scenes = library.scenes(video)
    assert _spans(scenes) == SHOTS
    assert [s.index for s in scenes] == [1, 2, 3]
    assert [s.said for s in scenes] == ["GUIDE: Welcome aboard the harbor tour.",
                                        "The lighthouse keeper is named Ada Brooks.", "We return to the pier at noon."]
    assert scenes[0].shown == "HARBOR TOUR" and scenes[1].shown == scenes[2].shown == ""
    assert library.scenes(fp[:12]) == scenes  # by fingerprint prefix too: no file needed


def test_a_scene_list_is_capped_by_joining_the_shortest_scene_to_its_shorter_neighbour(harbor) -> None:
    video, library, _ = harbor
    assert _spans(library.scenes(video, limit=2)) == [(0.0, 10.0), (10.0, 20.0)]
    assert _spans(library.scenes(video, limit=1)) == [(0.0, 20.0)]
    assert merged([(0, 1), (1, 5), (5, 5.5), (5.5, 6), (6, 20)], 3) == [(0, 5), (5, 6), (6, 20)]
    with pytest.raises(BadRequest, match="at least 1"):
        library.scenes(video, limit=0)


def test_shots_run_on_across_a_chunk_border_unless_the_picture_changes_there() -> None:
    blue, green = (1.0,) + (0.0,) * 63, (0.0,) * 63 + (1.0,)
    same = [ChunkCuts(0, 60, (12.0,), blue, blue), ChunkCuts(60, 120, (), blue, blue)]
    assert shots(same) == [(0, 12.0), (12.0, 120)]
    changed = [ChunkCuts(0, 60, (), blue, blue), ChunkCuts(60, 120, (90.0,), green, green)]
    assert shots(changed) == [(0, 60), (60, 90.0), (90.0, 120)]
    assert shots([ChunkCuts(60, 120, (), green, green), ChunkCuts(0, 60, (), blue, blue)]) == [(0, 60), (60, 120)]


def test_a_library_from_before_scene_lists_gets_one_by_indexing_again_with_no_model_work(
        tmp_path, harbor, embedder) -> None:
    video, library, _ = harbor
    copy = shutil.copytree(library.path, tmp_path / "old")
    old = Library(copy, embedder=embedder, device="cpu")
    record = old.find(video)
    shutil.rmtree(old.cache.layout.evidence / record.video.content_id / record.cuts)
    record.cuts = ""  # as a record written before vidseek kept cut lists
    old.cache.save_record(record)
    with pytest.raises(NotFound, match="indexed before vidseek kept them; index it again with a picture source"):
        old.scenes(video)
    report = old.index(video, sources=["subtitle", "ocr"], options=OPTIONS)
    assert report.model_calls["ocr"] == 0 and report.chunks_run == 2  # the pictures decoded, nothing read again
    assert _spans(old.scenes(video)) == SHOTS


def test_a_video_indexed_without_pictures_says_how_to_get_its_scenes(tmp_path, embedder) -> None:
    video = make_served_folder(tmp_path)
    library = Library(tmp_path / "library", embedder=embedder, device="cpu")
    library.index(video, sources=["subtitle"])
    with pytest.raises(NotFound, match="'harbor.mp4': it was indexed without a picture source; index it again"):
        library.scenes(video)


def test_scenes_prints_a_table_and_json_lines(harbor) -> None:
    video, library, fp = harbor
    table, as_json = cli(["scenes", video, "-L", library.path], ["scenes", fp[:12], "--json", "-L", library.path])
    assert table["code"] == 0 and as_json["code"] == 0, (table, as_json)
    rows = table["stdout"].splitlines()
    assert len(rows) == 3
    assert rows[0].split() == ["1", "00:00:00–00:00:10", "GUIDE:", "Welcome", "aboard", "the", "harbor", "tour.",
                               "HARBOR", "TOUR"]
    assert rows[2].split()[:2] == ["3", "00:00:16–00:00:20"] and rows[2].endswith("  -")
    items = [json.loads(line) for line in as_json["stdout"].splitlines()]
    assert [(i["index"], i["start"], i["end"], i["thumbnail_at"]) for i in items] == [
        (1, 0.0, 10.0, 5.0), (2, 10.0, 16.0, 13.0), (3, 16.0, 20.0, 18.0)]
    assert {i["video"] for i in items} == {library.ids()[fp]} == {fp[:12]} and items[0]["shown"] == "HARBOR TOUR"


def test_a_bad_sheet_argument_is_refused_before_the_table_is_printed(tmp_path, harbor) -> None:
    video, library, _ = harbor
    sheet = tmp_path / "x.png"
    result = cli(["scenes", video, "--columns", "0", "--sheet", sheet, "-L", library.path])[0]
    assert result["code"] == 2 and result["stdout"] == "" and not sheet.exists()
    assert one_line(result) == "vidseek: a sheet needs 1 to 50 columns of tiles 64 to 1280 pixels wide"


def _tiles(png: Path) -> list[tuple[int, int, int, int]]:
    """The tiles of a contact sheet found in its pixels: regions apart from the background colour (holes in
    them filled, so a picture with background-coloured parts is still one tile), as bounding boxes."""
    pixels = np.asarray(Image.open(png).convert("RGB"))
    tile = ndimage.binary_fill_holes((pixels != np.array(BACKGROUND)).any(axis=2))
    labels, count = ndimage.label(tile)
    boxes = ndimage.find_objects(labels)
    return sorted((b[1].start, b[0].start, b[1].stop - b[1].start, b[0].stop - b[0].start) for b in boxes)


def test_the_contact_sheet_has_one_tile_per_scene(tmp_path, harbor) -> None:
    video, library, _ = harbor
    sheet, two = tmp_path / "sheet.png", tmp_path / "two.png"
    done, capped = cli(["scenes", video, "--sheet", sheet, "--columns", "2", "-L", library.path],
                       ["scenes", video, "--sheet", two, "--max", "2", "-L", library.path])
    assert done["code"] == 0 and capped["code"] == 0, (done, capped)
    assert len(done["stdout"].splitlines()) == 3 and len(capped["stdout"].splitlines()) == 2
    tiles = _tiles(sheet)
    assert len(tiles) == 3 and len(_tiles(two)) == 2
    assert len({(w, h) for _, _, w, h in tiles}) == 1  # one size, in a grid two wide
    assert len({x for x, _, _, _ in tiles}) == 2 and len({y for _, y, _, _ in tiles}) == 2
    layout = json.loads(Image.open(sheet).text["vidseek-sheet"])
    assert (layout["count"], layout["columns"], layout["scenes"]) == (3, 2, [list(s) for s in SHOTS])
    blue = np.asarray(Image.open(sheet).convert("RGB"))[tiles[0][1] + 60, tiles[0][0] + 20]  # in the first picture
    assert blue[2] > 100 and blue[0] < 60  # scene 1's picture is its blue shot
    assert "wrote" in done["stderr"] and "3 tiles" in done["stderr"]


def test_the_sheet_of_a_video_whose_file_is_gone_says_so_after_the_table(tmp_path, harbor, embedder) -> None:
    video, library, _ = harbor
    library = Library(shutil.copytree(library.path, tmp_path / "library"), embedder=embedder, device="cpu")
    moved = Path(shutil.copy(video, tmp_path / "elsewhere.mp4"))
    fp = library.index(moved, sources=["subtitle", "ocr"], options=OPTIONS).video.fingerprint  # evidence shared
    moved.unlink()
    sheet = tmp_path / "sheet.png"
    result = cli(["scenes", fp, "--sheet", sheet, "-L", library.path])[0]
    assert result["code"] == 2 and len(result["stdout"].splitlines()) == 3
    assert "elsewhere.mp4' is gone (moved or deleted)" in one_line(result) and not sheet.exists()


def test_the_api_lists_a_video_s_scenes_with_their_pictures(harbor) -> None:
    video, library, fp = harbor
    client = TestClient(create_app(ServerConfig(roots=[video.parent], llm=False), library),
                        base_url="http://127.0.0.1")
    scenes = client.get(f"/api/videos/{fp[:12]}/scenes").json()
    assert [(s["index"], s["start"], s["end"], s["said"][:5], s["shown"]) for s in scenes] == [
        (1, 0.0, 10.0, "GUIDE", "HARBOR TOUR"), (2, 10.0, 16.0, "The l", ""), (3, 16.0, 20.0, "We re", "")]
    assert scenes[1]["thumbnail"] == f"/api/videos/{library.ids()[fp]}/thumbnail?t=13.0"  # the id ls shows
    picture = client.get(scenes[1]["thumbnail"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    assert len(client.get(f"/api/videos/{fp}/scenes?max=2").json()) == 2
    refused = client.get(f"/api/videos/{fp}/scenes?max=0")
    assert (refused.status_code, refused.json()) == (
        422, {"error": "query.max: Input should be greater than or equal to 1"})
    assert client.get("/api/videos/ffffffffffff/scenes").status_code == 404
