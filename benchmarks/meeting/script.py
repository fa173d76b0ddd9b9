# ruff: noqa: E501  (the script is prose: one spoken turn per line)
"""The meeting, written by hand: a launch review for the Beacon 2 bike light, four people, six slides.

Spoken lines say numbers and dates in words (as people do, and so every engine reads them the same way);
slides write them as figures. Some facts are only on a slide, some only spoken, some both. Ingrid asks to
take marketing before firmware, so the agenda slide and the order the topics come in differ.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """A participant and the voice that speaks for them."""

    key: str
    name: str
    role: str
    engine: str  # espeak-ng | flite | festival | piper (vidseek.synth.tts)
    voice: str = ""


@dataclass(frozen=True)
class Line:
    """One turn of speech. `section` names the slide on screen while it is said."""

    id: str
    speaker: str
    text: str
    section: str


@dataclass(frozen=True)
class Slide:
    """A slide, shown from the first line of its section until the next slide."""

    id: str
    title: str
    bullets: tuple[str, ...]


PEOPLE = (
    Person("marcus", "Marcus Bell", "product lead, chairing", "piper"),
    Person("priya", "Priya Nair", "finance", "festival"),
    Person("owen", "Owen Castillo", "engineering", "flite", "rms"),
    Person("ingrid", "Ingrid Larsen", "marketing", "espeak-ng", "en-us+f3"),  # the robotic, hard case
)

SLIDES = (
    Slide("title", "Beacon 2 Launch Review", ("Product steering meeting", "Thursday 6 February",
                                              "Room 4B, Rotterdam office")),
    Slide("agenda", "Agenda", ("1. Launch date", "2. Budget", "3. Firmware and testing", "4. Marketing plan",
                               "5. Retail partners", "6. Decisions and actions")),
    Slide("date", "Launch date", ("Planned launch: 3 March", "Label retest: 24 February",
                                  "Proposed launch: 14 March", "Packaging: Kessler Print, delivered")),
    Slide("budget", "Launch budget", ("Total: $180,000", "Spent to date: $41,000", "Marketing request: $80,000",
                                      "In-store displays: $38,000", "Contingency: $15,000")),
    Slide("marketing", "Marketing plan", ("Beta testers: 250", "Feedback received: 110",
                                          "Launch video: 90 seconds", "Creators: 12 cycling channels",
                                          "Press embargo lifts: 10 March")),
    Slide("firmware", "Firmware and testing", ("Version 1.4 release candidate", "Open bugs: 3 (1 critical)",
                                               "Flash mode battery life: 11 hours", "Drain test: 5 nights")),
    Slide("retail", "Retail partners", ("CycleHub: 140 stores, signed", "Velo Depot: 60 stores, signed",
                                        "Spoke and Chain: 35 stores, open", "Launch stock: 20,000 units")),
    Slide("decisions", "Decisions", ("Launch moves to 14 March", "Marketing $72,000, no print ads",
                                     "Wider strap in every box", "Spoke and Chain: 60 days for 2,000+ units",
                                     "Next review: 27 February")),
)

_SCRIPT = """
title marcus intro.welcome | Good morning, everyone, and thanks for joining the Beacon two launch review. With me are Priya from finance, Owen from engineering, and Ingrid from marketing.
title priya intro.priya | Morning, Marcus. It's good to finally have everyone in one room.
title owen intro.owen | Hi all. I brought the results from the test lab, so I can answer questions about those.
title ingrid intro.ingrid | Good morning. Just so you know, I have a hard stop at half past ten today.
title marcus intro.noted | Noted, Ingrid. We'll try to keep it short.
title marcus intro.lens | Before we start, congratulations to Owen's team on the new lens. The samples look great.
title owen intro.thanks | Thank you. The team worked very hard on it.
agenda marcus intro.agenda | Let me put the agenda up. We'll go through the launch date, the budget, the firmware, the marketing plan and the retail partners, and then we agree on the actions.
date marcus date.open | Let's start with the date. Our plan was to launch on March third. Owen, can we still make that?
date owen date.problem | I'm afraid not. The certification lab rejected our battery warning label, because the text was too small. We had to reprint it, and the retest is booked for February twenty fourth.
date ingrid date.packaging | Is the packaging part of the problem as well?
date owen date.boxes | No, the boxes from Kessler Print arrived last week. Packaging is fine.
date marcus date.labels | And are the new labels printed already?
date owen date.printed | Yes. The first batch arrived on Monday, and the rest come next week.
date marcus date.propose | So what date would you propose instead?
date owen date.fourteenth | March fourteenth. That leaves one week after the retest to get units into the stores.
date priya date.week | Do the stores really need a full week?
date owen date.shelves | They do. CycleHub told us they need five working days to put units on the shelves.
date priya date.cost | Finance can live with the fourteenth. The delay costs us roughly six thousand dollars in extra warehouse fees.
date ingrid date.ingrid | Marketing is fine with it too, as long as the date doesn't move again.
date marcus date.decide | Good. Then it's decided. The launch moves to March fourteenth.
budget marcus budget.open | Next, the budget. Priya, where do we stand?
budget priya budget.total | The total launch budget is one hundred and eighty thousand dollars. We have spent forty one thousand so far, mostly on tooling for the new lens.
budget priya budget.tooling | The good news is that the lens tooling came in four thousand dollars under the quote.
budget marcus budget.good | Good news for once.
budget priya budget.request | Marketing has asked for eighty thousand dollars. I can approve seventy-two thousand dollars, and the rest stays in the contingency fund.
budget ingrid budget.ingrid | Seventy two thousand works, if we drop the magazine adverts and put everything into online video.
budget owen budget.owen | Print never brought us many sales anyway.
budget marcus budget.contingency | And where does that leave the contingency?
budget priya budget.reserve | It is fifteen thousand today. With the eight thousand that marketing doesn't get, it rises to twenty three thousand.
budget marcus budget.decide | Agreed. Marketing gets seventy two thousand, and there will be no print advertising this time.
marketing ingrid reorder.ask | Marcus, since I have to leave early, could we take marketing before firmware?
marketing marcus reorder.ok | Sure. Owen, you don't mind waiting a few minutes? Fine. Ingrid, go ahead.
marketing ingrid mkt.testers | In total, two hundred and fifty beta testers signed up through the newsletter, and one hundred and ten of them have sent feedback so far.
marketing marcus mkt.liked | What did the testers like?
marketing ingrid mkt.liked.answer | Mostly the brightness. Several people said it is the brightest light they have owned, and they love the magnetic charger.
marketing ingrid mkt.complaint | The most common complaint is that the mount is hard to fit on thick handlebars, especially on electric bikes.
marketing ingrid mkt.campaign | For the campaign we are working with twelve cycling channels, and the launch video will be ninety seconds long.
marketing marcus mkt.paid | Are the channels paid?
marketing ingrid mkt.fee | Eight of them get a flat fee, and the other four receive free lights instead.
marketing marcus mkt.live | When does the video go live?
marketing ingrid mkt.morning | On launch morning, at eight o'clock, together with the newsletter.
marketing marcus mkt.who | And who keeps the testers informed between now and the launch?
marketing ingrid mkt.daniel | That will be Daniel from my team. He will email the whole group every Monday until launch day.
marketing ingrid mkt.bye | That's all from me. I'll drop off now. Please send me the notes.
firmware marcus fw.open | Thanks, Ingrid. Owen, over to you for the firmware.
firmware owen fw.status | Firmware version one point four is now a release candidate. We have three open bugs, and only one of them is serious.
firmware owen fw.bug | Sometimes the light stays on after the bike is parked, so the battery is flat the next morning.
firmware owen fw.fix | I will have a fix ready by February twentieth, and Hana from quality assurance will run the overnight drain tests.
firmware marcus fw.confident | How sure are you about the twentieth?
firmware owen fw.cause | Fairly sure. The cause is a timer that never resets, so the fix itself is small. The other two bugs are cosmetic.
firmware owen fw.rain | We also ran the rain test last week. The light survived two hours under the spray without any problem.
firmware priya fw.recert | Does the fix need another certification?
firmware owen fw.nocert | No. Firmware changes don't need a new certificate. Only the label did.
firmware marcus fw.mount | What can we do about the mount complaint Ingrid raised?
firmware owen fw.strap | We could put a wider rubber strap in the box. It costs us forty cents per unit.
firmware priya fw.cost | Forty cents on twenty thousand units is eight thousand dollars. That fits inside the contingency fund.
firmware marcus fw.decide | Then let's do it. Every box ships with the wider strap.
retail marcus retail.open | Last topic, the retail partners. Priya, how are the contracts going?
retail priya retail.signed | CycleHub and Velo Depot have both signed. Spoke and Chain is still negotiating. They want sixty days to pay instead of thirty.
retail marcus retail.accept | Can we accept sixty days?
retail priya retail.cond | Yes, but only if they order at least two thousand units for the launch.
retail marcus retail.owner | That sounds fair. Priya, please take ownership of the Spoke and Chain contract, and try to close it before the end of February.
retail priya retail.ok | Will do. I'll send them the revised terms tomorrow morning.
retail owen retail.owen | Once they sign, I need the final store list by March first, so I can plan the shipments.
retail marcus retail.online | What about online sales?
retail priya retail.webshop | Our own web shop opens on the same day, with a first batch of five hundred units.
retail marcus retail.velo | Anything special for Velo Depot?
retail priya retail.stands | They asked for display stands in every store, and the display budget already covers that.
decisions marcus wrap.recap | Let me read back the actions. Owen fixes the parking bug by February twentieth. Hana runs the drain tests. Daniel keeps the testers informed. And Priya, you close the Spoke and Chain deal.
decisions priya wrap.board | And Marcus, you are telling the board about the new launch date.
decisions marcus wrap.marcus | Right, I'll do that this afternoon. Anything else?
decisions owen wrap.owen | Nothing more from me.
decisions priya wrap.expenses | One reminder from me. Please send your expense reports by Friday.
decisions marcus wrap.thanks | Thanks, Priya.
decisions marcus wrap.end | Then we meet again in three weeks. Thanks, everyone.
"""


def _lines() -> tuple[Line, ...]:
    out = []
    for row in _SCRIPT.strip().splitlines():
        head, text = row.split(" | ", 1)
        section, speaker, line_id = head.split()
        out.append(Line(line_id, speaker, text.strip(), section))
    return tuple(out)


LINES = _lines()
