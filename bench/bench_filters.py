"""How fast the guideline filters check messages.

Builds a server with 1,000 phrase filters (made-up words) and 50 pattern filters, then checks realistic chat
lines (20 to 400 characters, from templates) and a few 4,000-character adversarial messages: long runs of one
letter, many near-misses of phrase prefixes, and bait for patterns that would backtrack in a backtracking
engine. Prints figures; asserts nothing.

Run: .venv/bin/python bench/bench_filters.py
"""

from __future__ import annotations

import random
import statistics
import time

from bot.domain.guidelines import FilterAction, FilterKind, FilterRule, FilterScope, FilterSet, normalize

SEED = 20240611
PHRASES = 1_000
PATTERNS = 50
MESSAGES = 5_000
ROUNDS = 40

CONSONANTS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"

# Ordinary chat lines of a support server. Most are plain; some carry emoji, curly quotes from phones,
# accents, numbers and times, as real chat does.
TEMPLATES = (
    "hey {name}, how are you doing today?",
    "I'm {feeling} about {thing}, honestly it's been a long week",
    "thanks for sharing that {name}, it really helped me feel less alone 💙",
    "can we start the circle at {hour}pm? I have work until {hour2}",
    "I pass this round, I'm not ready to talk about {thing} yet",
    "lol same. my {relation} keeps asking about {thing} and I just don't know what to say",
    "Today I noticed that I was {feeling} when {name} talked about {thing}. I think it reminded me of my "
    "{relation} and how we used to talk every Sunday before everything changed.",
    "worth reading if you have {minutes} minutes: https://example.com/articles/coping-with-stress",
    "I've been sober for {days} days now 🎉 one day at a time",
    "I’m {feeling} — the café with my {relation} was nice, it was naïve of me to worry so much",
    "ok",
    "same here",
    "that makes a lot of sense, thank you for listening",
    "I hear you {name}. It sounds like {thing} has been really heavy lately.",
    "good morning everyone! hope you all slept well",
    "does anyone else find it hard to ask for help? I always feel like I'm a burden",
    "see you all next week",
    "I'm going to step out for a bit, I need some air",
    "I really appreciate this group, you have no idea how much it helps",
    "my {relation} called today and we actually talked about {thing} without fighting",
)
WORDS = {
    "name": ("Sam", "Alex", "Priya", "José", "Mei", "Jordan", "Noor", "Chris"),
    "feeling": ("anxious", "hopeful", "tired", "grateful", "overwhelmed", "calm", "sad", "okay"),
    "thing": ("the move", "my job", "the diagnosis", "school", "money", "the holidays", "my health"),
    "relation": ("mum", "dad", "sister", "partner", "friend", "therapist", "grandma"),
}
CHAT_VOCABULARY = frozenset(
    normalize(" ".join(TEMPLATES + tuple(word for words in WORDS.values() for word in words))).split()
)


def make_word(rng: random.Random, syllables: int) -> str:
    """A made-up word that is not one of the chat's own words (a filter for "same" would hit everything)."""
    while True:
        word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables))
        if word not in CHAT_VOCABULARY:
            return word


def make_rules(rng: random.Random) -> tuple[list[FilterRule], list[str]]:
    rules: list[FilterRule] = []
    phrase_words: list[str] = []
    for rule_id in range(PHRASES):
        words = [make_word(rng, rng.randint(2, 4)) for _ in range(rng.choice((1, 1, 1, 2)))]
        phrase_words.extend(words)
        scope = FilterScope.CIRCLES if rule_id % 3 else FilterScope.SERVER
        rules.append(FilterRule(rule_id, FilterKind.PHRASE, " ".join(words), FilterAction.DELETE, scope))
    shapes = (
        lambda: r"\b(?:{}|{}|{})\b".format(*(make_word(rng, 3) for _ in range(3))),
        lambda: rf"\b{make_word(rng, 2)}\s+{make_word(rng, 2)}",
        lambda: rf"{make_word(rng, 2)}[a-z]{{0,3}}{make_word(rng, 1)}",
        lambda: rf"(?:{make_word(rng, 2)})(?:ing|ed|er)\b",
        lambda: rf"\b\d{{3}} ?\d{{4}}\b {make_word(rng, 2)}",
        lambda: rf"({make_word(rng, 1)}+)+$",  # catastrophic in a backtracking engine
        lambda: rf"(\w+\s?)+{make_word(rng, 2)}$",
        lambda: rf"(?:[a-z]+ ){{3,8}}{make_word(rng, 3)}",
    )
    for index in range(PATTERNS):
        text = shapes[index % len(shapes)]()
        rules.append(FilterRule(PHRASES + index, FilterKind.PATTERN, text, FilterAction.WARN, FilterScope.SERVER))
    return rules, phrase_words


def make_messages(rng: random.Random, count: int) -> list[str]:
    """Chat lines of 20 to 400 characters, most of them short (lengths are log-uniform: median about 90)."""
    messages: list[str] = []
    while len(messages) < count:
        target = int(20 * 20 ** rng.random())
        message = ""
        while len(message) < target:
            fields: dict[str, object] = {key: rng.choice(values) for key, values in WORDS.items()}
            fields |= {"hour": rng.randint(1, 11), "hour2": rng.randint(1, 11)}
            fields |= {"minutes": rng.randint(2, 30), "days": rng.randint(1, 900)}
            message = f"{message} {rng.choice(TEMPLATES).format(**fields)}".strip()
        if len(message) > 400:
            message = message[:400].rsplit(" ", 1)[0]
        if len(message) >= 20:
            messages.append(message)
    return messages


def add_filtered_words(rng: random.Random, messages: list[str], phrases: list[str], share: float) -> None:
    """Put a filtered phrase, sometimes disguised, into a small share of the messages."""
    disguises = (str.upper, lambda text: text.replace("a", "4"), lambda text: text.replace("o", "о"), str)
    for index in rng.sample(range(len(messages)), int(len(messages) * share)):
        words = messages[index].split(" ")
        words.insert(rng.randrange(len(words) + 1), rng.choice(disguises)(rng.choice(phrases)))
        messages[index] = " ".join(words)[:400]


def adversarial(rng: random.Random, phrase_words: list[str]) -> dict[str, str]:
    near_misses = " ".join(word[:-1] for word in rng.sample(phrase_words, 800))
    return {
        "one letter": "a" * 4_000,
        "one letter, then !": "a" * 3_999 + "!",
        "phrase prefixes": ((near_misses + " ") * (4_000 // (len(near_misses) + 1) + 1))[:4_000],
        "prefixes, no spaces": "".join(word[:-1] for word in phrase_words)[:4_000],
        "backtracking bait": ("aaaaaaaaaa " * 400)[:3_998] + "x!",
        "repeated-group bait": ("ba" * 2_000)[:3_999] + "!",
        "leetspeak soup": ("4$$ h3ll0 @b0u7 !|!| 5h1t " * 200)[:4_000],
        "look-alikes and accents": ("аѕѕ ѕһіt ό Ｆｕｌｌ ñ " * 250)[:4_000],
        "emoji": ("😂🙏💙 " * 1_000)[:4_000],
    }


def main() -> None:
    rng = random.Random(SEED)
    rules, phrase_words = make_rules(rng)
    started = time.perf_counter()
    filters = FilterSet.build(rules)
    build_ms = (time.perf_counter() - started) * 1000
    messages = make_messages(rng, MESSAGES)
    add_filtered_words(rng, messages, [rule.text for rule in rules if rule.kind is FilterKind.PHRASE], 0.02)
    lengths = [len(message) for message in messages]
    non_ascii = sum(not message.isascii() for message in messages) / len(messages)

    # Warm up the look-up tables, then time whole rounds over the corpus, alternating channel kinds.
    for message in messages:
        filters.match(message, in_circle_channel=True)
    hits = 0
    best_rate = 0.0
    rates = []
    for round_number in range(ROUNDS):
        in_circle = bool(round_number % 2)
        started = time.perf_counter()
        for message in messages:
            hits += len(filters.match(message, in_circle_channel=in_circle))
        elapsed = time.perf_counter() - started
        rates.append(len(messages) / elapsed)
        best_rate = max(best_rate, rates[-1])

    print(f"filter set built in {build_ms:.0f} ms ({len(filters.skipped)} rules skipped)")
    print(
        f"messages: {len(messages):,}, {min(lengths)}-{max(lengths)} chars "
        f"(median {statistics.median(lengths):.0f}), {non_ascii:.0%} with non-ASCII characters, "
        f"{hits / ROUNDS:.0f} filter hits per pass"
    )
    print(
        f"filter throughput: {statistics.median(rates):,.0f} msg/s "
        f"(1,000 phrases, 50 patterns; best round {best_rate:,.0f})"
    )

    worst_name, worst_ms = "", 0.0
    for name, message in adversarial(rng, phrase_words).items():
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            filters.match(message, in_circle_channel=True)
            timings.append((time.perf_counter() - started) * 1000)
        median_ms = statistics.median(timings)
        print(f"  adversarial {name!r} ({len(message):,} chars): {median_ms:.2f} ms")
        if median_ms > worst_ms:
            worst_name, worst_ms = name, median_ms
    print(f"filter worst case (4,000-char adversarial message): {worst_ms:.2f} ms ({worst_name})")


if __name__ == "__main__":
    main()
