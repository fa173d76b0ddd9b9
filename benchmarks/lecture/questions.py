"""What is asked about the lecture. Questions paraphrase what is said and shown instead of copying it, and the
distractors are things the lecture does mention where possible (the slide's uncorrected figure, the outline's
order, the other askers).

The format is the meeting's (benchmarks.meeting.questions.Ask): carriers are line ids or "slide:ID", the
first option is the right one, `keywords` grade open questions and tell the breakdown of a multiple-choice
one what the evidence must hold.
"""

from __future__ import annotations

from benchmarks.meeting.questions import Ask

NOT_MENTIONED = "It was not mentioned"
ASKED = ("qa.nadia", "qa.tom", "qa.tom2", "qa.greg", "qa.victor")

ASKS = (
    # count
    Ask("count", "How many different people from the audience put a question to the speaker?",
        ASKED, (), ("4", "5", "3", "6")),
    Ask("count", "Of the newly planted trees, how many were lost?", ("qa.tom2", "qa.tom2.answer"),
        (("18", "eighteen"),), ("18", "120", "40", "42")),
    Ask("count", "How many families took care of one of the new trees?", ("pilot.residents", "qa.tom.answer"),
        (("40", "forty"),), ("40", "42", "18", "10")),
    # number
    Ask("number", "How many measuring devices were mounted around town?", ("measure.sensors", "slide:measure"),
        (("42", "forty two", "forty-two"),)),
    Ask("number", "What quantity of trees went into the ground for the trial?", ("pilot.plant", "slide:pilot"),
        (("120", "hundred and twenty", "hundred twenty"),)),
    Ask("number", "According to the speaker, roughly how much water can a big tree shift in a single hot day?",
        ("trees.litres",), (("400", "four hundred"), ("litres", "liters")),
        ("About 400 litres", "About 10 cubic metres", "About 52 litres", "About 120 litres")),
    # what someone answered
    Ask("answer", "What did the lecturer reply when asked whether foliage traps warmth after dark?",
        ("qa.nadia", "qa.nadia.answer"), (("quarter", "little", "slightly", "small", "0.25"),)),
    Ask("answer", "According to the answer given, who covered the irrigation costs in the first year?",
        ("qa.tom", "qa.tom.answer"), (("city",),),
        ("The city, with a water truck", "The forty households", "The parks department's volunteers",
         "A neighbouring town")),
    Ask("answer", "How did the lecturer respond to the idea of planting on rooftops instead?",
        ("qa.victor", "qa.victor.answer"), (("high", "pavement", "street", "building"),)),
    Ask("answer", "What is the subject of the next talk in the series?", ("qa.close",), (("river", "rivers"),)),
    # who
    Ask("who", "Which audience member wanted to know who funded the irrigation?", ("qa.tom",), (("tom",),),
        ("Tom", "Nadia", "Greg", "Victor")),
    Ask("who", "Who brought up vegetation on top of buildings?", ("qa.victor",), (("victor",),)),
    Ask("who", "Who spotted a problem with a number shown on screen?", ("qa.greg", "qa.correct"), (("greg",),),
        ("Greg", "Tom", "Nadia", "Ruth")),
    Ask("who", "Who presented the guest to the audience at the start?", ("intro.welcome", "intro.speaker"),
        (("ruth", "cole"),)),
    Ask("who", "Which questioner is a neighbour of the trial?", ("qa.nadia",), (("nadia",),),
        ("Nadia", "Victor", "Tom", "Greg")),
    # reason
    Ask("reason", "According to the talk, what makes towns warmer than their surroundings?", ("island.why",),
        (("stone", "brick", "asphalt", "materials"),),
        ("Hard surfaces store the day's sun and release it overnight", "Traffic on the routes to the station",
         "Trees evaporating water into the air", "Sensors hanging on warm lamp posts")),
    Ask("reason", "Why were the measuring devices attached to street lights?", ("measure.lamp",),
        (("own", "owns", "owned", "electricity", "power", "steal", "steals", "stolen", "theft", "reach"),)),
    Ask("reason", "Why did the speaker change the order of his talk?", ("trees.swap",), (("money", "cost", "costs"),),
        ("The trial results are clearer once the costs are known", "He was running short of time",
         "The host asked him to", "The pilot slide had a mistake on it")),
    Ask("reason", "What reason was given for preferring trees that tolerate a lack of rain?", ("act.species",),
        (("drier", "summers"),)),
    Ask("reason", "Why do warm nights in town matter, according to the lecturer?", ("island.health",),
        (("sleep",),),
        ("People cannot sleep, and older people suffer most", "The asphalt reaches fifty degrees",
         "Young trees die without water", "Narrow streets hide the sky")),
    # definition
    Ask("definition", "What did the speaker mean by the term 'sky view factor' he used for each location?",
        ("measure.svf",), (("sky",), ("see", "visible", "seen", "open", "hidden"))),
    Ask("definition", "What, in the lecturer's words, is the phenomenon the talk calls a heat island?",
        ("island.define",), (("city", "town"), ("warmer", "hotter")),
        ("A city that is warmer than the land around it", "A street whose asphalt heats up in full sun",
         "A neighbourhood where little of the sky can be seen", "A park that stays cooler than the streets")),
    Ask("definition", "What is transpiration, as explained in the talk?", ("trees.transp",),
        (("evaporate", "evaporates", "evaporating", "evaporation"),)),
    # correction of a figure shown on screen
    Ask("correction", "Taking the speaker's own correction into account, how much cooler was the planted street "
        "on a typical day?", ("slide:pilot", "qa.correct"), (("1.6", "one point six"),),
        ("1.6 °C", "2.6 °C", "0.25 °C", "7 °C")),
    Ask("correction", "Which figure on the slides did the lecturer say was wrong, and what should it have been?",
        ("slide:pilot", "qa.greg", "qa.correct"), (("2.6", "two point six"), ("1.6", "one point six"))),
    Ask("correction", "What does the 2.6-degree figure actually describe, according to the lecturer?",
        ("qa.correct",), (("hottest",),),
        ("The hottest single afternoon", "The mean over the summer", "The night-time gap under dense trees",
         "The difference between the centre and the countryside")),
    # order
    Ask("order", "What did the lecturer turn to right after describing shade and evaporation?",
        ("trees.swap", "costs.open"), (), ("What trees cost to plant and keep", "The Maple Street pilot",
                                           "How the temperatures were measured", "What cities can do now")),
    Ask("order", "What was the final audience question about?", ("qa.victor",), (),
        ("Green roofs instead of trees", "Who paid for watering", "Warm nights under thick foliage",
         "The cooling figure on a slide")),
    Ask("order", "Which of these came up first in the talk?", ("measure.svf",), (),
        ("How much sky can be seen from a street", "How much water a big tree moves",
         "What happens when watering is skipped", "Which places to plant first")),
    Ask("order", "Which part of the announced plan was moved to a later point?", ("open.outline", "trees.swap"),
        (("pilot", "maple"),)),
    # timing
    Ask("timing", "Roughly when in the recording is the floor opened to the audience?", ("qa.open",),
        timing_of="qa.open"),
    Ask("timing", "In what year did the trial street get its trees?", ("pilot.plant", "slide:pilot"),
        (("2019", "twenty nineteen"),)),
    Ask("timing", "At about what point does the speaker start giving advice to city councils?", ("act.open",),
        timing_of="act.open"),
    # on-screen (slide only)
    Ask("on-screen", "According to the slide, what does it cost to put in a single tree?", ("slide:costs",),
        (("1,200", "1200"),), needle="ocr"),
    Ask("on-screen", "How often did the devices record a value, going by the slide?", ("slide:measure",),
        (("10",), ("minutes", "minute")), ("Every 10 minutes", "Every hour", "Every week", "Every 3 minutes"),
        needle="ocr"),
    Ask("on-screen", "According to the first chart, how warm is the middle of town on a typical summer night?",
        ("slide:island",),
        (("24.3",),), ("24.3 °C", "17.8 °C", "20.6 °C", "7 °C"), needle="ocr"),
    Ask("on-screen", "What share of the trees were still alive after five years, per the slide on spending?",
        ("slide:costs",), (("85",),), needle="ocr"),
    Ask("on-screen", "On the trial's chart, how hot was the street without trees on the hottest afternoon?",
        ("slide:pilot",), (("35.1",),), ("35.1 °C", "32.5 °C", "52 °C", "24.3 °C"), needle="ocr"),
    # never said
    Ask("not-said", "Which kind of tree was planted along the trial street?", unanswerable=True, needle=""),
    Ask("not-said", "What did the network of measuring devices cost?", (), (),
        (NOT_MENTIONED, "1,200 euros", "850 euros", "250 euros"), unanswerable=True, needle=""),
    Ask("not-said", "At which university does Victor study?", unanswerable=True, needle=""),
)
