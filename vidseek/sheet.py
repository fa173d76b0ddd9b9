"""A contact sheet: one tile per scene (its picture, its time, its first words) in a grid, as a PNG a person
looks over before asking. The grid is written into the PNG too (a `vidseek-sheet` text chunk), so a reader
of the file knows which tile is which scene."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps
from PIL.PngImagePlugin import PngInfo

from vidseek import video as media
from vidseek.errors import BadRequest, UnreadableInput
from vidseek.pipeline.scenes import Scene
from vidseek.text import printable
from vidseek.types import format_time
from vidseek.video import disk_error

BACKGROUND = (28, 28, 30)  # between tiles: no tile pixel is this colour at its edge (tiles are framed)
CARD = (242, 242, 244)
INK = (29, 29, 31)
MUTED = (96, 96, 100)
PICTURE = (0, 0, 0)  # behind a picture that does not fill its box, and where there is none
PAD = 4  # card border around the picture, inside each tile
GAP = 8  # background between tiles and around the grid
TEXT_LINES = 3  # under each picture: the time, the words said, the words shown
LINE_HEIGHT = 14
MAX_TILES = 2000  # a bigger sheet is a picture too big to open (vidseek scenes --max joins scenes)


@dataclass(frozen=True)
class SheetLayout:
    """Where the tiles lie: `count` tiles of tile_width x tile_height, `columns` to a row, GAP apart."""

    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    gap: int = GAP

    @property
    def size(self) -> tuple[int, int]:
        return (self.gap + self.columns * (self.tile_width + self.gap),
                self.gap + self.rows * (self.tile_height + self.gap))

    def origin(self, n: int) -> tuple[int, int]:
        """The top-left corner of tile n (0-based), row by row."""
        row, column = divmod(n, self.columns)
        return self.gap + column * (self.tile_width + self.gap), self.gap + row * (self.tile_height + self.gap)


def layout(count: int, columns: int, picture: tuple[int, int]) -> SheetLayout:
    """The grid for `count` tiles whose pictures are `picture` (width, height) big."""
    columns = max(1, min(columns, count))
    return SheetLayout(count, columns, -(-count // columns), picture[0] + 2 * PAD,
                       picture[1] + 2 * PAD + TEXT_LINES * LINE_HEIGHT + PAD)


def check_sheet(count: int, columns: int = 5, width: int = 240) -> None:
    """Raises BadRequest when a sheet of `count` tiles cannot be made with these arguments: checked before
    anything else is printed, so a command refuses a bad --columns instead of failing after its table."""
    if count > MAX_TILES:
        raise BadRequest(f"{count} scenes are too many tiles for one sheet (at most {MAX_TILES}): "
                         "join them with --max")
    if not (1 <= columns <= 50 and 64 <= width <= 1280):
        raise BadRequest("a sheet needs 1 to 50 columns of tiles 64 to 1280 pixels wide")


def contact_sheet(path: str | os.PathLike[str], scenes: list[Scene], out: str | os.PathLike[str],
                  columns: int = 5, width: int = 240, aspect: float = 16 / 9) -> SheetLayout:
    """Write the sheet of these scenes of the video file at `path` to `out` (PNG); its layout. `aspect` is the
    pictures' shape (width over height) when the first one cannot be read. Raises BadRequest (no scenes, too
    many, a bad size), UnreadableInput (the file is gone or cannot be read), LibraryError (`out` cannot be
    written)."""
    if not scenes:
        raise BadRequest("no scenes to put on a sheet")
    check_sheet(len(scenes), columns, width)
    if not Path(path).is_file():
        raise UnreadableInput(f"cannot make a sheet: '{path}' is gone (moved or deleted); the scene list "
                              "itself needs no file")
    frames = media.frames_at(path, [s.middle for s in scenes], max_side=2 * width)
    first = next((f.image for f in frames if f is not None), None)
    shape = (first.shape[1] / first.shape[0]) if first is not None else aspect
    picture = (width, max(16, round(width / shape)))
    grid = layout(len(scenes), columns, picture)
    sheet = Image.new("RGB", grid.size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=11)
    for n, (scene, frame) in enumerate(zip(scenes, frames)):
        x, y = grid.origin(n)
        draw.rectangle((x, y, x + grid.tile_width - 1, y + grid.tile_height - 1), fill=CARD)
        box = Image.new("RGB", picture, PICTURE)
        if frame is not None:
            shown = ImageOps.contain(Image.fromarray(frame.image), picture)
            box.paste(shown, ((picture[0] - shown.width) // 2, (picture[1] - shown.height) // 2))
        sheet.paste(box, (x + PAD, y + PAD))
        lines = [(f"{scene.index}   {format_time(scene.start)} - {format_time(scene.end)}", INK),
                 (scene.said, INK), (scene.shown and f"[{scene.shown}]", MUTED)]
        top = y + PAD + picture[1] + PAD // 2
        for k, (text, colour) in enumerate(lines):
            draw.text((x + PAD, top + k * LINE_HEIGHT), _fit(draw, font, printable(text), picture[0]),
                      fill=colour, font=font)
    info = PngInfo()
    info.add_text("vidseek-sheet", json.dumps({**asdict(grid), "scenes": [[s.start, s.end] for s in scenes]}))
    try:
        sheet.save(out, format="PNG", pnginfo=info, optimize=False)
    except OSError as exc:
        raise disk_error(exc, str(out)) from None
    return grid


def _fit(draw: ImageDraw.ImageDraw, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, text: str,
         width: int) -> str:
    """The text cut (with …) to fit `width` pixels on one line."""
    if draw.textlength(text, font=font) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if draw.textlength(text[:mid] + "…", font=font) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"
