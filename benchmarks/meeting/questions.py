"""What is asked about the meeting. Questions paraphrase what is said and shown instead of copying it, so a
retriever matching words is not enough; distractors are things the meeting does mention where possible.

Each question names its carriers: the lines (by id) or slides ("slide:ID") that hold its answer; the gold
spans are where the generator placed them. `keywords` (docs/eval.md) grade open questions, and tell the
breakdown of a multiple-choice one what the evidence must hold. The first option is the right one; the
generator shuffles them by the seed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ask:
    """One question before placement: its text, how it is graded, and what carries the answer."""

    task: str
    question: str
    carriers: tuple[str, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()
    options: tuple[str, ...] = ()  # right answer first; empty: an open question
    unanswerable: bool = False
    needle: str = "speech"
    timing_of: str = ""  # a line id: the options are minutes of the video, the right one holding that line


NOT_DISCUSSED = "It was not discussed"

ASKS = (
    # decision
    Ask("decision", "To which day was the product release pushed back?", ("date.fourteenth", "date.decide"),
        (("march",), ("14", "fourteenth"))),
    Ask("decision", "Which kind of advertising did the group agree to give up?", ("budget.ingrid", "budget.decide"),
        (("print", "magazine", "magazines"),)),
    Ask("decision", "What extra item is going to be packed with every unit sold?", ("fw.strap", "fw.decide"),
        (("strap",),), ("A wider mounting strap", "A magnetic charger", "A reprinted battery warning label",
                        "A display stand for the shop")),
    Ask("decision", "If the undecided retailer orders enough, what payment terms will it be given?",
        ("retail.signed", "retail.accept", "retail.cond"), (("60", "sixty"),),
        ("Sixty days to pay", "Thirty days to pay", "Five working days to pay", "Ninety days to pay")),
    # owner
    Ask("owner", "Which colleague is in charge of the night-long battery checks?",
        ("fw.fix", "wrap.recap"), (("hana", "hannah", "hanna", "anna"),)),
    Ask("owner", "Who has the job of sending regular updates to the people trying the light early?",
        ("mkt.daniel", "wrap.recap"), (("daniel",),)),
    Ask("owner", "Who is responsible for finalising the agreement with the retailer still haggling over terms?",
        ("retail.owner", "wrap.recap"), (("priya",),), ("Priya", "Owen", "Ingrid", "Daniel")),
    Ask("owner", "Who will let the directors know about the schedule change?", ("wrap.board", "wrap.marcus"),
        (("marcus",),), ("Marcus", "Priya", "Owen", "Hana")),
    # number
    Ask("number", "How much money does the marketing team end up with?", ("budget.request", "budget.decide"),
        (("72,000", "72000", "72 thousand", "seventy two thousand"),),
        ("$72,000", "$80,000", "$41,000", "$180,000")),
    Ask("number", "What is the overall sum available for the launch?", ("budget.total",),
        (("180,000", "180000", "180 thousand", "hundred eighty thousand"),)),
    Ask("number", "About how much will the later release add in storage charges?", ("date.cost",),
        (("6,000", "6000", "6 thousand", "six thousand"),)),
    Ask("number", "What does the extra accessory add to the cost of each light?", ("fw.strap", "fw.cost"),
        (("40", "forty"), ("cents", "cent")), ("40 cents", "8 dollars", "4 dollars", "90 cents")),
    Ask("number", "What is the smallest order the hesitant shop chain must place to get easier terms?",
        ("retail.cond",), (("2,000", "2000", "2 thousand", "two thousand"),)),
    # reason
    Ask("reason", "Why could the original release date not be kept?", ("date.problem",),
        (("label",),), ("The safety lab turned down the battery warning label",
                        "The boxes from the packaging supplier came late",
                        "The lens tooling went over its budget",
                        "The launch video was not finished")),
    Ask("reason", "What problem raised by early users led to a change in what goes in the box?",
        ("mkt.complaint",), (("handlebars", "handlebar"),)),
    Ask("reason", "Why was the order of the agenda changed?", ("intro.ingrid", "reorder.ask"),
        (("leave", "stop"),), ("The marketing lead had to go early", "The lab results were not ready yet",
                               "The board asked to hear about marketing first",
                               "Finance needed the marketing figures for the budget")),
    # order
    Ask("order", "Which subject was actually taken up straight after the money discussion?",
        ("reorder.ask", "mkt.testers"), (), ("The marketing plan", "Firmware and testing", "Retail partners",
                                             "The launch date")),
    Ask("order", "Which item was the last one covered before the actions were read back?",
        ("retail.open",), (), ("The shop partners and their contracts", "The firmware bugs",
                              "The trial users' feedback", "The spending so far")),
    Ask("order", "Of these, which came up first in the meeting?", ("date.cost",),
        (("6,000", "6000", "6 thousand", "six thousand"),),
        ("The cost of the delay", "The light staying on after parking", "The chains that have signed",
         "What the early users liked")),
    # timing
    Ask("timing", "When is the label due to be inspected again?", ("date.problem",),
        (("february",), ("24", "twenty fourth", "24th"))),
    Ask("timing", "By what date should the battery-drain bug be solved?", ("fw.fix", "wrap.recap"),
        (("february",), ("20", "twentieth", "20th"))),
    Ask("timing", "At about what point in the recording does the talk turn to the store chains?",
        ("retail.open",), timing_of="retail.open"),
    # on-screen (slide only)
    Ask("on-screen", "According to the budget slide, how much is reserved for displays in shops?",
        ("slide:budget",), (("38,000", "38000"),), needle="ocr"),
    Ask("on-screen", "From what date may journalists publish about the product, going by the marketing slide?",
        ("slide:marketing",), (("march",), ("10",)), needle="ocr"),
    Ask("on-screen", "How many shops does the biggest retail partner have, as listed on screen?",
        ("slide:retail",), (("140",),), ("140", "60", "35", "250"), needle="ocr"),
    Ask("on-screen", "When is the next review meeting, as the closing slide shows?", ("slide:decisions",),
        (("27",), ("february", "feb")), needle="ocr"),
    Ask("on-screen", "How long does the light run in flashing mode, per the firmware slide?", ("slide:firmware",),
        (("11",), ("hours", "hour")), ("11 hours", "5 hours", "2 hours", "90 minutes"), needle="ocr"),
    # count
    Ask("count", "How many people enrolled to try the light before launch?", ("mkt.testers",),
        (("250", "two hundred and fifty", "two hundred fifty"),), ("250", "110", "12", "500")),
    Ask("count", "How many software defects are still unresolved?", ("fw.status",), (("3", "three"),),
        ("3", "1", "2", "5")),
    Ask("count", "How many store chains have already put their name to a contract?", ("retail.signed",),
        (("signed",),), ("2", "1", "3", "4")),
    Ask("count", "How many video creators are part of the campaign?", ("mkt.campaign",), (("12", "twelve"),)),
    # not discussed
    Ask("not-discussed", "What shop price was agreed for the light?", unanswerable=True, needle=""),
    Ask("not-discussed", "Which courier firm will carry the lights to the shops?", (), (),
        (NOT_DISCUSSED, "Kessler Print", "Velo Depot", "CycleHub"), unanswerable=True, needle=""),
    Ask("not-discussed", "What did the group decide about selling the light in Canada?", unanswerable=True,
        needle=""),
)
