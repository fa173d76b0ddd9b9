# ruff: noqa: E501  (the script is prose: one beat per line)
"""The film, written by hand: "Biscuit", a short film in six chapters about a lost dog, five speaking parts.

Beats run in order: a title card, a chapter card before each scene, spoken lines over the scene's picture,
and inserts that cut away from it (a close-up of a note or a poster, a photo of a real animal or of kites)
with nobody speaking. People say numbers in words and call each other by name, so "who says it, to whom"
has an answer in the words; some facts are only on screen (the note, the poster, the bus and platform
signs) and some only in a picture (the eagle, the horses). One line is real recorded speech (an Asterisk
telephone prompt), heard when Nora rings the animal shelter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """A character and the voice that speaks for them."""

    key: str
    name: str
    role: str
    engine: str  # piper | festival | flite | kokoro | recording (benchmarks.film.voices)
    voice: str = ""


@dataclass(frozen=True)
class Beat:
    """One step of the film. kind: card (a title card: text), scene (the setting from here on: id), shot (a
    cut-away insert: id, text = what it shows), line (speech: speaker, text)."""

    kind: str
    id: str
    text: str = ""
    speaker: str = ""


PEOPLE = (
    Person("nora", "Nora Quinn", "the elder sister", "festival"),
    Person("leo", "Leo Quinn", "her younger brother", "piper"),
    Person("frank", "Frank", "the driver of the number 12 bus", "flite", "awb"),
    Person("martha", "Martha", "a neighbour who sells flowers in the park", "kokoro", "jf_alpha"),
    Person("sam", "Sam", "the guard on platform three", "kokoro", "jm_kumo"),
    Person("recording", "(recorded message)", "the animal shelter's telephone queue", "recording",
           "queue-periodic-announce"),
)

# the inserts: close-ups drawn with their text, and photos (darknet's samples) with what they show
SHOTS = {
    "note": "NORA - BISCUIT NEEDS HIS PILL AT 6\nVET ON THURSDAY AT 4 PM\nLOVE, MUM",
    "poster": "LOST DOG\nBISCUIT\nREWARD: 50 POUNDS\nCALL 555 0142",
    "kites": "people flying kites over a sandy beach by the sea",
    "eagle": "an eagle standing on a shore",
    "horses": "horses on a grassy plain below mountains",
    "dog": "a dog sitting beside a bicycle on a porch",
}
PHOTOS = {"kites": "kite.jpg", "eagle": "eagle.jpg", "horses": "horses.jpg", "dog": "dog.jpg"}

# what each scene's background shows in writing (signs that are part of the set)
SIGNS = {
    "street": "12 MARKET SQUARE",
    "platform": "PLATFORM 3\nNEXT TRAIN\n17:40 HOLLOWAY",
}

_FILM = r"""
card title | BISCUIT\nA SHORT FILM
card one | CHAPTER ONE: THE KITCHEN
scene kitchen
nora k.gate | Leo, the back gate is wide open. Have you seen Biscuit this morning?
leo k.leo | Not since breakfast, Nora. I let him into the garden at seven, and then I went upstairs to get dressed.
nora k.bowl | His bowl is still full. He never leaves his food, not even when the postman rings.
leo k.blame | I'm so sorry. I must have left the gate unlocked when I took the rubbish out.
nora k.plan | Sorry won't bring him back. You search the streets, and I'll go to the office and print some posters.
leo k.note | Wait, Mum left a note on the fridge. Have a look.
shot note
nora k.pill | Then we have to find him before six this evening. He can't miss that.
card two | CHAPTER TWO: THE NUMBER 12 BUS
scene street
leo s.ask | Excuse me, driver. Have you seen a small brown and white dog around here? My sister made these posters.
shot poster
frank s.seen | A little fellow with one white ear? He tried to climb onto my bus at the last stop, cheeky thing.
leo s.where | That's him! Which way did he go?
frank s.park | He ran off towards the park, chasing a boy with a red kite. Not ten minutes ago.
frank s.name | I'm Frank, by the way. I'll stick your poster in my window and keep an eye out all day.
leo s.thanks | Thank you, Frank. You've been a great help.
card three | CHAPTER THREE: THE PARK
scene park
shot kites
martha p.hello | Leo! Are you looking for your dog? He was here a moment ago, drinking from the pond.
leo p.which | Hello, Martha. Yes, he got out this morning. Which way did he go?
martha p.bird | He started barking at a great big bird above the trees, and then he ran after it, towards the railway station.
shot eagle
leo p.far | The station? He has never been that far from home on his own.
martha p.flowers | Take these sunflowers to your sister, Leo. And tell Nora from me that she shouldn't worry.
leo p.call | Thank you, Martha. I'll ring Nora and ask her to meet me at the station.
card four | CHAPTER FOUR: THE OFFICE
scene office
nora o.try | Let me try the animal shelter again. Maybe somebody has handed him in.
recording o.queue | All of our representatives are currently busy. Please stay on the line and your call will be answered by the next available representative.
nora o.third | Still busy. That's the third time I've rung them today.
leo o.phone | Nora, it's me. Martha saw Biscuit in the park, and she thinks he ran towards the station.
nora o.meet | The station? Leo, wait for me there. I'm leaving now, and I'll meet you on the platform.
card five | CHAPTER FIVE: PLATFORM THREE
scene platform
sam t.ask | Are you two looking for a dog? One came running along this platform about an hour ago.
nora t.yes | Yes! A brown and white dog with one white ear. Is he all right?
sam t.train | He's fine. But he jumped onto the train to Holloway before I could catch him, so I phoned ahead.
leo t.alone | He took a train? All by himself?
sam t.office | The guard at Holloway has got him in her office. She gave him a bowl of water and a biscuit.
nora t.next | A biscuit. Of course she did. Thank you so much, Sam. When does the next train go?
sam t.twenty | In twenty minutes, from this platform. I'll let her know that you are on your way.
shot horses
card six | CHAPTER SIX: HOME AT NIGHT
scene night
leo n.lap | Home at last, Nora. He slept on your lap the whole way back.
nora n.pill | And he had his pill at six, right on time. That guard at Holloway was so kind to him.
leo n.lock | I've put a new lock on the back gate. It won't happen again, I promise.
nora n.cake | Good. Tomorrow we'll bake a cake for Martha, and thank her properly for the flowers.
leo n.night | Goodnight, Biscuit. No more train rides for you.
shot dog
card end | THE END
"""


def _beats() -> tuple[Beat, ...]:
    out = []
    for row in _FILM.strip().splitlines():
        head, _, text = row.partition(" | ")
        words = head.split()
        if words[0] == "card":
            out.append(Beat("card", words[1], text.replace("\\n", "\n")))
        elif words[0] == "scene":
            out.append(Beat("scene", words[1], SIGNS.get(words[1], "")))
        elif words[0] == "shot":
            out.append(Beat("shot", words[1], SHOTS[words[1]]))
        else:
            out.append(Beat("line", words[1], text.strip(), words[0]))
    return tuple(out)


BEATS = _beats()
LINES = tuple(b for b in BEATS if b.kind == "line")
