"""What is asked about the film. Questions paraphrase what is said and shown; many need the speaker ("who
says it, and to whom"), what happened after what, the scenes in order, the ending, a sign or note on screen,
a picture nobody mentions, and a few things nobody says or shows (unanswerable).

Carriers name what holds the answer: a line by id, "card:ID" (a title card), "shot:ID" (an insert: a note,
a poster, a photo) or "scene:ID" (a scene's picture with its signs, for as long as it is on screen). The gold
spans are where the generator placed them. `keywords` (docs/eval.md) grade open questions and tell the
breakdown of a multiple-choice one what the evidence must hold. The first option is the right one; the
generator shuffles them by the seed.
"""

from __future__ import annotations

from benchmarks.meeting.questions import Ask

NEVER_SAID = "The film never says"

ASKS = (
    # who said it
    Ask("who-said", "Which character owns up to the mistake that let the dog escape?", ("k.blame",),
        (("leo",),), ("Leo", "Nora", "Frank", "Martha")),
    Ask("who-said", "Who says the dog had tried to get on board a bus?", ("s.seen", "s.name"),
        (("frank", "driver"),)),
    Ask("who-said", "Who suggests splitting up, one of them searching outside and the other making notices?",
        ("k.plan",), (("nora",),), ("Nora", "Leo", "Martha", "Sam")),
    Ask("who-said", "Which character rang the next station to warn them about the dog?", ("t.train", "t.next"),
        (("sam", "guard"),), ("Sam, the platform guard", "Frank, the bus driver", "Martha, the flower seller",
                              "Nora, from her office")),
    Ask("who-said", "Who mentions a vet visit, and how?", ("shot:note",),
        (("mum", "mother", "note"),), ("Their mother, in a note on the fridge", "Nora, on the phone to Leo",
                                       "Sam, at the station", "Martha, in the park"), needle="ocr"),
    # to whom
    Ask("to-whom", "Who tells someone that his sister should stop worrying, and whom is the speaker talking to?",
        ("p.flowers",), (("martha",), ("leo",))),
    Ask("to-whom", "Who remarks that the dog has never wandered so far alone, and to whom?", ("p.far", "p.which"),
        (("leo",), ("martha",))),
    Ask("to-whom", "Who hands over flowers in the film, and who are they meant for?", ("p.flowers",),
        (("martha",), ("nora", "sister")), ("Martha gives them to Leo for Nora", "Martha gives them to Nora for Leo",
                                            "Leo gives them to Martha for Nora", "Nora gives them to Martha")),
    Ask("to-whom", "Who is told, over the phone, to wait at the station?", ("o.meet",), (("leo",),),
        ("Leo", "Sam", "Martha", "Frank")),
    Ask("to-whom", "Who says the dog slept on someone during the journey home, and on whom?", ("n.lap",),
        (("leo",), ("nora",)), ("Leo says it slept on Nora", "Nora says it slept on Leo",
                                "Sam says it slept on Nora", "Leo says it slept on the Holloway guard")),
    Ask("to-whom", "Whom does Leo thank for telling him the dog headed to the park?", ("s.park", "s.thanks"),
        (("frank", "driver"),)),
    # what happened after
    Ask("after", "What happens when Nora phones the animal shelter?", ("o.try", "o.queue", "o.third"),
        (("busy",),), ("A recorded message says everyone is busy", "A volunteer says the dog was handed in",
                       "She leaves her number on an answering machine", "The line goes dead"),
        needle="speech"),
    Ask("after", "Where did the dog go once he reached the station?", ("t.train",), (("holloway",),)),
    Ask("after", "What does Leo do as soon as Martha has told him where the dog went?", ("p.call", "o.phone"),
        (("nora",),), ("He rings his sister", "He gets on the bus", "He goes home to fetch the posters",
                       "He waits by the pond")),
    Ask("after", "Of these, which comes up first in the film?", ("k.note", "shot:note"), (),
        ("Their mother's note", "The bus driver's offer", "The big bird", "The train to Holloway")),
    Ask("after", "Once they know the dog is safe, how long must they wait to travel to him?", ("t.next", "t.twenty"),
        (("20", "twenty"), ("minutes", "minute"))),
    # scenes
    Ask("scenes", "List the places where the film's chapters are set, in order.",
        ("card:one", "card:two", "card:three", "card:four", "card:five"),
        (("kitchen",), ("bus",), ("park",), ("office",), ("platform", "station")), needle="ocr"),
    Ask("scenes", "In which setting does Nora try to reach the animal shelter?", ("card:four", "o.try"),
        (("office",),), ("An office", "The kitchen", "A railway platform", "The park")),
    Ask("scenes", "How many numbered chapters does the film have?", ("card:six",), (("6", "six"),),
        ("6", "5", "4", "7"), needle="ocr"),
    Ask("scenes", "What is the fifth chapter called?", ("card:five",), (("platform",), ("3", "three"))),
    # ending
    Ask("ending", "How does the film end?", ("n.lap", "n.night", "shot:dog"), (("home", "back"),)),
    Ask("ending", "What does Leo promise at the end?", ("n.lock",), (("gate", "lock"),),
        ("The gate will not be left open again", "He will pay back the guard at Holloway",
         "He will take the dog to the vet", "He will ride the bus every day")),
    Ask("ending", "How do they plan to show their gratitude to the neighbour the next day?", ("n.cake",),
        (("cake",),), ("By baking her a cake", "By buying her sunflowers", "By putting up a new poster",
                       "By taking her on a train trip")),
    # on screen: the note, the poster, the signs
    Ask("on-screen", "According to the note left by their mother, when is the vet appointment?", ("shot:note",),
        (("thursday",), ("4",)), needle="ocr"),
    Ask("on-screen", "What telephone number does the lost-dog notice give?", ("shot:poster",), (("0142",),),
        needle="ocr"),
    Ask("on-screen", "What reward does the notice offer?", ("shot:poster",), (("50",),),
        ("50 pounds", "20 pounds", "100 pounds", "A box of biscuits"), needle="ocr"),
    Ask("on-screen", "Where is the bus in the second chapter going, going by its sign?", ("scene:street",),
        (("market",),), ("Market Square", "Holloway", "The railway station", "The park"), needle="ocr"),
    Ask("on-screen", "At what time does the next train to Holloway leave, as shown at the station?",
        ("scene:platform",), (("17:40", "17", "5:40"),), needle="ocr"),
    # pictures nobody mentions
    Ask("picture", "What kind of bird is shown in the park chapter?", ("shot:eagle",), (("eagle",),),
        ("An eagle", "A swan", "A pigeon", "A parrot"), needle="photo"),
    Ask("picture", "Which animals appear on screen between the station and the night at home?", ("shot:horses",),
        (("horse", "horses"),), needle="photo"),
    Ask("picture", "What is shown at the start of the park chapter, before anyone speaks?", ("shot:kites",),
        (("beach", "seashore", "shore", "sand", "sandbar", "sea"),),
        ("People flying kites over a beach", "A dog drinking from a pond", "A red bus stopping",
         "Horses in a field"), needle="photo"),
    # details: reasons and counts
    Ask("detail", "Why is there a deadline of six o'clock for finding the dog?", ("k.note", "k.pill", "shot:note"),
        (("pill", "medicine"),), ("He has to take his medicine", "The shelter closes then",
                                  "The last train leaves", "Their mother comes home")),
    Ask("detail", "What made the dog leave the park?", ("p.bird",), (("bird",),)),
    Ask("detail", "How many times has Nora called the shelter by the time she gives up?", ("o.third",),
        (("3", "third", "three"),), ("3", "2", "4", "12")),
    Ask("detail", "What was the dog given while he waited at the other station?", ("t.office",),
        (("water",), ("biscuit",)), ("Water and a biscuit", "A bath", "A new collar", "His pill")),
    # never said or shown
    Ask("not-said", "What colour is the dog's collar?", unanswerable=True, needle=""),
    Ask("not-said", "What is the name of the guard who looked after the dog at Holloway?", (), (),
        (NEVER_SAID, "Sam", "Martha", "Ruth"), unanswerable=True, needle=""),
    Ask("not-said", "How much did the train tickets cost?", unanswerable=True, needle=""),
)
