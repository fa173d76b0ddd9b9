# ruff: noqa: E501  (the script is prose: one spoken turn per line)
"""The lecture, written by hand: a public evening talk on trees and city heat, a host, a lecturer, four askers.

Ruth Cole (the host) introduces Professor Martin Brooks, who talks over nine slides and then takes questions
from Nadia, Tom (who asks twice), Greg and Victor. Spoken lines say numbers in words; slides write them as
figures, and some facts are only on a slide (the charts, the costs). Two things are there to be tracked over
time: the lecturer swaps two parts of his outline (costs before the pilot), and the pilot slide's average
cooling (2.6 degrees) is corrected aloud in the questions (1.6; 2.6 was the hottest afternoon). No tree
species, no price of the sensors and no askers' universities are ever named: the unanswerable questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.meeting.script import Line, Person


@dataclass(frozen=True)
class Slide:
    """A slide: a title, bullets, and optionally a horizontal bar chart of (label, value) with a caption."""

    id: str
    title: str
    bullets: tuple[str, ...]
    chart: tuple[tuple[str, float], ...] = ()
    chart_title: str = ""


PEOPLE = (
    Person("ruth", "Ruth Cole", "host, chairs the lecture series", "kokoro", "jf_alpha"),
    Person("martin", "Martin Brooks", "lecturer, urban climate group", "piper"),
    Person("nadia", "Nadia", "audience, lives near Maple Street", "festival"),
    Person("tom", "Tom", "audience, parks department", "flite", "rms"),
    Person("greg", "Greg", "audience", "flite", "awb"),
    Person("victor", "Victor", "audience, a student", "espeak-ng", "en-us+m3"),  # the robotic, hard case
)

LECTURER = "martin"
HOST = "ruth"
ASKERS = ("nadia", "tom", "greg", "victor")

SLIDES = (
    Slide("title", "Cooler Streets", ("What trees do for a hot city", "Prof. Martin Brooks, Urban Climate Lab",
                                      "City Science Evening Lectures, 14 May")),
    Slide("outline", "Outline", ("1. The urban heat island", "2. How we measured it", "3. How trees cool a street",
                                 "4. The Maple Street pilot", "5. Costs and upkeep", "6. What cities can do now")),
    Slide("island", "The urban heat island", ("Centre vs countryside: up to 7 °C warmer", "Largest gap at night"),
          (("Countryside", 17.8), ("Suburbs", 20.6), ("City centre", 24.3)), "Average July night, 2023 (°C)"),
    Slide("measure", "How we measured it", ("42 sensors on lamp posts, 3 m high", "A reading every 10 minutes",
                                            "Three summers: 2021 to 2023", "Bicycle runs on 3 routes")),
    Slide("trees", "How trees cool a street", ("Shade", "Evaporation from leaves"),
          (("Asphalt in sun", 52.0), ("Asphalt under trees", 34.0), ("Grass under trees", 29.0)),
          "Surface temperature at 3 pm (°C)"),
    Slide("costs", "Costs and upkeep", ("Planting one tree: 1,200 euros", "Watering: first 3 summers",
                                        "Alive after 5 years: 85%"),
          (("Soil pit", 850.0), ("Young tree", 250.0), ("Planting work", 100.0)), "Where the 1,200 euros go"),
    Slide("pilot", "The Maple Street pilot", ("120 trees planted, spring 2019", "Compared with Oak Street (no trees)",
                                              "Average cooling: 2.6 °C"),
          (("Oak Street", 35.1), ("Maple Street", 32.5)), "Hottest afternoon, 3 pm (°C)"),
    Slide("actions", "What cities can do now", ("Plant where people wait and walk",
                                                "Protect old trees: 1 old cools like 10 young",
                                                "Choose drought-tolerant species", "Lighter paving on squares")),
    Slide("questions", "Thank you", ("Questions welcome", "Coffee in the foyer afterwards")),
)

CORRECTED_SLIDE = "pilot"  # the slide whose average cooling (2.6) is corrected aloud (to 1.6) in qa.correct

_SCRIPT = """
title ruth intro.welcome | Good evening, everyone, and welcome to the last City Science lecture of the spring. My name is Ruth Cole, and I chair this series.
title ruth intro.speaker | Our guest tonight is Professor Martin Brooks. He leads the urban climate group at the university, and for three summers his team has been measuring how hot our streets get.
title ruth intro.floor | Martin will speak first, and afterwards there will be time for your questions. Martin, the floor is yours.
title martin open.thanks | Thank you, Ruth, and thank you all for coming out on such a warm evening.
title martin open.hook | Tonight I want to convince you that the cheapest air conditioner a city can buy is a tree.
outline martin open.outline | Here is the plan. First, what a heat island is. Then how we measured it, how trees cool a street, our pilot on Maple Street, what it all costs, and finally what a city can do right now.
island martin island.define | So, what is an urban heat island? It is simply a city that is warmer than the land around it.
island martin island.why | The reason is the materials. Stone, brick and asphalt soak up sunlight during the day, and they give that heat back slowly through the night. And there are few plants to cool things down.
island martin island.night | That is why the difference is largest after dark. On the hottest nights, the centre stayed up to seven degrees warmer than the fields outside town.
island martin island.health | And this matters for our health. When the nights don't cool down, people can't sleep, and the elderly suffer most of all.
measure martin measure.sensors | To measure all this, we fixed forty two small sensors to lamp posts all over the city.
measure martin measure.lamp | Why lamp posts? Because the city already owns them, they have electricity, and nobody steals a sensor that hangs out of reach.
measure martin measure.bike | We also rode the same routes by bicycle on hot evenings, with a thermometer on the handlebars, to fill the gaps between the sensors.
measure martin measure.svf | For every sensor we worked out one more number, the sky view factor. That is how much of the sky you can see from a spot in the street. One means open sky, zero means the sky is completely hidden.
measure martin measure.narrow | Narrow streets with tall buildings have a low sky view factor, and they hold on to their heat much longer at night.
trees martin trees.two | Now, how does a tree cool a street? In two ways.
trees martin trees.shade | The first is shade. On a July afternoon, asphalt in full sun reached fifty two degrees, and the asphalt under the trees was about eighteen degrees cooler.
trees martin trees.transp | The second is transpiration. A tree draws water up from the soil and lets it evaporate from its leaves, and evaporating water takes heat out of the air.
trees martin trees.litres | A large tree can move about four hundred litres of water on a hot day. That is a bathtub and a half, every single day.
trees martin trees.swap | I'm going to swap the next two parts of my outline. Let me talk about money first, because the pilot results make more sense once you know what a tree really costs.
costs martin costs.open | Most people think the tree is the expensive part. It isn't.
costs martin costs.soil | Most of the money goes into the ground. A street tree needs about ten cubic metres of loose soil under the pavement, or its roots can't spread and it stays small.
costs martin costs.water | The other big cost is water. For its first summers a young tree must be watered every week, and that is when most new trees die.
costs martin costs.fail | If you skip the watering, you lose about half of them. We saw exactly that in a neighbouring town.
pilot martin pilot.plant | Now, the pilot. In the spring of twenty nineteen, we planted one hundred and twenty trees along Maple Street.
pilot martin pilot.compare | Right next to it runs Oak Street. Same width, same houses, same traffic, but no trees. That gives us a fair comparison.
pilot martin pilot.residents | And the residents did something wonderful. Forty households adopted a tree each, and watered it through the dry months.
pilot martin pilot.chart | The chart shows the hottest afternoon of the whole study. As you can see, Maple Street was clearly cooler than its neighbour.
actions martin act.open | So what can a city do right now? Three things.
actions martin act.wait | First, plant where people wait and walk: bus stops, school yards, the routes to the station.
actions martin act.old | Second, protect the old trees you already have. One big old tree cools as much as ten young ones.
actions martin act.species | Third, choose species that cope with drought, because our summers are getting drier.
actions martin act.close | That's all from me. Thank you very much.
questions ruth qa.open | Thank you, Martin. We have time for a few questions. Please tell us your name first. Yes, in the front row.
questions nadia qa.nadia | Hello, I'm Nadia, and I live near Maple Street. Doesn't a thick roof of leaves keep the heat in at night, like a blanket?
questions martin qa.nadia.answer | It does, a little. Under dense trees the nights were about a quarter of a degree warmer. But the cooling during the day is many times larger, so the balance is clearly positive.
questions ruth qa.next | Next question, the gentleman by the window.
questions tom qa.tom | Hello, my name is Tom, and I work for the parks department. Who paid for all that watering?
questions martin qa.tom.answer | The city paid for the first summer, with a water truck. After that, the residents took over, the forty households I mentioned.
questions tom qa.tom2 | And how many of the trees didn't make it?
questions martin qa.tom2.answer | Eighteen of the hundred and twenty. Most of them died in the dry summer of twenty twenty two.
questions greg qa.greg | Greg here. On your pilot slide, the cooling was two point six degrees. Is that the average over the summer?
questions martin qa.correct | Ah, thank you, that is a mistake on my slide. Two point six is the hottest afternoon, the one in the chart. The average over the whole summer was one point six degrees. Please remember one point six.
questions victor qa.victor | My name is Victor, I am a student. Would green roofs not do the same job as trees?
questions martin qa.victor.answer | Green roofs are good for the building underneath, but they are too high up to cool the people down on the pavement. For the street itself, trees and shade do far more.
questions ruth qa.close | I'm afraid that's all we have time for. Thank you again, Martin, and thank you all for coming. Next month's lecture is about rivers in the city, and coffee is now served in the foyer.
"""


def _lines() -> tuple[Line, ...]:
    out = []
    for row in _SCRIPT.strip().splitlines():
        head, text = row.split(" | ", 1)
        section, speaker, line_id = head.split()
        out.append(Line(line_id, speaker, text.strip(), section))
    return tuple(out)


LINES = _lines()
