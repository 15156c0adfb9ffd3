"""Every round of a circle opens with a reflective prompt: the default decks, a chosen deck, and a redraw."""

from __future__ import annotations

from bot.domain.prompts import Prompt, load_decks
from bot.testing import EPHEMERAL, StandIn
from cogs.prompts.service import PROMPTS_DIR
from tests.circle_helpers import circle_state, open_and_start

DECKS = load_decks(PROMPTS_DIR)
SHIPPED_TEXT = {p.text: p for deck in DECKS.values() for p in deck.prompts}


def prompts_in(text: str) -> list[Prompt]:
    """The shipped prompts a message quotes (a prompt opens a round as a `> ` quote) or states on a line."""
    found = []
    for line in text.splitlines():
        line = line.removeprefix("> ")
        if line in SHIPPED_TEXT:
            found.append(SHIPPED_TEXT[line])
    return found


async def test_each_round_opens_with_a_prompt_check_in_first_and_closing_last(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", rounds=2, turn_minutes=1)
    opening = s.last_message("circle-room")["content"]
    assert "Round 1 of 2" in opening
    [first] = prompts_in(opening)
    assert first.deck == "check-in"

    mark = s.mark()
    await s.advance(2 * 60)  # both turns of round 1 run out
    assert (await circle_state(s)).round == 2
    posted = [c.json["content"] for c in s.since(mark) if c.method == "POST" and c.path.endswith("/messages")]
    round_two = [text for text in posted if "Round 2 of 2" in text]
    assert len(round_two) == 1
    [last] = prompts_in(round_two[0])
    assert last.deck == "closing"


async def test_the_deck_chosen_at_open_serves_every_round(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", rounds=2, turn_minutes=1, deck="gratitude")
    [first] = prompts_in(s.last_message("circle-room")["content"])
    assert first.deck == "gratitude"
    assert (await circle_state(s)).settings.deck == "gratitude"
    await s.advance(2 * 60)
    [second] = prompts_in(s.last_message("circle-room")["content"])
    assert second.deck == "gratitude" and second.key != first.key


async def test_a_redraw_before_the_start_is_the_prompt_the_circle_opens_with(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "circle open")
    await s.slash("Ken", "circle join")
    await s.slash("Rosa", "prompt redraw")
    assert s.last_reply("Rosa")["flags"] & EPHEMERAL
    [redrawn] = prompts_in(s.last_message("circle-room")["content"])
    await s.slash("Rosa", "circle start")
    [opening] = prompts_in(s.last_message("circle-room")["content"])
    assert opening == redrawn


async def test_a_redraw_mid_round_posts_a_different_prompt(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia")
    [current] = prompts_in(s.last_message("circle-room")["content"])
    await s.slash("Rosa", "prompt redraw")
    [new] = prompts_in(s.last_message("circle-room")["content"])
    assert new != current and new.deck == current.deck == "check-in"


async def test_an_unknown_deck_is_refused_kindly_and_nothing_opens(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "circle open", deck="no-such-deck")
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "`gratitude`" in reply["content"]  # the kind error lists the decks
    assert s.bot is not None
    assert await s.bot.store.circles.active_in_channel(s.channel_id("circle-room")) is None
    assert s.bot_messages("circle-room") == []
