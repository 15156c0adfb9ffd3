"""The guidelines' imperative shell: filters on messages, warnings up the ladder, the mod log, the rules gate.

The rules themselves (folding, matching, the ladder, who may warn whom) are in `bot.domain.guidelines`; this
module loads what the database holds, asks the domain, records a case and then makes Discord match. The crisis
screen is asked before any filter acts: a message it flags is never deleted, never warned about, never reaches
the mod log.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.db.repos.guidelines import Case, ModerationSettings, NewCase
from bot.domain.guidelines import (
    DEFAULT_WARNING_POINTS,
    FilterAction,
    FilterHit,
    FilterRule,
    FilterScope,
    FilterSet,
    LadderAction,
    LadderRung,
    active_points,
    can_warn,
    describe_duration,
    rung_for,
    strongest_action,
)
from bot.errors import UserFacingError
from bot.replies import QUIET
from cogs.guidelines import gate, texts
from cogs.guidelines.embeds import case_embed

if TYPE_CHECKING:
    from bot.app import CircleBot
    from bot.features import MessageFacts

log = logging.getLogger(__name__)

Then = Callable[[discord.Interaction], Awaitable[None]]
MAX_PENDING_JOINS = 1_000


@dataclass(frozen=True, slots=True)
class CompiledFilters:
    """A server's filters, compiled once and kept until an admin changes them."""

    matcher: FilterSet
    rules: dict[int, FilterRule]


@dataclass(slots=True)
class WarningOutcome:
    warning: Case
    active: int
    timeout: Case | None = None
    alert: Case | None = None
    problem: str | None = None  # a consequence that could not be applied, in words
    told_member: bool = False


@dataclass(slots=True)
class _Pending:
    user_id: int
    then: Then


@dataclass(slots=True)
class Gate:
    """Joins waiting for someone to agree to the rules, by the token in their "I agree" button."""

    pending: dict[int, _Pending] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def hold(self, user_id: int, then: Then) -> int:
        token = next(self._tokens)
        self.pending[token] = _Pending(user_id, then)
        while len(self.pending) > MAX_PENDING_JOINS:  # people who never pressed: forget the oldest
            self.pending.pop(next(iter(self.pending)))
        return token

    def release(self, token: int, user_id: int) -> Then | None:
        held = self.pending.get(token)
        if held is None or held.user_id != user_id:
            return None
        del self.pending[token]
        return held.then


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


class GuidelineService:
    """What the guidelines offer the other features (`bot.features.guidelines`), and the work behind its commands."""

    def __init__(self, bot: CircleBot) -> None:
        self.bot = bot
        self.gate = Gate()
        self._filters: dict[int, CompiledFilters] = {}

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    # The rules gate (cogs/guidelines/gate.py) ------------------------------------------------------------------

    async def rules_accepted(self, interaction: discord.Interaction, then: Then) -> bool:
        return await gate.rules_accepted(self, interaction, then)

    async def agree(self, interaction: discord.Interaction, version: int, token: int) -> None:
        await gate.agree(self, interaction, version, token)

    # Filters ------------------------------------------------------------------------------------------------

    async def filters(self, guild_id: int) -> CompiledFilters:
        compiled = self._filters.get(guild_id)
        if compiled is None:
            rules = await self.bot.store.guidelines.filters(guild_id)
            compiled = CompiledFilters(FilterSet.build(rules), {rule.id: rule for rule in rules})
            self._filters[guild_id] = compiled
        return compiled

    def forget_filters(self, guild_id: int) -> None:
        self._filters.pop(guild_id, None)

    async def check_message(self, facts: MessageFacts) -> None:
        """Run the server's filters on a new message and act on what they find."""
        message, guild = facts.message, facts.member.guild
        compiled = await self.filters(guild.id)
        if compiled.matcher.empty:
            return
        # Circle channels see every filter; ask whether this is one only when a circles-only filter fired.
        hits = compiled.matcher.match(message.content, in_circle_channel=True)
        if not hits:
            return
        circles_only = any(compiled.rules[hit.rule_id].scope == FilterScope.CIRCLES for hit in hits)
        if circles_only and facts.circle_id is None:
            hits = tuple(hit for hit in hits if compiled.rules[hit.rule_id].scope == FilterScope.SERVER)
            if not hits:
                return
        if facts.flagged:
            # A person in crisis is never punished: no delete, no warning, no mod log. Crisis care looks after them.
            log.debug("filter hit on a message the crisis screen flagged: left alone")
            return
        await self._act(message, facts.member, hits, compiled)

    async def _act(
        self, message: discord.Message, author: discord.Member, hits: tuple[FilterHit, ...], compiled: CompiledFilters
    ) -> None:
        guild = author.guild
        action = strongest_action(hits)
        assert action is not None
        primary = next(hit for hit in hits if hit.action == action)
        rule = compiled.rules[primary.rule_id]
        others = [compiled.rules[hit.rule_id] for hit in hits if hit.rule_id != primary.rule_id]
        notes: list[str] = []
        if others:
            notes.append("Also hit: " + ", ".join(texts.describe_filter(other) for other in others))
        deleted = False
        if action in (FilterAction.DELETE, FilterAction.WARN):
            deleted, problem = await self._delete(message)
            if problem:
                notes.append(problem)
        if action == FilterAction.WARN:
            refusal = warn_refusal(guild, guild.me, author)
            if refusal is None:
                await self.give_warning(
                    guild,
                    author,
                    actor_id=None,
                    points=DEFAULT_WARNING_POINTS,
                    reason=f"A message in <#{message.channel.id}> hit {texts.describe_filter(rule)}.",
                    filter_rule=rule,
                    channel_id=message.channel.id,
                    note="\n".join(notes) or None,
                    removed=deleted,
                )
                return
            notes.append(texts.NOT_WARNED_BY_FILTER)
        case = await self.open_case(
            guild,
            NewCase(
                kind="filter",
                user_id=author.id,
                filter_id=rule.id,
                action=str(action),
                channel_id=message.channel.id,
                note="\n".join(notes) or None,
            ),
            filter_rule=rule,
            jump_url=message.jump_url if not deleted else None,
        )
        log.info("filter case %s in guild %s: %s", case.number, guild.id, action)
        if deleted:
            await self._tell(
                author,
                f"Hi {author.display_name}. Your message in <#{message.channel.id}> was removed because it "
                f"contained {texts.filter_for_member(rule)}, which **{guild.name}** has chosen to filter. "
                "This is an automated note; nothing else happens.",
            )

    async def _delete(self, message: discord.Message) -> tuple[bool, str | None]:
        channel = message.channel
        me = message.guild.me if message.guild else None
        missing = (
            f"Not deleted: I need the **Manage Messages** permission in <#{channel.id}>. "
            "An admin can add it to my role in Server Settings → Roles."
        )
        if me is not None and hasattr(channel, "permissions_for") and not channel.permissions_for(me).manage_messages:
            return False, missing
        try:
            await message.delete()
        except discord.NotFound:
            return True, None  # someone removed it already
        except discord.Forbidden:
            return False, missing
        except discord.HTTPException as exc:
            log.info("could not delete a filtered message (%s)", exc.status)
            return False, "Not deleted: Discord didn't let me just now."
        return True, None

    # Warnings -----------------------------------------------------------------------------------------------

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
        warning = await self.open_case(
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
            outcome.timeout = await self.open_case(
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
            outcome.alert = await self.open_case(
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
        outcome.told_member = await self._tell(
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
        pardon = await self.open_case(
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
        await self.post_case(guild, pardon, note=note)
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
                await self._tell(
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

    # The agreements ----------------------------------------------------------------------------------------

    async def save_rules(self, interaction: discord.Interaction, rules: tuple[str, ...], expected_version: int) -> int:
        """Store a new version, log it as a case; return the version. Refuses kindly when nothing would change."""
        guild = interaction.guild
        assert guild is not None
        repo = self.bot.store.guidelines
        current = await repo.rules(guild.id)
        if current is not None and current.version == expected_version and current.rules == rules:
            raise UserFacingError(texts.RULES_UNCHANGED.format(version=current.version))
        version = await repo.save_rules(guild.id, rules, expected_version=expected_version, now=self.now)
        if not version:
            raise UserFacingError(texts.RULES_CONFLICT)
        await self.open_case(
            guild,
            NewCase(
                kind="rules",
                actor_user_id=interaction.user.id,
                note=f"Version {version}: {len(rules)} agreement{'s' if len(rules) != 1 else ''}.",
            ),
        )
        log.info("guild %s: agreements saved as version %s", guild.id, version)
        return version

    async def save_rules_from_setup(self, interaction: discord.Interaction, rules: tuple[str, ...]) -> int:
        """For the setup wizard: save over whatever version is current; the same list again keeps its version."""
        assert interaction.guild_id is not None
        current = await self.bot.store.guidelines.rules(interaction.guild_id)
        if current is not None and current.rules == rules:
            return current.version
        return await self.save_rules(interaction, rules, current.version if current else 0)

    # The mod log --------------------------------------------------------------------------------------------

    async def open_case(
        self,
        guild: discord.Guild,
        new: NewCase,
        *,
        record_only: bool = False,
        filter_rule: FilterRule | None = None,
        rule_text: str | None = None,
        active: int | None = None,
        until: datetime | None = None,
        jump_url: str | None = None,
        alert_owner_if_no_log: bool = False,
    ) -> Case:
        """Record a numbered case and post it to the mod log (unless `record_only`: the caller posts it)."""
        case = await self.bot.store.guidelines.open_case(guild.id, new, self.now)
        if not record_only:
            await self.post_case(
                guild,
                case,
                filter_rule=filter_rule,
                rule_text=rule_text,
                active=active,
                until=until,
                jump_url=jump_url,
                alert_owner_if_no_log=alert_owner_if_no_log,
            )
        return case

    async def post_case(
        self,
        guild: discord.Guild,
        case: Case,
        *,
        note: str | None = None,
        filter_rule: FilterRule | None = None,
        rule_text: str | None = None,
        active: int | None = None,
        until: datetime | None = None,
        jump_url: str | None = None,
        alert_owner_if_no_log: bool = False,
    ) -> None:
        settings = await self.bot.store.guidelines.settings(guild.id)
        embed = case_embed(
            case,
            note=note,
            filter_rule=filter_rule,
            rule_text=rule_text,
            active=active,
            until=until,
            jump_url=jump_url,
            expiry_days=settings.warn_expiry_days,
        )
        channel = guild.get_channel(settings.mod_log_channel_id) if settings.mod_log_channel_id else None
        if isinstance(channel, discord.TextChannel):
            try:
                message = await channel.send(embed=embed, allowed_mentions=QUIET)
            except discord.HTTPException as exc:
                log.warning("guild %s: could not post case %s to the mod log (%s)", guild.id, case.number, exc.status)
            else:
                await self.bot.store.guidelines.set_log_message(guild.id, case.number, message.id)
                return
        if alert_owner_if_no_log:
            owner = guild.owner or self.bot.get_user(guild.owner_id or 0)
            if owner is None and guild.owner_id:
                try:
                    owner = await self.bot.fetch_user(guild.owner_id)
                except discord.HTTPException:
                    owner = None
            if owner is not None:
                await self._tell(owner, f"About **{guild.name}** (no mod-log channel is set):", embed=embed)

    # Telling people -----------------------------------------------------------------------------------------

    async def _tell(
        self, user: discord.User | discord.Member, text: str, *, embed: discord.Embed | None = None
    ) -> bool:
        """A private note by DM; closed DMs mean nothing is sent (and nothing else happens)."""
        try:
            if embed is None:
                await user.send(text, allowed_mentions=QUIET)
            else:
                await user.send(text, embed=embed, allowed_mentions=QUIET)
        except discord.Forbidden:
            log.debug("a guidelines note was not sent: DMs closed")
            return False
        except discord.HTTPException as exc:
            log.info("a guidelines note was not sent (%s)", exc.status)
            return False
        return True


def reason_for_member(reason: str, filter_rule: FilterRule | None, removed: bool) -> str:
    """What the member reads as the reason: for a filter, which filter, in words they can act on."""
    if filter_rule is None:
        return reason
    what = "was removed and counted" if removed else "counted"
    return f"A message of yours {what} as a warning because it contained {texts.filter_for_member(filter_rule)}."
