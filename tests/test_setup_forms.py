"""The set-up wizard belongs to the admin who opened it, in the server it was opened in (issue 21, items 1 and 2).

discord.py keeps open forms by custom id. With fixed ids, a form one admin opened was replaced by another admin's
(in another server) and the first answer was saved into the second server; and nothing checked who submitted a
form or pressed the wizard's menus.
"""

from __future__ import annotations

from pathlib import Path

from bot.testing import StandIn, default_guild

SERVER_A, SERVER_B = 1310000000000000001, 1310000000004194305


async def open_timezone_form(s: StandIn, admin: str, room: str) -> dict:
    await s.slash(admin, "setup", room)
    wizard = s.last_reply(admin)
    await s.click(admin, wizard, "Skip")  # to the timezone step
    await s.click(admin, wizard, "Another timezone…")
    return wizard


async def test_two_admins_of_two_servers_each_save_into_their_own_server(tmp_path: Path) -> None:
    servers = [default_guild(SERVER_A), default_guild(SERVER_B, suffix="-b")]
    async with StandIn(database_path=tmp_path / "bot.db", guilds=servers) as s:
        assert s.bot is not None
        wizard_a = await open_timezone_form(s, "Rosa", "circle-room")
        wizard_b = await open_timezone_form(s, "Rosa-b", "circle-room-b")  # opened while Rosa's form is still open
        await s.submit_modal("Rosa", "setup:timezone", {"setup:zone": "America/Toronto"}, message=wizard_a)
        room_b = s.channel_id("circle-room-b")
        await s.submit_modal("Rosa-b", "setup:timezone", {"setup:zone": "Asia/Tokyo"}, room_b, message=wizard_b)
        assert (await s.bot.store.guilds.get(SERVER_A)).timezone == "America/Toronto"
        assert (await s.bot.store.guilds.get(SERVER_B)).timezone == "Asia/Tokyo"
        assert s.errors == []


async def test_a_member_can_neither_submit_the_admins_form_nor_use_the_admins_menus(tmp_path: Path) -> None:
    async with StandIn(database_path=tmp_path / "bot.db") as s:
        assert s.bot is not None
        wizard = await open_timezone_form(s, "Rosa", "circle-room")
        form = s.modals_shown[s.user_id("Rosa")][-1]
        # Ken crafts a submission of Rosa's open form, then presses the menu of her private wizard message.
        await s.submit_modal("Ken", form, {"setup:zone": "Asia/Tokyo"}, message=wizard)
        assert "belongs to the admin who opened it" in s.last_reply("Ken")["content"]
        await s.click("Ken", wizard, "Skip")
        assert "belongs to the admin who opened it" in s.last_reply("Ken")["content"]
        assert (await s.bot.store.guilds.get(s.guild_id)).timezone == "UTC"  # nothing changed
        # Rosa's own form still works.
        await s.submit_modal("Rosa", "setup:timezone", {"setup:zone": "Europe/Berlin"}, message=wizard)
        assert (await s.bot.store.guilds.get(s.guild_id)).timezone == "Europe/Berlin"
        assert s.errors == []
