"""`/attendance session` and `/attendance member` (facilitators): who came, privately, with a CSV file."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.access import Standing, require, standing_of
from bot.db.repos.circles import CircleRow
from bot.domain.attendance import Participation
from bot.errors import UserFacingError
from bot.replies import send_private
from cogs.streaks import texts
from cogs.streaks.service import SessionReport, member_streaks, session_report

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.db.repos.attendance import MemberSession

log = logging.getLogger(__name__)

MAX_LINES = 25  # people listed in the message; the CSV always has everyone
RECENT = 15  # sessions listed for one member; the CSV has them all
MAX_FETCHES = 50  # names asked of Discord for one file; beyond that the file has ids only


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (a display name can start with '=')."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_file(rows: Sequence[Sequence[object]], filename: str) -> discord.File:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return discord.File(io.BytesIO(buffer.getvalue().encode("utf-8")), filename=filename)


def why_not(p: Participation) -> str:
    """Why someone who joined is not counted as having come, in plain words."""
    if p.turns_taken or p.turns_passed:
        return "joined in the last round"
    if p.left_round is not None:
        return f"left in round {p.left_round} before their turn" if p.left_round else "left before it started"
    return "didn't take or pass a turn"


def session_text(report: SessionReport) -> str:
    row = report.circle
    head = f"**Circle in <#{row.channel_id}>**"
    if report.opened_at is not None:
        head += f", opened {format_dt(report.opened_at, 'f')}"
    head += f" · {texts.plural(report.rounds, 'round')}"
    if report.cancelled:
        return f"{head}\n{texts.CANCELLED}"
    if not report.people:
        return f"{head}\n{texts.NOBODY_RECORDED}"
    came = report.came
    others = [p for p in report.people if not p.attended]
    lines = [head, f"**Came ({len(came)})**"]
    lines += [
        f"• <@{p.user_id}>: {texts.joined_words(p.joined_round)}, "
        f"{texts.turns_words(p.turns_taken, p.turns_passed, p.turns_skipped)}"
        for p in came[:MAX_LINES]
    ]
    if others:
        lines.append(f"**Joined, not counted ({len(others)})**")
        lines += [f"• <@{p.user_id}>: {why_not(p)}" for p in others[:MAX_LINES]]
    if len(came) > MAX_LINES or len(others) > MAX_LINES:
        lines.append("Everyone is in the file.")
    lines.append("Taking a turn or passing it both count as coming: it's always okay to pass.")
    return "\n".join(lines)[:2000]


def session_rows(report: SessionReport, names: dict[int, str]) -> list[list[object]]:
    rows: list[list[object]] = [
        ["user_id", "name", "came", "joined", "left_in_round", "turns_taken", "turns_passed", "turns_skipped"]
    ]
    for p in report.people:
        rows.append(
            [
                p.user_id,
                names.get(p.user_id, ""),
                "yes" if p.attended else "no",
                "not recorded" if p.joined_round is None else ("start" if p.joined_round == 0 else p.joined_round),
                "" if p.left_round is None else p.left_round,
                p.turns_taken,
                p.turns_passed,
                p.turns_skipped,
            ]
        )
    return rows


def member_rows(sessions: Sequence[MemberSession], came: frozenset[int]) -> list[list[object]]:
    rows: list[list[object]] = [
        ["circle_id", "channel_id", "opened_at_utc", "came", "joined", "left_in_round", "turns_taken", "turns_passed"]
    ]
    for s in sessions:
        joined = s.first_join_round
        rows.append(
            [
                s.circle_id,
                s.channel_id,
                s.opened_at.isoformat(timespec="minutes"),
                "yes" if s.circle_id in came else ("no" if s.started else "ended before it started"),
                "not recorded" if joined is None else ("start" if joined == 0 else joined),
                "" if s.left_round is None else s.left_round,
                s.turns_taken,
                s.turns_passed,
            ]
        )
    return rows


def member_line(s: MemberSession, came: frozenset[int]) -> str:
    when = f"{format_dt(s.opened_at, 'd')} in <#{s.channel_id}>"
    if not s.started:
        return f"• {when}: ended before it started"
    if s.circle_id in came:
        return f"• {when}: came, {texts.turns_words(s.turns_taken, s.turns_passed, s.turns_skipped)}"
    p = Participation(
        s.circle_id, s.first_join_round, s.left_round, s.turns_taken, s.turns_passed, s.turns_skipped, attended=False
    )
    return f"• {when}: joined, not counted ({why_not(p)})"


@app_commands.guild_only()
class AttendanceCog(
    commands.GroupCog, group_name="attendance", group_description="See who came to circles (facilitators)"
):
    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        super().__init__()

    async def _listing_label(self, guild_id: int, limit: int = 100) -> list[tuple[int, str]]:
        config = await self.bot.store.guilds.get(guild_id)
        zone = ZoneInfo(config.timezone)
        found = []
        for listing in await self.bot.store.attendance.recent_sessions(guild_id, limit=limit):
            channel = self.bot.get_channel(listing.channel_id)
            where = f"#{channel.name}" if channel is not None and hasattr(channel, "name") else "a channel now gone"
            when = listing.opened_at.astimezone(zone).strftime("%a %d %b %Y, %H:%M")
            found.append((listing.circle_id, f"{where} · {when} · {listing.took_part} took part"[:100]))
        return found

    async def _pick(self, interaction: discord.Interaction, circle: str | None) -> CircleRow:
        assert interaction.guild_id is not None
        db = self.bot.store
        if circle is None:
            # The latest circle to end in this channel; in a channel that never had one, the latest in the server.
            found = await db.attendance.recent_sessions(
                interaction.guild_id, channel_id=interaction.channel_id, limit=1
            ) or await db.attendance.recent_sessions(interaction.guild_id, limit=1)
            if not found:
                raise UserFacingError(texts.NO_ENDED_CIRCLES)
            circle_id = found[0].circle_id
        else:
            text = circle.strip()
            if not text.isdigit():
                raise UserFacingError(texts.UNKNOWN_CIRCLE)
            circle_id = int(text)
        row = await db.circles.get(circle_id)
        if row is None or row.guild_id != interaction.guild_id:
            raise UserFacingError(texts.UNKNOWN_CIRCLE)
        if row.status != "ended":
            raise UserFacingError(texts.NOT_ENDED)
        return row

    @app_commands.command(name="session", description="See who came to one circle, with a CSV file (only you see it)")
    @app_commands.describe(circle="Which circle that has ended (default: the latest in this channel, else the server)")
    async def session(self, interaction: discord.Interaction, circle: str | None = None) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        row = await self._pick(interaction, circle)
        # Looking names up may take a moment; the answer stays private.
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await session_report(self.bot.store, row)
        text = session_text(report)
        names = await self._names(row.guild_id, [p.user_id for p in report.people])
        file = csv_file(session_rows(report, names), f"circle-{row.id}-attendance.csv")
        await send_private(interaction, text, file=file)

    @session.autocomplete("circle")
    async def _circle_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or await standing_of(self.bot, interaction) < Standing.FACILITATOR:
            return []
        needle = current.strip().lower()
        labels = await self._listing_label(interaction.guild_id)
        return [
            app_commands.Choice(name=label, value=str(circle_id))
            for circle_id, label in labels
            if not needle or needle in label.lower() or needle == str(circle_id)
        ][:25]

    @app_commands.command(name="member", description="See one member's circles in this server (only you see it)")
    @app_commands.describe(member="The member whose attendance you'd like to see")
    async def member(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await require(self.bot, interaction, Standing.FACILITATOR)
        assert interaction.guild_id is not None
        config = await self.bot.store.guilds.get(interaction.guild_id)
        found = await member_streaks(
            self.bot.store, interaction.guild_id, member.id, tz=config.timezone, now=self.bot.clock.now()
        )
        sessions = await self.bot.store.attendance.member_sessions(interaction.guild_id, member.id)
        if not sessions:
            await send_private(interaction, texts.member_history_empty(member.mention))
            return
        lines = [
            f"**{member.mention}'s circles here**",
            f"Came to {texts.plural(found.summary.sessions_attended, 'circle')} "
            "(took or passed a turn, having joined before the last round).",
        ]
        lines += [member_line(s, found.attended) for s in reversed(sessions[-RECENT:])]
        if len(sessions) > RECENT:
            lines.append(f"The file has all {len(sessions)}.")
        file = csv_file(member_rows(sessions, found.attended), f"member-{member.id}-attendance.csv")
        await send_private(interaction, "\n".join(lines)[:2000], file=file)

    async def _names(self, guild_id: int, user_ids: list[int]) -> dict[int, str]:
        """Display names for the CSV: from the cache, else asked of Discord (the bot keeps few members cached)."""
        guild = self.bot.get_guild(guild_id)
        names: dict[int, str] = {}
        if guild is None:
            return names
        asked = 0
        for user_id in user_ids:
            member = guild.get_member(user_id)
            if member is None and asked < MAX_FETCHES:
                asked += 1
                try:
                    member = await guild.fetch_member(user_id)
                except discord.HTTPException:
                    member = None  # they left the server: the id is still in the file
            if member is not None:
                names[user_id] = member.display_name
        return names
