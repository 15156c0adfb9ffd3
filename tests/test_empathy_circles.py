"""The empathy-circle format on the stand-in: the speaker picks a listener, who reflects; heard; roles rotate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.circle import Phase, Status
from bot.testing import EPHEMERAL, StandIn
from tests.circle_helpers import can_post, circle_state
from tests.test_voice_circles import VOICE, muted


def component(message: dict[str, Any], custom_id_start: str) -> dict[str, Any]:
    for row in message.get("components", []):
        for item in row["components"]:
            if item.get("custom_id", "").startswith(custom_id_start):
                return item  # type: ignore[no-any-return]
    raise AssertionError(f"no {custom_id_start} component in {message.get('content')!r}")


def latest_with(s: StandIn, channel: str, custom_id_start: str) -> dict[str, Any]:
    for message in reversed(s.bot_messages(channel)):
        try:
            component(message, custom_id_start)
        except AssertionError:
            continue
        return message
    raise AssertionError(f"no message with {custom_id_start}")


async def start_empathy(s: StandIn, channel: str, *people: str) -> None:
    await s.slash("Rosa", "circle open", channel=channel, format="empathy", turn_minutes=2)
    for name in people:
        await s.slash(name, "circle join", channel=channel)
    await s.slash("Rosa", "circle start", channel=channel)


async def test_text_empathy_circle_listener_reflects_speaker_feels_heard_roles_rotate(
    discord_standin: StandIn,
) -> None:
    s = discord_standin
    await start_empathy(s, "circle-room", "Ken", "Mia", "Lu")
    card = s.bot_messages("circle-room")[0]
    assert "active listener" in card["embeds"][0]["description"]
    state = await circle_state(s)
    assert state.holder == s.user_id("Ken") and state.phase == Phase.SPEAKING

    # The speaker's menu offers the others; only the speaker may choose.
    announcement = latest_with(s, "circle-room", "circle:listener:")
    menu = component(announcement, "circle:listener:")
    assert {o["value"] for o in menu["options"]} == {str(s.user_id("Mia")), str(s.user_id("Lu"))}
    assert {o["label"] for o in menu["options"]} == {"Mia", "Lu"}
    await s.choose("Mia", announcement, menu["custom_id"], [str(s.user_id("Lu"))])
    assert "Only the person speaking" in s.last_reply("Mia")["content"]
    assert (await circle_state(s)).listener is None
    await s.choose("Ken", announcement, menu["custom_id"], [str(s.user_id("Lu"))])
    assert s.last_reply("Ken")["flags"] & EPHEMERAL
    assert (await circle_state(s)).listener == s.user_id("Lu")

    # Ken is done: Lu reflects, and both may post while Mia listens.
    await s.click("Ken", card, "I'm done")
    state = await circle_state(s)
    assert state.phase == Phase.REFLECTING and state.listener == s.user_id("Lu")
    assert can_post(s, "Ken") and can_post(s, "Lu") and not can_post(s, "Mia")
    ask = latest_with(s, "circle-room", "circle:heard:")
    assert "reflect back" in ask["content"]

    # Only the speaker answers; "Not quite" gives the listener another go.
    await s.click("Lu", ask, "I feel heard")
    assert "Only the person who shared" in s.last_reply("Lu")["content"]
    await s.click("Ken", ask, "Not quite")
    state = await circle_state(s)
    assert state.phase == Phase.REFLECTING and state.attempt == 2
    await s.click("Ken", latest_with(s, "circle-room", "circle:heard:"), "I feel heard")
    assert "feels heard" in s.last_message("circle-room")["content"] or any(
        "feels heard" in m["content"] for m in s.bot_messages("circle-room")[-2:]
    )

    # The listener becomes the next speaker.
    state = await circle_state(s)
    assert state.holder == s.user_id("Lu") and state.phase == Phase.SPEAKING and state.listener is None
    assert can_post(s, "Lu") and not can_post(s, "Ken")


async def test_a_speaker_who_does_not_choose_gets_the_next_person_as_listener(discord_standin: StandIn) -> None:
    s = discord_standin
    await start_empathy(s, "circle-room", "Ken", "Mia", "Lu")
    await s.advance(120)  # Ken's speaking time runs out with no choice
    state = await circle_state(s)
    assert state.phase == Phase.REFLECTING and state.listener == s.user_id("Mia")
    assert any("I've asked" in m["content"] for m in s.bot_messages("circle-room")[-2:])


async def test_voice_empathy_circle_unmutes_speaker_and_listener_while_reflecting(discord_standin: StandIn) -> None:
    s = discord_standin
    for name in ("Ken", "Mia", "Lu"):
        await s.voice(name, VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE, format="empathy", turn_minutes=2)
    await s.slash("Rosa", "circle start", channel=VOICE)
    assert not muted(s, "Ken") and muted(s, "Mia") and muted(s, "Lu")
    announcement = latest_with(s, VOICE, "circle:listener:")
    menu = component(announcement, "circle:listener:")
    await s.choose("Ken", announcement, menu["custom_id"], [str(s.user_id("Lu"))])
    await s.click("Ken", s.bot_messages(VOICE)[0], "I'm done")
    assert not muted(s, "Ken") and not muted(s, "Lu") and muted(s, "Mia")
    await s.click("Ken", latest_with(s, VOICE, "circle:heard:"), "I feel heard")
    state = await circle_state(s, VOICE)
    assert state.holder == s.user_id("Lu") and state.status == Status.RUNNING
    assert muted(s, "Ken") and not muted(s, "Lu") and muted(s, "Mia")


async def test_an_empathy_speaker_may_pass_without_a_reflection(discord_standin: StandIn) -> None:
    s = discord_standin
    await start_empathy(s, "circle-room", "Ken", "Mia")
    await s.slash("Ken", "circle pass")
    assert "okay to pass" in s.last_reply("Ken")["content"]
    state = await circle_state(s)
    assert state.holder == s.user_id("Mia") and state.phase == Phase.SPEAKING


async def test_the_heard_buttons_work_after_a_restart(discord_standin: StandIn) -> None:
    s = discord_standin
    await start_empathy(s, "circle-room", "Ken", "Mia")
    await s.click("Ken", s.bot_messages("circle-room")[0], "I'm done")
    ask = latest_with(s, "circle-room", "circle:heard:")
    await s.restart()
    await s.click("Ken", ask, "I feel heard")
    assert (await circle_state(s)).holder == s.user_id("Mia")


async def test_voice_empathy_restart_mid_reflection_keeps_phase_and_who_may_speak(discord_standin: StandIn) -> None:
    s = discord_standin
    for name in ("Ken", "Mia", "Lu"):
        await s.voice(name, VOICE)
    await s.slash("Rosa", "circle open", channel=VOICE, format="empathy", turn_minutes=2)
    await s.slash("Rosa", "circle start", channel=VOICE)
    announcement = latest_with(s, VOICE, "circle:listener:")
    await s.choose(
        "Ken", announcement, component(announcement, "circle:listener:")["custom_id"], [str(s.user_id("Lu"))]
    )
    await s.click("Ken", s.bot_messages(VOICE)[0], "I'm done")
    await s.advance(30)
    await s.restart()
    state = await circle_state(s, VOICE)
    assert state.phase == Phase.REFLECTING and state.holder == s.user_id("Ken") and state.listener == s.user_id("Lu")
    assert state.deadline is not None and state.deadline - s.clock.now() == timedelta(seconds=60)
    assert not muted(s, "Ken") and not muted(s, "Lu") and muted(s, "Mia")


async def test_the_listener_pressing_im_done_while_reflecting_asks_the_speaker_to_confirm(
    discord_standin: StandIn,
) -> None:
    """The rulebook lets the listener end their reflection with the card's **I'm done**; the cog must not refuse it."""
    s = discord_standin
    await start_empathy(s, "circle-room", "Ken", "Mia", "Lu")
    card = s.bot_messages("circle-room")[0]
    await s.click("Ken", card, "I'm done")
    state = await circle_state(s)
    assert state.phase == Phase.REFLECTING and state.listener == s.user_id("Mia")

    await s.click("Mia", card, "I'm done")
    reply = s.last_reply("Mia")
    assert reply["flags"] & EPHEMERAL and "Only the person holding the stick" not in reply["content"]
    state = await circle_state(s)
    assert state.phase == Phase.CONFIRMING
    assert state.holder == s.user_id("Ken") and state.listener == s.user_id("Mia")
    assert "do you feel heard" in s.last_message("circle-room")["content"]
    # Confirming is the speaker's step: the floor is theirs alone until they feel heard.
    assert can_post(s, "Ken") and not can_post(s, "Mia") and not can_post(s, "Lu")
