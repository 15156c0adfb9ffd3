"""`/prompt ...` through the real CommandTree on the stand-in: draw, decks, add (a modal), remove, depth, redraw."""

from __future__ import annotations

from typing import Any

from bot.domain.prompts import Depth, load_decks
from bot.testing import EPHEMERAL, StandIn
from cogs.prompts.service import PROMPTS_DIR, PromptService
from tests.circle_helpers import open_and_start

DECKS = load_decks(PROMPTS_DIR)
SHIPPED_TEXT = {p.text: p for deck in DECKS.values() for p in deck.prompts}
OWN_PROMPT = "What is one thing you would like this group to know about your week?"


def service(s: StandIn) -> PromptService:
    assert s.bot is not None
    cog: Any = s.bot.get_cog("Prompts")
    return cog.service  # type: ignore[no-any-return]


def prompt_in(text: str) -> str:
    """The prompt text inside a message the bot wrote (its line that is a known prompt or the server's own)."""
    for line in text.splitlines():
        if line in SHIPPED_TEXT or line == OWN_PROMPT:
            return line
    raise AssertionError(f"no prompt in {text!r}")


async def autocomplete(s: StandIn, user: str, command: str, **options: Any) -> list[dict[str, Any]]:
    data = s.slash_payload(s.user_id(user), command, **options)
    data["type"] = 4
    data["data"]["options"][0]["options"][-1]["focused"] = True
    await s.feed("INTERACTION_CREATE", data)
    call = s.calls[-1]
    assert call.json["type"] == 8
    return list(call.json["data"]["choices"])


async def add_prompt(
    s: StandIn, text: str = OWN_PROMPT, deck: str = "check-in", depth: str = "light", note: str = ""
) -> None:
    await s.slash("Rosa", "prompt add")
    fields = {"text": text, "deck": deck, "depth": depth, "content_note": note}
    await s.submit_modal("Rosa", "prompt:add", fields)


async def test_draw_gives_a_private_prompt_from_the_chosen_deck(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Ken", "prompt draw", deck="gratitude")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL
    assert "Gratitude" in reply["content"] and "just for you" in reply["content"]
    prompt = SHIPPED_TEXT[prompt_in(reply["content"])]
    assert prompt.deck == "gratitude" and prompt.depth is Depth.LIGHT  # a new server starts light
    assert s.bot_messages("circle-room") == []  # nothing public


async def test_draw_without_a_deck_and_with_an_unknown_one(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Ken", "prompt draw")
    assert prompt_in(s.last_reply("Ken")["content"]) in SHIPPED_TEXT
    await s.slash("Ken", "prompt draw", deck="nonsense")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "no deck called" in reply["content"] and "`gratitude`" in reply["content"]


async def test_deck_autocomplete_offers_the_loaded_decks(discord_standin: StandIn) -> None:
    s = discord_standin
    choices = await autocomplete(s, "Ken", "prompt draw", deck="gr")
    assert {c["value"] for c in choices} == {"grief", "gratitude", "growth"}
    assert {c["name"] for c in choices} >= {"Grief and loss"}


async def test_decks_lists_every_deck_with_its_count_including_server_prompts(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Ken", "prompt decks")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL
    lines = [line for line in reply["content"].splitlines() if line.startswith("•")]
    assert len(lines) == len(DECKS) >= 8
    assert any(
        "**Check-in** (`check-in`)" in line and f"{len(DECKS['check-in'].prompts)} prompts." in line for line in lines
    )
    await add_prompt(s)
    await s.slash("Ken", "prompt decks")
    check_in = next(line for line in s.last_reply("Ken")["content"].splitlines() if "(`check-in`)" in line)
    assert f"{len(DECKS['check-in'].prompts) + 1} prompts, 1 from this server" in check_in


async def test_add_opens_a_modal_stores_the_prompt_and_draw_can_return_it(discord_standin: StandIn) -> None:
    s = discord_standin
    mark = s.mark()
    await s.slash("Rosa", "prompt add")
    callback = s.since(mark)[-1].json
    assert callback["type"] == 9 and callback["data"]["custom_id"] == "prompt:add"
    inputs = [c["custom_id"] for row in callback["data"]["components"] for c in row["components"]]
    assert inputs == ["text", "deck", "depth", "content_note"]
    assert len(callback["data"]["title"]) <= 45

    await s.submit_modal(
        "Rosa", "prompt:add", {"text": f"  {OWN_PROMPT} ", "deck": "Check-in", "depth": "Light", "content_note": ""}
    )
    reply = s.last_reply("Rosa")
    assert reply["flags"] & EPHEMERAL and "Added to the **Check-in** deck" in reply["content"]
    assert s.bot is not None
    rows = await s.bot.db.fetchall("SELECT guild_id, deck, text, depth, content_note FROM server_prompts")
    assert [tuple(r) for r in rows] == [(s.guild_id, "check-in", OWN_PROMPT, "light", None)]

    # No prompt repeats before the deck is used up, so one pass over the light check-in prompts plus the
    # server's own must meet it exactly once, whatever the seed.
    eligible = sum(1 for p in DECKS["check-in"].prompts if p.depth is Depth.LIGHT) + 1
    drawn = []
    for _ in range(eligible):
        await s.slash("Mia", "prompt draw", deck="check-in")
        drawn.append(prompt_in(s.last_reply("Mia")["content"]))
    assert drawn.count(OWN_PROMPT) == 1
    assert len(set(drawn)) == eligible


async def test_a_server_prompt_stays_in_its_own_server(discord_standin: StandIn) -> None:
    s = discord_standin
    await add_prompt(s)
    assert s.bot is not None
    other = await s.bot.store.prompts.server_prompts(s.guild_id + 1)
    assert other == []


async def test_unfit_prompts_are_refused_kindly_and_nothing_is_stored(discord_standin: StandIn) -> None:
    s = discord_standin
    await add_prompt(s, deck="poetry")
    assert "no deck called" in s.last_reply("Rosa")["content"]
    await add_prompt(s, text="What do you miss most about the person who died?", deck="grief", depth="deep")
    assert "content note" in s.last_reply("Rosa")["content"]
    await add_prompt(s, depth="bottomless")
    assert "light, medium, deep" in s.last_reply("Rosa")["content"]
    shipped = DECKS["check-in"].prompts[0].text
    await add_prompt(s, text=shipped.upper())
    assert "already has this prompt" in s.last_reply("Rosa")["content"]
    assert s.bot is not None
    assert await s.bot.db.fetchall("SELECT * FROM server_prompts") == []
    assert all(r["flags"] & EPHEMERAL for r in s.replies[s.user_id("Rosa")] if r["content"])


async def test_a_deeper_prompt_than_allowed_is_stored_with_a_note(discord_standin: StandIn) -> None:
    s = discord_standin
    await add_prompt(
        s, text="What would you like to say to someone you lost?", deck="grief", depth="deep", note="Loss and grief."
    )
    content = s.last_reply("Rosa")["content"]
    assert content.startswith("Added") and "*Content note: Loss and grief.*" in content and "/prompt depth" in content


async def test_members_cannot_add_remove_or_change_depth(discord_standin: StandIn) -> None:
    s = discord_standin
    mark = s.mark()
    await s.slash("Ken", "prompt add")
    await s.slash("Ken", "prompt remove", prompt="1")
    await s.slash("Ken", "prompt depth", level="deep")
    calls = s.since(mark)
    assert len(calls) == 3
    for call in calls:
        assert call.json["type"] == 4 and call.json["data"]["flags"] & EPHEMERAL
        assert "Only server admins" in call.json["data"]["content"]
    assert s.bot is not None
    assert await s.bot.store.prompts.max_depth(s.guild_id) is Depth.LIGHT


async def test_remove_offers_the_servers_prompts_and_removes_one(discord_standin: StandIn) -> None:
    s = discord_standin
    await add_prompt(s)
    await add_prompt(s, text="What is a sound that helps you feel at home?", deck="connection")
    choices = await autocomplete(s, "Rosa", "prompt remove", prompt="home")
    assert [c["name"] for c in choices] == ["Connection and belonging: What is a sound that helps you feel at home?"]
    await s.slash("Rosa", "prompt remove", prompt=choices[0]["value"])
    assert "Removed" in s.last_reply("Rosa")["content"]
    assert s.bot is not None
    assert [p.text for p in await s.bot.store.prompts.server_prompts(s.guild_id)] == [OWN_PROMPT]
    await s.slash("Rosa", "prompt remove", prompt=choices[0]["value"])
    assert "couldn't find that prompt" in s.last_reply("Rosa")["content"]


async def test_depth_lets_deeper_prompts_come_up(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "prompt depth", level="medium")
    assert "medium" in s.last_reply("Rosa")["content"]
    depths = set()
    for _ in range(len(DECKS["growth"].prompts)):
        await s.slash("Ken", "prompt draw", deck="growth")
        depths.add(SHIPPED_TEXT[prompt_in(s.last_reply("Ken")["content"])].depth)
    assert depths == {Depth.LIGHT, Depth.MEDIUM}


async def test_redraw_posts_a_different_prompt_for_the_current_round(discord_standin: StandIn) -> None:
    s = discord_standin
    await open_and_start(s, "Ken", "Mia", rounds=2)
    assert s.bot is not None
    circle = await s.bot.store.circles.active_in_channel(s.channel_id("circle-room"))
    assert circle is not None
    # What the circle does when round 1 opens (the circles feature calls this).
    current = await service(s).prompt_for_round(circle.id, s.guild_id, 1, 2, None)
    assert current is not None and current.deck == "check-in"

    for _ in range(3):
        await s.slash("Rosa", "prompt redraw")
        reply = s.last_reply("Rosa")
        assert reply["flags"] & EPHEMERAL and "new prompt for round 1" in reply["content"]
        posted = s.last_message("circle-room")
        assert not posted["flags"] & EPHEMERAL and "A new prompt for round 1 of 2" in posted["content"]
        new_text = prompt_in(posted["content"])
        assert new_text != current.text and SHIPPED_TEXT[new_text].deck == "check-in"
        recorded = await service(s).prompt_for_round(circle.id, s.guild_id, 1, 2, None)
        assert recorded is not None and recorded.text == new_text
        current = recorded


async def test_redraw_is_for_facilitators_and_needs_a_circle(discord_standin: StandIn) -> None:
    s = discord_standin
    await s.slash("Rosa", "prompt redraw")
    assert "no open circle in this channel" in s.last_reply("Rosa")["content"]
    await open_and_start(s, "Ken", "Mia")
    before = len(s.bot_messages("circle-room"))
    await s.slash("Ken", "prompt redraw")
    reply = s.last_reply("Ken")
    assert reply["flags"] & EPHEMERAL and "Only facilitators" in reply["content"]
    assert len(s.bot_messages("circle-room")) == before
