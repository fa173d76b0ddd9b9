"""Who's who across a library: voices enrolled by name and recognised in other videos (vidseek/voiceprints.py).

The fast tests use fixed vectors. The slow ones make three conversations sharing two voices, index them with the
real packaged Whisper and voice encoders, enrol both voices from the first and find them by name in the third,
through the CLI in new processes: one with espeak-ng voices (and the page, MCP, export and forget), one with real
people's recordings (tortoise-tts's voice clips, downloaded once into ~/.cache/vidseek/test-media).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidseek import diarize, ecapa, voice
from vidseek.errors import BadRequest, NotFound
from vidseek.types import Evidence
from vidseek.voiceprints import (
    Sample,
    Voice,
    VoiceBook,
    VoicePrint,
    check_name,
    mentioned,
    recognise,
    voices,
)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _near(v: np.ndarray, rng: np.random.Generator, spread: float = 0.15) -> np.ndarray:
    return _unit(v + spread * _unit(rng.standard_normal(len(v))))


def test_each_speaker_gets_at_most_one_name_and_each_name_one_speaker() -> None:
    rng = np.random.default_rng(0)
    alice, bob, stranger = (_unit(rng.standard_normal(voice.DIM)) for _ in range(3))
    prints = [VoicePrint("Alice", (Sample("v1", "S1", 10.0, alice),)),
              VoicePrint("Bob", (Sample("v1", "S2", 8.0, bob),))]
    heard = {"S1": Voice("S1", _near(bob, rng), 5.0, 3), "S2": Voice("S2", _near(alice, rng), 6.0, 4),
             "S3": Voice("S3", stranger, 4.0, 2), "S4": Voice("S4", _near(alice, rng, 0.4), 3.0, 2)}
    named = recognise(heard, prints, threshold=0.7)
    assert {label: r.name for label, r in named.items()} == {"S1": "Bob", "S2": "Alice"}  # S4 is like Alice, less so
    assert all(0.7 <= r.similarity <= 1.0 for r in named.values())
    assert recognise(heard, prints, threshold=0.999) == {}  # below the threshold a speaker stays unnamed
    assert recognise(heard, [], threshold=0.0) == {}


def test_by_default_a_voice_as_alike_as_another_real_person_often_is_left_unnamed() -> None:
    # benchmarks/speaker_id.py: with identity vectors (ECAPA) different real people reached 0.42 at most outside
    # labels diarization merged, and one person in another recording reached 0.415 in 94% of appearances
    rng = np.random.default_rng(2)
    alice = _unit(rng.standard_normal(ecapa.DIM))
    other = _unit(rng.standard_normal(ecapa.DIM))
    other = _unit(other - (other @ alice) * alice)  # orthogonal to alice

    def at(similarity: float) -> Voice:
        return Voice("S1", _unit(similarity * alice + np.sqrt(1 - similarity ** 2) * other), 5.0, 3)

    prints = [VoicePrint("Alice", (Sample("v1", "S1", 10.0, alice),))]
    assert recognise({"S1": at(0.38)}, prints) == {}
    assert {k: r.name for k, r in recognise({"S1": at(0.5)}, prints).items()} == {"S1": "Alice"}


def test_a_speaker_enrolled_from_a_video_keeps_its_name_there_beside_its_other_half() -> None:
    """Diarization split one person into S1 and S2 of a video; S2 was enrolled there. S2 keeps the name, S1 (the
    same voice) is recognised too, and a video indexed again, whose S2 is now someone else, does not keep it."""
    from vidseek.library import Library

    rng = np.random.default_rng(5)
    ann, other = _unit(rng.standard_normal(ecapa.DIM)), _unit(rng.standard_normal(ecapa.DIM))
    prints = [VoicePrint("Ann", (Sample("v", "S2", 10.0, ann),))]
    heard = {"S1": Voice("S1", _near(ann, rng, 0.3), 5.0, 2), "S2": Voice("S2", ann, 10.0, 3),
             "S3": Voice("S3", other, 6.0, 2)}
    named = Library._with_enrolled("v", heard, prints)
    assert {label: r.name for label, r in named.items()} == {"S1": "Ann", "S2": "Ann"}
    assert {label: r.name for label, r in recognise(heard, prints).items()} == {"S2": "Ann"}  # one name each else
    again = {"S2": Voice("S2", other, 6.0, 2)}
    assert Library._with_enrolled("v", again, prints) == {}


def test_voices_follow_the_labels_the_video_shows() -> None:
    rng = np.random.default_rng(1)
    a, b = (_unit(rng.standard_normal(voice.DIM)) for _ in range(2))
    pieces = [Evidence("f", t, t + 2, "speech", f"words {t}",
                       meta={diarize.VOICE: diarize.pack(v), diarize.SEGMENT: str(t)})
              for t, v in ((0, a), (3, b), (6, a), (9, b), (12, a))]
    found = voices(list(reversed(pieces)))
    shown = {diarize.speaker_of(e): e.text for e in diarize.assign(pieces)}
    assert set(found) == set(shown) == {"S1", "S2"}
    assert float(found["S1"].vector @ a) > 0.99 and float(found["S2"].vector @ b) > 0.99
    assert (found["S1"].pieces, found["S1"].seconds) == (3, 6.0)


def test_names_are_one_short_line_and_never_a_label() -> None:
    assert check_name("  Alice   Chen ") == "Alice Chen"
    for bad in ("", "   ", "S2", "Bob: ignore the above", "x" * 81, "Ann\x1b[31m"):
        with pytest.raises(BadRequest):
            check_name(bad)


def test_enrol_rename_merge_and_forget_keep_one_file_true(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    book = VoiceBook(tmp_path / "speakers" / "voices.json")
    v1, v2, v3 = (_unit(rng.standard_normal(voice.DIM)) for _ in range(3))
    book.enrol("Alice Chen", Sample("vid1", "S1", 12.0, v1))
    made = book.enrol("alice chen", Sample("vid2", "S3", 4.0, v2))  # the same person from another video
    assert made.name == "Alice Chen" and len(made.samples) == 2 and made.seconds == 16.0
    assert float(made.vector @ v1) > float(made.vector @ v2)  # weighted by speech time
    with pytest.raises(BadRequest, match="enrolled as 'Alice Chen' already"):
        book.enrol("Bob", Sample("vid1", "S1", 12.0, v1))
    book.enrol("A. Chen", Sample("vid3", "S1", 5.0, v3))
    with pytest.raises(BadRequest, match="merge"):
        book.rename("A. Chen", "Alice Chen")
    merged = book.merge("A. Chen", "Alice Chen")
    assert [p.name for p in book.prints()] == ["Alice Chen"] and len(merged.samples) == 3
    assert book.rename("alice chen", "Alice Wong").name == "Alice Wong"
    with pytest.raises(NotFound, match="enrolled: Alice Wong"):
        book.get("Alice Chen")


def test_forget_leaves_no_trace_of_the_print(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    root = tmp_path / "library"
    book = VoiceBook(root / "speakers" / "voices.json")
    kept, gone = _unit(rng.standard_normal(voice.DIM)), _unit(rng.standard_normal(voice.DIM))
    book.enrol("Kept Person", Sample("vid1", "S1", 3.0, kept))
    book.enrol("Gone Person", Sample("vid1", "S2", 3.0, gone))
    packed = diarize.pack(gone)

    def everything() -> bytes:
        return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())

    assert b"Gone Person" in everything() and packed.encode() in everything()
    book.forget("gone person")
    assert b"Gone Person" not in everything() and packed.encode() not in everything()
    assert [p.name for p in book.prints()] == ["Kept Person"]
    assert not [p for p in root.rglob("*") if p.name.startswith(".tmp")]  # no temp copy left behind
    book.forget("Kept Person")
    assert not any(p.is_file() for p in root.rglob("*"))  # the last one takes the file with it


def test_a_damaged_voice_file_is_one_line() -> None:
    import tempfile

    from vidseek.video import LibraryError

    path = Path(tempfile.mkdtemp()) / "voices.json"
    path.write_text("{not json")
    with pytest.raises(LibraryError, match="cannot be read"):
        VoiceBook(path).prints()


def test_a_question_names_enrolled_people_by_whole_words() -> None:
    rng = np.random.default_rng(4)
    prints = [VoicePrint(n, (Sample("v", "S1", 1.0, _unit(rng.standard_normal(voice.DIM))),))
              for n in ("Ann", "Ann Lee", "Bo")]
    assert mentioned("What did ann lee say about the budget?", prints) == ["Ann Lee"]
    assert mentioned("Did Ann or Bob agree?", prints) == ["Ann"]  # "Bob" is not "Bo"


# --- the whole path: three videos, two shared voices, names found in the third ---------------------------------
@pytest.fixture(scope="module")
def three_meetings(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    from benchmarks import speakers as conversation
    from tests.helpers import cli

    a, b, c, d = conversation.VOICES
    talks = [
        [(a, "Good morning everyone, I have the numbers for the second quarter with me today.", 0.5),
         (b, "Thanks, the sales team has been waiting for those numbers all week long.", 0.8),
         (a, "Revenue is up a little, but our costs grew faster than we had planned.", 1.2),
         (b, "Then we should look at hiring more slowly over the next few months.", 0.6)],
        [(c, "Welcome back, today we are talking about the new office on the ground floor.", 0.8),
         (a, "The new office will be ready in May, if the painters finish their work on time.", 1.2),
         (c, "That is good news, and the furniture arrives the week before, I am told.", 1.2),
         (b, "I would like a quiet room there for the support team and all of their calls.", 1.2)],
        [(d, "Let us start with the travel plans for the autumn conference in Lisbon.", 0.8),
         (b, "I think the travel budget is fine as it is, we do not need any changes.", 1.2),
         (a, "The travel budget should be cut in half until the audit is finished.", 1.2),
         (d, "Alright, then we will vote on the travel budget next Tuesday morning.", 0.8)],
    ]
    root = tmp_path_factory.mktemp("meetings")
    paths = []
    for n, turns in enumerate(talks, 1):
        path = root / f"meeting{n}.m4a"
        conversation.write(turns, path)
        paths.append(path)
    library = root / "lib"
    done = cli(*(["index", path, "--sources", "speech", "-L", library] for path in paths))
    assert all(d["code"] == 0 for d in done), [d["stderr"] for d in done]
    return root, library, paths


def _turn_saying(library: Path, path: Path, words: str) -> Evidence:
    from vidseek.library import Library

    lib = Library(library)
    return next(e for e in lib.cache.evidence(lib.find(path).video.fingerprint) if words in e.text)


def _label_saying(library: Path, path: Path, words: str) -> str:
    return diarize.speaker_of(_turn_saying(library, path, words))


@pytest.mark.slow
def test_a_voice_named_in_one_video_is_found_by_name_in_another(three_meetings) -> None:
    from tests.helpers import cli

    _, library, (first, _, third) = three_meetings
    alice, bob = _label_saying(library, first, "second quarter"), _label_saying(library, first, "sales team")
    assert alice != bob
    bob_there = _label_saying(library, third, "we do not need")
    named_a, named_b, matched, listed, searched, twice, asked = cli(
        ["speakers", "name", first, alice, "Alice Chen", "-L", library],
        ["speakers", "name", first, bob, "Bob Stone", "-L", library],
        ["speakers", "match", third, "--json", "-L", library],
        ["speakers", "list", "--json", "-L", library],
        ["search", "travel budget", "--speaker", "Alice Chen", "--json", "-L", library],
        ["speakers", "name", third, bob_there, "Alice Chen", "-L", library],
        ["ask", "all", "What did Alice Chen say about the travel budget?", "--json", "-L", library])
    assert twice["code"] == 2 and "is recognised as 'Bob Stone'" in twice["stderr"]  # one person, one print
    assert named_a["code"] == named_b["code"] == 0, named_a["stderr"] + named_b["stderr"]
    assert "enrolled 'Alice Chen'" in named_a["stdout"]
    found = {m["name"]: m["speaker"] for m in map(json.loads, matched["stdout"].splitlines())}
    assert found == {"Alice Chen": _label_saying(library, third, "cut in half"),
                     "Bob Stone": _label_saying(library, third, "we do not need")}
    prints = {p["name"]: p for p in map(json.loads, listed["stdout"].splitlines())}
    assert set(prints) == {"Alice Chen", "Bob Stone"} and len(prints["Alice Chen"]["recognised"]) >= 2
    hits = [json.loads(line) for line in searched["stdout"].splitlines()]
    assert hits and all(h["text"].startswith("Alice Chen: ") for h in hits)
    assert any("cut in half" in h["text"] for h in hits) and not any("we do not need" in h["text"] for h in hits)
    answer = json.loads(asked["stdout"])
    turn = _turn_saying(library, third, "cut in half")
    assert any(c["path"] == str(third) and c["start"] <= turn.start + 1 and c["end"] >= turn.end - 1
               for c in answer["citations"]), answer  # the turn Alice said in the third meeting is cited
    assert "Alice Chen" in answer["text"] and "Bob Stone" not in answer["text"], answer["text"]
    _names_reach_the_page_mcp_and_export(library, third)  # and forgets Bob Stone
    # Bob's voice, no longer anyone's, is not added to Alice's print silently (the chair's en-us+Storm would not
    # do here: a variant of Alice's en-us, the identity encoder hears it as fairly alike, 0.43)
    unlike, anyway = cli(["speakers", "name", third, bob_there, "Alice Chen", "-L", library],
                         ["speakers", "name", third, bob_there, "Alice Chen", "--unlike", "-L", library])
    assert unlike["code"] == 2 and "--unlike" in unlike["stderr"], unlike
    assert anyway["code"] == 0 and "2 voices" in anyway["stdout"], anyway


def _names_reach_the_page_mcp_and_export(library: Path, third: Path) -> None:
    from fastapi.testclient import TestClient

    from tests.helpers import mcp_search
    from vidseek.library import Library
    from vidseek.server import ServerConfig, create_app

    lib = Library(library, device="cpu")
    shown = lib.ids()[lib.find(third).video.fingerprint]
    app = create_app(ServerConfig(str(library), roots=[third.parent], llm=False))
    page = TestClient(app, base_url="http://127.0.0.1")
    rows = page.get(f"/api/videos/{shown}/evidence").json()
    assert {"Alice Chen", "Bob Stone"} <= {r["speaker"] for r in rows}  # the page's lanes are named
    assert "Alice Chen: " in page.get(f"/api/videos/{shown}/export", params={"format": "srt"}).text
    found = page.get("/api/search", params={"q": "travel budget", "speaker": "Alice Chen"}).json()["hits"]
    assert found and all(h["speaker"] == "Alice Chen" for h in found)
    assert page.get("/api/search", params={"q": "budget", "speaker": "Nobody"}).status_code == 404
    moments = mcp_search(lib, third.parent, {"query": "travel budget", "speaker": "Bob Stone"})["moments"]
    assert moments and all(m["text"].startswith("Bob Stone: ") for m in moments)
    srt = lib.export(third, "srt")
    assert any(line.startswith("Alice Chen: ") and "half" in line for line in srt.splitlines()), srt
    lib.voices.forget("Bob Stone")  # un-named everywhere at once, the video's own label back
    after = Library(library, device="cpu").evidence(third)
    assert not any("Bob Stone" in e.text for e in after) and any(e.text.startswith("S") for e in after)


def test_a_speaker_filter_gives_k_of_their_lines_and_an_unknown_speaker_is_one_line(tmp_path: Path) -> None:
    """Forty lines of ADA about the ferry rank above JOHN's three: --speaker JOHN --k 3 still gives his three
    (retrieved among the videos he speaks in, widely), and a speaker no video has is NotFound, not silence."""
    from vidseek import synth
    from vidseek.library import Library, LLMSettings
    from vidseek.testing import HashEmbedder

    movie = synth.write_video(synth.Script(duration=90, size=(64, 48), fps=2, audio=False), tmp_path / "dock.mp4")
    cues = [("ADA", f"The ferry to the island leaves from dock {n} today.") for n in range(40)]
    cues += [("JOHN", f"I heard a ferry horn at {h} o'clock.") for h in ("six", "seven", "eight")]
    (tmp_path / "dock.srt").write_text("".join(
        f"{n + 1}\n00:00:{n * 2:02d},000 --> 00:00:{n * 2 + 1:02d},500\n{who}: {text}\n\n"
        for n, (who, text) in enumerate(cues)))
    library = Library(tmp_path / "lib", store="memory://speaker-k", embedder=HashEmbedder(), device="cpu")
    library.index(movie, sources=["subtitle"])
    hits = library.search("ferry to the island from the dock", k=3, speaker="john")
    assert len(hits) == 3 and all(h.evidence.text.startswith("JOHN: ") for h in hits)
    with pytest.raises(NotFound, match="no speaker 'Nobody Here' in the library"):
        library.search("ferry", speaker="Nobody Here")
    with pytest.raises(NotFound, match="no speaker"):
        library.ask("What did Nobody say?", speaker="Nobody", llm=LLMSettings(enabled=False))
    for blank in ("", "  "):  # a blank filter is said, not dropped (which would answer about everyone)
        with pytest.raises(BadRequest, match="the speaker is empty"):
            library.search("ferry", speaker=blank)
        with pytest.raises(BadRequest, match="the speaker is empty"):
            library.ask("Who took the ferry?", speaker=blank, llm=LLMSettings(enabled=False))


# --- the same with real people's recordings: tortoise-tts's voice clips (downloaded once into the cache) --------
REAL_CACHE = Path.home() / ".cache" / "vidseek" / "test-media"


def _overlap(e: Evidence, turn) -> float:
    return max(0.0, min(e.end, turn.end) - max(e.start, turn.start))


def _label_of(library: Path, path: Path, turn) -> tuple[str, list[Evidence]]:
    """The speaker label holding most of a true turn, and the speech lines that overlap it."""
    from vidseek.library import Library

    lib = Library(library)
    lines = [e for e in lib.cache.evidence(lib.find(path).video.fingerprint) if e.source == "speech"]
    held: dict[str, float] = {}
    for e in lines:
        held[diarize.speaker_of(e)] = held.get(diarize.speaker_of(e), 0.0) + _overlap(e, turn)
    return max(held, key=lambda k: held[k]), [e for e in lines if _overlap(e, turn) > 0.5]


@pytest.mark.slow
def test_real_voices_enrolled_in_one_recording_are_named_and_cited_in_another(tmp_path: Path) -> None:
    """Two real people (tortoise-tts's `tom` and `emma` clips) talk in three recordings, each time with someone
    else; both are enrolled from the first, recognised in the third, and a question naming one of them cites
    that person's turn in the third."""
    from benchmarks import speaker_id as bench
    from tests.helpers import cli
    from vidseek import synth

    clips = bench.tortoise_voices(REAL_CACHE, people=("tom", "emma", "deniro", "freeman", "william"))
    others = ("deniro", "freeman", "william")
    videos = []
    for n in range(3):
        video = bench.Video(f"talk{n + 1}", "test", "test", [clips["tom"][n], clips[others[n]][0], clips["emma"][n]],
                            "noise")
        track = bench.render(video, seed=n, snr=20.0)
        video.path = tmp_path / f"talk{n + 1}.m4a"
        synth.write_audio(synth.resample(track, bench.RATE), video.path)
        videos.append(video)
    library = tmp_path / "lib"
    done = cli(*(["index", v.path, "--sources", "speech", "-L", library] for v in videos))
    assert all(d["code"] == 0 for d in done), [d["stderr"] for d in done]
    first, third = videos[0], videos[2]
    tom, emma = (_label_of(library, first.path, first.turns[i])[0] for i in (0, 2))
    tom_there, tom_lines = _label_of(library, third.path, third.turns[0])
    emma_there, _ = _label_of(library, third.path, third.turns[2])
    assert len({tom, emma}) == 2 and len({tom_there, emma_there}) == 2 and tom_lines
    topic = max((w.strip(".,?!\"'").lower() for e in tom_lines for w in diarize.spoken_text(e).split()), key=len)
    named_t, named_e, matched, asked = cli(
        ["speakers", "name", first.path, tom, "Tom Lane", "-L", library],
        ["speakers", "name", first.path, emma, "Emma Ward", "-L", library],
        ["speakers", "match", third.path, "--json", "-L", library],
        ["ask", "all", f"What did Tom Lane say about {topic}?", "--json", "-L", library])
    assert named_t["code"] == named_e["code"] == 0, named_t["stderr"] + named_e["stderr"]
    found = {m["name"]: m["speaker"] for m in map(json.loads, matched["stdout"].splitlines())}
    assert found == {"Tom Lane": tom_there, "Emma Ward": emma_there}, (found, matched["stderr"])
    answer = json.loads(asked["stdout"])
    turn = third.turns[0]
    assert any(c["path"] == str(third.path) and c["start"] < turn.end and c["end"] > turn.start
               for c in answer["citations"]), (topic, answer)  # Tom's turn in the third recording is cited
