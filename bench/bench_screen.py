"""How fast the crisis screen reads messages.

Builds realistic mixed chat for a peer-support server from templates: mostly ordinary messages (greetings,
check-ins, circle logistics, emoji, curly apostrophes from phones, accents, numbers), some distress and
hard negatives (idioms, game talk, news), and a few messages at risk, in the five languages the lexicon
covers. Prints throughput on one core (one thread, one screen) and the p50/p99 time of a single
2,000-character message, ordinary and risk-laden. Asserts nothing.

Run: .venv/bin/python bench/bench_screen.py
"""

from __future__ import annotations

import random
import statistics
import time

from bot.domain.crisis import Screen, load_lexicon, normalize

SEED = 20261122
MESSAGES = 20_000
ROUNDS = 5
LONG_SAMPLES = 2_000

ORDINARY = (
    "hey {name}, how are you doing today?",
    "I'm {feeling} about {thing}, honestly it's been a long week",
    "thanks for sharing that {name}, it really helped me feel less alone 💙",
    "can we start the circle at {hour}pm? I have work until {hour2}",
    "I pass this round, I'm not ready to talk about {thing} yet",
    "lol same. my {relation} keeps asking about {thing} and I just don't know what to say",
    "Today I noticed that I was {feeling} when {name} talked about {thing}. I think it reminded me of my "
    "{relation} and how we used to talk every Sunday before everything changed.",
    "worth reading if you have {hour} minutes: https://example.com/articles/coping-with-stress",
    "I've been sober for {days} days now 🎉 one day at a time",
    "I’m {feeling} — the café with my {relation} was nice, it was naïve of me to worry so much",
    "ok",
    "same here",
    "that makes a lot of sense, thank you for listening",
    "I hear you {name}. It sounds like {thing} has been really heavy lately.",
    "good morning everyone! hope you all slept well ☀️",
    "see you all next week",
    "I'm going to step out for a bit, I need some air",
    "my {relation} called today and we actually talked about {thing} without fighting",
    "hola a todos, ¿qué tal el finde?",
    "bom dia pessoal! alguém viu o jogo ontem?",
    "salut ça va ? quelqu'un joue ce soir ?",
    "gute nacht zusammen, bis morgen!",
    "who's joining the circle on thursday?",
    "brb gotta walk the dog",
)
HARD = (
    "this {thing} is killing me lol",
    "i'm dead 😂😂",
    "kms that boss is impossible",
    "i'd kill for a coffee right now",
    "the article says suicide rates went up among teens",
    "i'm not suicidal, don't worry, just tired",
    "two years ago i wanted to die, today i'm doing better",
    "i feel so alone lately",
    "i'm having a really hard time with {thing}",
    "je suis à bout",
    "ich kann nicht mehr",
    "me siento muy solo últimamente",
)
RISK = (
    "i want to die",
    "i've been thinking about killing myself a lot lately",
    "im going to kill myself tonight",
    "my friend just texted me that she's going to kill herself tonight, what do i do",
    "i have the pills ready. i'm done",
    "quiero morirme",
    "não quero mais viver",
    "je veux mourir",
    "ich will nicht mehr leben",
)
WORDS = {
    "name": ("Sam", "Alex", "Priya", "José", "Mei", "Jordan", "Noor", "Chris"),
    "feeling": ("anxious", "hopeful", "tired", "grateful", "overwhelmed", "calm", "sad", "okay"),
    "thing": ("the move", "my job", "the diagnosis", "school", "money", "the holidays", "my health", "exam"),
    "relation": ("mum", "dad", "sister", "partner", "friend", "therapist", "grandma"),
}


def fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in WORDS.items()}
    values |= {"hour": str(rng.randint(1, 11)), "hour2": str(rng.randint(1, 11)), "days": str(rng.randint(2, 900))}
    return template.format(**values)


def mixed_messages(rng: random.Random, count: int) -> list[str]:
    """About 90% ordinary chat, 8% distress and hard negatives, 2% risk."""
    out = []
    for _ in range(count):
        roll = rng.random()
        pool = ORDINARY if roll < 0.90 else HARD if roll < 0.98 else RISK
        out.append(fill(rng.choice(pool), rng))
    return out


def long_message(rng: random.Random, pools: tuple[tuple[str, ...], ...]) -> str:
    parts: list[str] = []
    while sum(len(part) + 1 for part in parts) < 2_000:
        parts.append(fill(rng.choice(rng.choice(pools)), rng))
    return " ".join(parts)[:2_000]


def per_message_times(screen: Screen, text: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        screen.check(text)
        times.append(time.perf_counter() - start)
    return sorted(times)


def main() -> None:
    rng = random.Random(SEED)
    start = time.perf_counter()
    lexicon = load_lexicon()  # what a fresh process pays once; Screen.load() caches it after that
    compile_seconds = time.perf_counter() - start
    screen = Screen(lexicon)
    print(
        f"lexicon {screen.version}: {lexicon.risk_phrases:,} risk phrases, {lexicon.context_phrases:,} context "
        f"phrases after expansion, compiled in {compile_seconds:.2f} s"
    )

    messages = mixed_messages(rng, MESSAGES)
    flagged = sum(screen.check(text).flagged for text in messages)
    print(
        f"{MESSAGES:,} mixed messages, average {statistics.mean(map(len, messages)):.0f} characters, {flagged} flagged"
    )

    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in messages:
            screen.check(text)
        rates.append(MESSAGES / (time.perf_counter() - start))
    median, best = statistics.median(rates), max(rates)
    print(f"screen throughput, one core: {median:,.0f} messages/s (best {best:,.0f}; target 50,000)")

    start = time.perf_counter()
    for text in messages:
        normalize(text)
    print(f"  of which folding alone: {MESSAGES / (time.perf_counter() - start):,.0f} messages/s")

    ordinary = long_message(rng, (ORDINARY,))
    risky = long_message(rng, (HARD, RISK))
    for label, text in (("ordinary", ordinary), ("risk-laden", risky)):
        times = per_message_times(screen, text, LONG_SAMPLES)
        p50 = times[len(times) // 2] * 1e3
        p99 = times[int(len(times) * 0.99) - 1] * 1e3
        print(f"one {len(text):,}-character {label} message: p50 {p50:.3f} ms, p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
