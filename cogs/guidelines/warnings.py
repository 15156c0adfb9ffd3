"""Warnings up the ladder: a facilitator's (or a filter's) warning, the timeout or alert it climbs to, pardons.

The rules (points, expiry, the ladder, who may warn whom) are in `bot.domain.guidelines`; this module loads what
the database holds, asks the domain, records each case in the mod log and tells the member privately. Reached from
the facade as `GuidelineService.plan`, `.give_warning` and `.pardon`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.db.repos.guidelines import Case, ModerationSettings, NewCase
from bot.domain.guidelines import (
    FilterAction,
    FilterRule,
    LadderAction,
    LadderRung,
    active_points,
    can_warn,
    describe_duration,
    rung_for,
)
from cogs.guidelines import texts

if TYPE_CHECKING:
    from bot.app import CircleBot
    from cogs.guidelines.modlog import ModLog

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WarningOutcome:
    warning: Case
    active: int
    timeout: Case | None = None
    alert: Case | None = None
    problem: str | None = None  # a consequence that could not be applied, in words
    told_member: bool = False


def timeout_problem(guild: discord.Guild, target: discord.Member) -> str | None:
    """Why the bot could not time `target` out, in words, or None."""
    me = guild.me
    if not (me.guild_permissions.moderate_members or me.guild_permissions.administrator):
        return texts.MISSING_TIMEOUT_PERMISSION
    if target.top_role >= me.top_role:
        return texts.ROLE_TOO_LOW
    return None


def warn_refusal(guild: discord.Guild, actor: discord.Member, target: discord.Member) -> str | None:
    """None when `actor` may warn `target` here, else a kind sentence (the rules are in the domain)."""
    target_perms = target.guild_permissions
    return can_warn(
        actor_id=actor.id,
        target_id=target.id,
        actor_is_owner=guild.owner_id == actor.id,
        actor_top_position=actor.top_role.position,
        target_top_position=target.top_role.position,
        target_is_admin=bool(target_perms.administrator or target_perms.manage_guild),
        target_is_bot=target.bot,
        target_is_owner=guild.owner_id == target.id,
    )


class Warnings:
    """Give and pardon warnings; every one is a numbered case in the mod log."""

    def __init__(self, bot: CircleBot, modlog: ModLog) -> None:
        self.bot = bot
        self.modlog = modlog

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    async def plan(self, guild_id: int, user_id: int, points: int) -> tuple[ModerationSettings, int, LadderRung | None]:
        """The settings, the member's active points before this warning, and the rung it would climb."""
        settings = await self.bot.store.guidelines.settings(guild_id)
        records = [case.as_warning() for case in await self.bot.store.guidelines.warnings(guild_id, user_id)]
        before = active_points(records, self.now, settings.expiry)
        return settings, before, rung_for(before, before + points, settings.ladder)

    async def give_warning(
        self,
        guild: discord.Guild,
        target: discord.Member,
        *,
        actor_id: int | None,
        points: int,
        reason: str,
        rule_number: int | None = None,
        rule_text: str | None = None,
        filter_rule: FilterRule | None = None,
        channel_id: int | None = None,
        note: str | None = None,
        removed: bool = False,
    ) -> WarningOutcome:
        """Record a warning, apply the ladder's step (timeout or alert), log each case and tell the member."""
        settings, before, rung = await self.plan(guild.id, target.id, points)
        now = self.now
        timeout_until: datetime | None = None
        problem: str | None = None
        if rung is not None and rung.action == LadderAction.TIMEOUT and rung.duration is not None:
            problem = timeout_problem(guild, target)
            if problem is None:
                until = now + rung.duration
                try:
                    await target.timeout(until, reason=f"Warning ladder: {rung.points} active points")
                    timeout_until = until
                except discord.Forbidden:
                    problem = texts.MISSING_TIMEOUT_PERMISSION
                except discord.HTTPException as exc:
                    log.info("timeout refused by Discord (%s)", exc.status)
                    problem = "Discord didn't let me apply it just now."
        notes = [note] if note else []
        if problem is not None and rung is not None and rung.duration is not None:
            notes.append(f"Timeout of {describe_duration(rung.duration)} not applied: {problem}")
        warning = await self.modlog.open_case(
            guild,
            NewCase(
                kind="warning",
                user_id=target.id,
                actor_user_id=actor_id,
                points=points,
                reason=reason,
                rule_number=rule_number,
                filter_id=filter_rule.id if filter_rule else None,
                action=str(FilterAction.WARN) if filter_rule else None,
                channel_id=channel_id,
                note="\n".join(notes) or None,
            ),
            filter_rule=filter_rule,
            rule_text=rule_text,
            active=before + points,
        )
        outcome = WarningOutcome(warning=warning, active=before + points, problem=problem)
        if timeout_until is not None and rung is not None and rung.duration is not None:
            outcome.timeout = await self.modlog.open_case(
                guild,
                NewCase(
                    kind="timeout",
                    user_id=target.id,
                    actor_user_id=actor_id,
                    refers_to=warning.number,
                    duration_seconds=int(rung.duration.total_seconds()),
                    note=f"{rung.points} active points on the warning ladder.",
                ),
                until=timeout_until,
            )
        elif rung is not None and rung.action == LadderAction.ALERT_ADMINS:
            outcome.alert = await self.modlog.open_case(
                guild,
                NewCase(
                    kind="alert",
                    user_id=target.id,
                    refers_to=warning.number,
                    note=(
                        f"{target.display_name} has reached {before + points} active points. The ladder never bans: "
                        "please talk with them and decide together what happens next."
                    ),
                ),
                alert_owner_if_no_log=True,
            )
        outcome.told_member = await self.modlog.tell(
            target,
            self._warning_note(
                guild,
                target,
                settings,
                outcome,
                reason_for_member(reason, filter_rule, removed),
                rule_number,
                rule_text,
            ),
        )
        return outcome

    def _warning_note(
        self,
        guild: discord.Guild,
        target: discord.Member,
        settings: ModerationSettings,
        outcome: WarningOutcome,
        reason: str,
        rule_number: int | None,
        rule_text: str | None,
    ) -> str:
        lines = [f"Hi {target.display_name}. You've been given a warning in **{guild.name}**.", f"**Why:** {reason}"]
        if rule_number is not None and rule_text:
            lines.append(f"**Agreement {rule_number}:** {rule_text}")
        points = outcome.warning.points
        lines.append(
            f"**Points:** {points} ({outcome.active} active now; points count for {settings.warn_expiry_days} days)."
        )
        if outcome.timeout is not None and outcome.timeout.duration is not None:
            until = outcome.timeout.created_at + outcome.timeout.duration
            lines.append(
                f"Because of the warning ladder you're timed out for {describe_duration(outcome.timeout.duration)}, "
                f"until {texts.when(until)}: you can read, but not post or speak."
            )
        lines.append(f"**If you'd like to appeal:** {settings.appeal_text or texts.DEFAULT_APPEAL}")
        return "\n".join(lines)[:2000]

    async def pardon(self, guild: discord.Guild, warning: Case, actor_id: int) -> tuple[Case, str | None]:
        """Pardon a warning: its points stop counting and a timeout it caused is lifted. Returns the pardon case."""
        pardon = await self.modlog.open_case(
            guild,
            NewCase(kind="pardon", user_id=warning.user_id, actor_user_id=actor_id, refers_to=warning.number),
            record_only=True,
        )
        if not await self.bot.store.guidelines.mark_pardoned(guild.id, warning.number, pardon.number, self.now):
            log.info("case %s was pardoned twice at once; keeping the first", warning.number)
        problem: str | None = None
        lifted = False
        timeout = await self.bot.store.guidelines.timeout_from(guild.id, warning.number)
        running = (
            timeout is not None and timeout.duration is not None and timeout.created_at + timeout.duration > self.now
        )
        if running and warning.user_id is not None:
            lifted, problem = await self._lift_timeout(guild, warning.user_id)
        note = f"Warning case {warning.number} no longer counts."
        if lifted:
            note += f" The timeout from case {timeout.number if timeout else '?'} was lifted."
        elif problem:
            note += f" The timeout it caused is still running: {problem}"
        await self.modlog.post_case(guild, pardon, note=note)
        if warning.user_id is not None:
            target: discord.User | discord.Member | None = guild.get_member(warning.user_id)
            target = target or self.bot.get_user(warning.user_id)
            if target is None:
                try:
                    target = await self.bot.fetch_user(warning.user_id)
                except discord.HTTPException:
                    target = None
            if target is not None:
                extra = " Your timeout has been lifted." if lifted else ""
                await self.modlog.tell(
                    target,
                    f"A warning you were given in **{guild.name}** has been pardoned: "
                    f"its points no longer count.{extra}",
                )
        return pardon, problem

    async def _lift_timeout(self, guild: discord.Guild, user_id: int) -> tuple[bool, str | None]:
        me = guild.me
        if not (me.guild_permissions.moderate_members or me.guild_permissions.administrator):
            return False, texts.MISSING_TIMEOUT_PERMISSION
        try:
            await self.bot.http.edit_member(guild.id, user_id, communication_disabled_until=None)
        except discord.Forbidden:
            return False, texts.MISSING_TIMEOUT_PERMISSION
        except discord.HTTPException as exc:
            log.info("could not lift a timeout (%s)", exc.status)
            return False, "Discord didn't let me lift it just now."
        return True, None


def reason_for_member(reason: str, filter_rule: FilterRule | None, removed: bool) -> str:
    """What the member reads as the reason: for a filter, which filter, in words they can act on."""
    if filter_rule is None:
        return reason
    what = "was removed and counted" if removed else "counted"
    return f"A message of yours {what} as a warning because it contained {texts.filter_for_member(filter_rule)}."
