"""Words for seeded rows that read like a small creators' shop: names, posts, comments, products.

Sentences are written whole and combined, never strung from random words, so a demo page
reads as something a person wrote. Names that must be unique (usernames, team slugs,
product slugs within a team) come from the row's id through a fixed shuffle of every
combination, so they never collide, however many times the seeder appends; only past the
last combination does a number join the name. Every other choice takes ``rng`` so the same
seed writes the same text.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")

FIRST_NAMES = [
    "maya", "leo", "amara", "jonas", "priya", "theo", "sofia", "kenji", "nadia", "oscar",
    "lena", "samir", "clara", "tomas", "ines", "felix", "zara", "hugo", "mila", "rafael",
    "aisha", "noah", "freya", "diego", "yuki", "elias", "hana", "marco", "lucia", "omar",
    "greta", "arjun", "isla", "mateo", "nora", "idris", "elena", "kofi", "ruth", "sven",
]  # fmt: skip
LAST_NAMES = [
    "okafor", "lindqvist", "moreau", "tanaka", "silva", "novak", "brennan", "haddad", "kowalski",
    "ferreira", "nakamura", "osei", "petrov", "quinn", "rossi", "schmidt", "varga", "walsh",
    "abebe", "berg", "castillo", "dubois", "eriksen", "fontaine", "garcia", "hughes", "iyer",
    "jensen", "keller", "lopez", "mensah", "nilsson", "ortiz", "park", "reyes", "sato",
    "torres", "umar", "vidal", "weber",
]  # fmt: skip

STUDIO_WORDS = [
    "Harbor", "Meadow", "Ember", "Willow", "Summit", "Lantern", "Orchard", "Compass",
    "Beacon", "Juniper", "Marigold", "Driftwood", "Foxglove", "Tidewater", "Copperleaf", "Northlight",
]  # fmt: skip
STUDIO_KINDS = ["Studio", "Press", "Works", "Goods", "Print Shop", "Pottery", "Supply Co.", "Workshop"]
STUDIO_PITCHES = [
    "We make small-batch ceramics and prints in a shared studio by the river.",
    "Two friends, one risograph and far too many colours of ink.",
    "Hand-made goods for desks, kitchens and long walks.",
    "We design everything in-house and print it a few streets away.",
    "A tiny workshop making things meant to last for years.",
    "Illustrated goods, printed on recycled paper and packed by hand.",
    "Slow-made homeware from a converted garage workshop.",
    "Bright, practical things for people who make things.",
]


@dataclass(frozen=True)
class Kind:
    """What a team sells: the noun, a plausible price range in dollars, and a sentence about it."""

    noun: str
    low: int
    high: int
    detail: str


KINDS = [
    Kind("mug", 18, 34, "Stoneware, glazed by hand, and it holds a generous 350 ml."),
    Kind("poster", 20, 45, "Printed on heavy 200 gsm recycled paper, A3, shipped rolled in a tube."),
    Kind("notebook", 12, 24, "A5, 120 dotted pages that lie flat, with a stitched spine."),
    Kind("tote bag", 16, 28, "Organic cotton canvas with long handles that fit over a coat."),
    Kind("sticker pack", 5, 9, "Six weatherproof vinyl stickers, happy on laptops and water bottles."),
    Kind("hoodie", 48, 75, "Heavyweight brushed cotton, printed by hand, in sizes XS to XXL."),
    Kind("art print", 25, 60, "A giclée print on cotton rag paper, signed and numbered."),
    Kind("cap", 22, 32, "Six-panel cotton cap with an embroidered front and a brass buckle."),
    Kind("enamel pin", 8, 14, "Hard enamel with gold plating and two rubber backs."),
    Kind("zine", 6, 12, "Twenty-eight risograph pages of drawings, notes and one long story."),
    Kind("candle", 18, 30, "Soy wax in a reusable glass, about 40 hours of burning."),
    Kind("desk lamp", 65, 140, "Powder-coated steel with a warm LED and a fabric cable."),
    Kind("scarf", 30, 55, "Soft merino wool, woven in a small mill, 180 cm long."),
    Kind("sketch kit", 28, 45, "A pocket sketchbook, two pencils, an eraser and a sharpener in a tin."),
]
FINISHES = [
    "Speckled", "Midnight", "Harbor", "Meadow", "Linen", "Terracotta", "Sunrise", "Fern",
    "Slate", "Coral", "Ochre", "Willow", "Cobalt", "Sand", "Pine", "Honey",
]  # fmt: skip
#: The colour each finish is drawn in (the seeder's product images).
FINISH_COLOURS = {
    "Speckled": "#d8cfc4", "Midnight": "#1f2a44", "Harbor": "#2f6f8f", "Meadow": "#7ba05b",
    "Linen": "#e9e0d2", "Terracotta": "#c4623f", "Sunrise": "#f2a65a", "Fern": "#4f7942",
    "Slate": "#5b6770", "Coral": "#ef7c6b", "Ochre": "#cc8e35", "Willow": "#9bb08a",
    "Cobalt": "#2e4fbf", "Sand": "#d9c29c", "Pine": "#2f5d50", "Honey": "#e0a526",
}  # fmt: skip

PLACES = ["the Saturday market", "the craft fair", "our studio", "the harbour festival", "a pop-up in town"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]

POST_TITLES = [
    "New {things} are in the shop",
    "Behind the scenes: making the {finish} {thing}",
    "Restocked: the {finish} {thing} is back",
    "Notes from {place}",
    "What we learned from our first hundred orders",
    "A new colour for the {thing}",
    "Studio update for {month}",
    "Meet {first}, our newest member",
    "Why we switched to recycled packaging",
    "See you at {place} this weekend",
    "Ten years of making {things}",
    "How a {thing} is made, start to finish",
    "Shipping times over the holidays",
    "A small price change, and why",
]
OPENINGS = [
    "It has been a busy few weeks in the studio.",
    "We have wanted to write this one for a while.",
    "Thank you to everyone who wrote to us last month.",
    "This started as a sketch on the back of an envelope.",
    "Some of you asked how we make our {things}, so here it is.",
    "Short update this time, with a few photos to follow.",
]
MIDDLES = [
    "The first batch came out of the kiln with a glaze we did not expect, and we loved it.",
    "We tried four suppliers before finding paper we were happy with.",
    "Every {thing} is checked by hand before it goes into its box.",
    "Most of the work happens before anything is printed: sketches, test runs, more sketches.",
    "{place_cap} was packed, and we sold out of {things} by noon.",
    "We now pack everything in recycled card and paper tape, with no plastic at all.",
    "Orders placed before Thursday still ship the same week.",
    "The {finish} {thing} took eleven attempts to get right.",
    "We are a small team, so replies can take a day or two, but we read every message.",
    "Prices stay the same for now, even though materials cost more this year.",
    "A few of you spotted a typo on the last zine; the reprint fixes it.",
    "We also gave the shop a tidy-up, so things should be easier to find.",
    "{first} joined us in {month} and has already redesigned half the shelves.",
    "Next up is a run of {things} in colours we have never tried before.",
]
CLOSINGS = [
    "As always, thank you for supporting small makers.",
    "Let us know in the comments what you would like to see next.",
    "More soon, and thanks for reading.",
    "If you have questions, leave a comment and we will answer.",
    "See you next time.",
]
COMMENTS = [
    "Love the new colours!",
    "Ordered two, one for me and one for my sister.",
    "Is the {thing} dishwasher safe?",
    "Great write-up, thanks for sharing the process.",
    "Will you be at the market again next month?",
    "The packaging on my last order was lovely.",
    "Mine arrived yesterday and it is even better in person.",
    "Any plans for a bigger size?",
    "Congratulations on the launch!",
    "I have been waiting for this restock for weeks.",
    "Such a good idea to switch to paper tape.",
    "Do you ship to Canada?",
    "The {finish} one is my favourite so far.",
    "Welcome to the team, {first}!",
    "Bought one at the fair, still using it every day.",
    "Beautiful work, as always.",
    "Could you do a post on how you pick colours?",
    "Thanks for answering my email so quickly.",
]


def person(uid: int) -> tuple[str, str, str]:
    """First name, last name and a username for user ``uid``: unique for every id."""
    first, last, round_ = _pick(uid, FIRST_NAMES, LAST_NAMES)
    username = f"{first}.{last}" + (str(round_ + 1) if round_ else "")
    return first.title(), last.title(), username


def team_name(tid: int) -> str:
    word, kind, round_ = _pick(tid, STUDIO_WORDS, STUDIO_KINDS)
    return f"{word} {kind}" + (f" {round_ + 1}" if round_ else "")


def team_pitch(rng: random.Random) -> str:
    return rng.choice(STUDIO_PITCHES)


def product(index: int, team_id: int) -> tuple[str, Kind, str]:
    """The ``index``-th product of team ``team_id``: its name (unique within the team), kind and finish.

    Each team starts at its own place in the shuffle, so two teams' first products differ.
    """
    finish, kind, round_ = _pick(index + 1 + (team_id * 53) % (len(FINISHES) * len(KINDS)), FINISHES, KINDS)
    name = f"{finish} {kind.noun}" + (f" no. {round_ + 1}" if round_ else "")
    return name, kind, finish


def product_description(name: str, kind: Kind, team: str, rng: random.Random) -> str:
    opening = rng.choice(
        [
            f"The {name.lower()}, designed and made by {team}.",
            f"Our {name.lower()}, one of the first things we ever made.",
            f"A {name.lower()}, made in small batches by {team}.",
        ]
    )
    return f"{opening} {kind.detail}"


def post(rng: random.Random) -> tuple[str, str]:
    """A post's title and body: two or three short paragraphs (an opening, a few sentences, a
    sign-off) about the same thing, person and place as the title."""
    topic = _topic(rng)
    middles = rng.sample(MIDDLES, k=rng.randint(2, 5))
    split = rng.randint(1, len(middles))
    paragraphs = [" ".join([rng.choice(OPENINGS), *middles[:split]]), " ".join(middles[split:]), rng.choice(CLOSINGS)]
    body = "\n\n".join(p.format(**topic) for p in paragraphs if p)
    return rng.choice(POST_TITLES).format(**topic), body


def comment(rng: random.Random) -> str:
    first = rng.choice(COMMENTS)
    if rng.random() < 0.3:
        first = f"{first} {rng.choice(COMMENTS)}"
    return first.format(**_topic(rng))


def _topic(rng: random.Random) -> dict[str, str]:
    """What a piece of text is about: one kind of thing, finish, place, month and person."""
    kind = rng.choice(KINDS)
    place = rng.choice(PLACES)
    return {
        "thing": kind.noun,
        "things": _plural(kind.noun),
        "finish": rng.choice(FINISHES),
        "place": place,
        "place_cap": place[0].upper() + place[1:],
        "month": rng.choice(MONTHS),
        "first": rng.choice(FIRST_NAMES).title(),
    }


def _plural(noun: str) -> str:
    return "scarves" if noun == "scarf" else f"{noun}s"


def _pick(number: int, firsts: list[A], seconds: list[B]) -> tuple[A, B, int]:
    """A distinct (first, second) pair for each ``number`` from 1, shuffled so neighbours differ,
    and how many times every pair has been used before (0 until all are taken)."""
    combinations = len(firsts) * len(seconds)
    index, round_ = (number - 1) % combinations, (number - 1) // combinations
    shuffled = (index * _step(combinations)) % combinations
    return firsts[shuffled % len(firsts)], seconds[shuffled // len(firsts)], round_


@functools.cache
def _step(combinations: int) -> int:
    """A stride coprime with ``combinations``: multiplying by it visits every index once per round."""
    return next(s for s in range(7919, 7919 + combinations) if math.gcd(s, combinations) == 1)
