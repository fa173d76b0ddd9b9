from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.conftest import SPOKEN, WORD, index_into
from vidseek.diarize import spoken_text
from vidseek.library import Library, LLMSettings
from vidseek.store.chroma import ChromaStore, evidence_id
from vidseek.types import Evidence, Video

_NO_LLM = LLMSettings(enabled=False)


def _video(fp: str) -> Video:
    return Video(path=f"/v/{fp}.mp4", fingerprint=fp, duration=60, fps=25, width=2, height=2,
                 has_video=True, has_audio=True)


def _items(fp: str, texts: list[str]) -> list[Evidence]:
    return [Evidence(fp, float(i * 5), float(i * 5 + 4), "speech", t) for i, t in enumerate(texts)]


def test_embedded_store_keeps_exactly_what_a_video_has(tmp_path: Path, embedder) -> None:
    store = ChromaStore(tmp_path / "chroma")
    items = _items("a" * 32, ["the cat sleeps on the sofa", "rain is forecast for Tuesday", "the train leaves"])
    store.replace_video(_video("a" * 32), items, embedder.encode([e.text for e in items]))
    stamp = store.stamp()
    hits = store.dense(embedder.encode(["weather forecast"])[0], 2)
    assert hits[0][1].text == "rain is forecast for Tuesday" and hits[0][0] == evidence_id(items[1])
    fewer = items[:2]
    store.replace_video(_video("a" * 32), fewer, np.zeros((0, 384), np.float32), only=[])
    assert store.count() == 2 and store.stamp() != stamp
    assert [v.evidence for v in store.list_videos()] == [2]
    assert store.remove_video("a" * 32) == 2 and store.count() == 0 and store.list_videos() == []


def test_reopened_store_answers_from_disk(tmp_path: Path, embedder) -> None:
    items = _items("b" * 32, ["a red balloon floats away"])
    ChromaStore(tmp_path / "chroma").replace_video(_video("b" * 32), items, embedder.encode([items[0].text]))
    again = ChromaStore(tmp_path / "chroma")
    assert again.dense(embedder.encode(["balloon"])[0], 1)[0][1].text == "a red balloon floats away"


def test_a_reader_sees_a_store_folder_swapped_in_by_another_process(tmp_path: Path, embedder) -> None:
    """`rebuild` in another process renames a new store into place: a reader that had the old one open (its
    database file renamed away under it) reloads the folder's new file instead of reading the old one."""
    import os

    from vidseek.store import chroma

    old, new = _items("c" * 32, ["the old harbor"]), _items("d" * 32, ["the new lighthouse"])
    reader = ChromaStore(tmp_path / "chroma")
    reader.replace_video(_video("c" * 32), old, embedder.encode([e.text for e in old]))
    built = ChromaStore(tmp_path / "chroma.rebuild")
    built.replace_video(_video("d" * 32), new, embedder.encode([e.text for e in new]))
    chroma._close(str(tmp_path / "chroma.rebuild"))  # the other process ends
    os.rename(tmp_path / "chroma", tmp_path / "chroma.old")  # its swap, as this process cannot see it
    os.rename(tmp_path / "chroma.rebuild", tmp_path / "chroma")
    assert [v.fingerprint for v in reader.list_videos()] == ["d" * 32]
    assert [e.text for _, e in reader.dense(embedder.encode(["lighthouse"])[0], 1)] == ["the new lighthouse"]


def test_publishing_again_embeds_nothing_new(needle_library: Library) -> None:
    fp = needle_library.videos()[0].video.fingerprint
    assert needle_library.publish(fp) == 0


def test_library_on_a_chroma_server_indexes_and_answers(chroma_server: str, tmp_path: Path, needle_video,
                                                        speech, ocr, objects, options, embedder) -> None:
    library = Library(tmp_path / "lib", store=chroma_server, embedder=embedder, device="cpu")
    fp = index_into(library, needle_video, [speech, ocr, objects], options)
    assert library.store.is_server and library.store.count() == 3
    # a teammate's library folder is empty, but the shared server answers
    teammate = Library(tmp_path / "other", store=chroma_server, embedder=embedder, device="cpu")
    assert [v.fingerprint for v in teammate.stored_videos()] == [fp]
    answer = teammate.ask("What code is shown on screen?", ["HERON 1111", WORD, "EAGLE 2222"],
                          llm=_NO_LLM)
    assert answer.choice == "B"
    hits = teammate.search("Thursday meeting")
    assert any(spoken_text(h.evidence) == SPOKEN for h in hits)  # the words, after the speaker label

