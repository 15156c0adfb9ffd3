-- Recurring circles: series, their sessions (with the Discord Scheduled Event of each) and reminder opt-ins.

-- A recurring circle: "Grief circle, Tuesdays 19:00". `recurrence` is the domain's Recurrence as JSON, in the
-- server's timezone; `settings` the CircleSettings every session opens with. `next_session` (UTC) is the start of
-- the first session not yet dealt with (opened, skipped or missed); it is moved on before the bot acts, so a
-- session is never opened twice, and at start-up a past `next_session` tells what fell into downtime.
-- An unscheduled series keeps its row (`ended_at` set): its sessions still carry its id for streaks.
CREATE TABLE circle_series (
    id                   INTEGER PRIMARY KEY,
    guild_id             INTEGER NOT NULL,
    channel_id           INTEGER NOT NULL,
    name                 TEXT    NOT NULL,
    recurrence           TEXT    NOT NULL,
    settings             TEXT    NOT NULL,
    duration_minutes     INTEGER NOT NULL DEFAULT 60 CHECK (duration_minutes > 0),
    auto_start           INTEGER NOT NULL DEFAULT 0 CHECK (auto_start IN (0, 1)),
    open_minutes_before  INTEGER NOT NULL DEFAULT 10 CHECK (open_minutes_before BETWEEN 0 AND 60),
    next_session         TEXT    NOT NULL,
    -- The facilitator who set it up: the series' circles are opened in their name and problems go to them.
    created_by_user_id   INTEGER,
    created_at           TEXT    NOT NULL,
    ended_at             TEXT
);
CREATE INDEX circle_series_active ON circle_series (guild_id) WHERE ended_at IS NULL;

-- One row per session the bot has planned or dealt with. `status`: planned (its Event may exist), opened (its
-- circle was opened), skipped (a facilitator cancelled it), missed_by_bot (the bot was down at its opening time:
-- never counted against members), cancelled (the series ended first). `event_status` mirrors Discord's
-- (1 scheduled, 2 active, 3 completed, 4 cancelled).
CREATE TABLE series_sessions (
    series_id     INTEGER NOT NULL REFERENCES circle_series (id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    starts_at     TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'opened', 'skipped', 'missed_by_bot', 'cancelled')),
    event_id      INTEGER,
    event_status  INTEGER,
    circle_id     INTEGER,
    reminded      INTEGER NOT NULL DEFAULT 0 CHECK (reminded IN (0, 1)),
    started       INTEGER NOT NULL DEFAULT 0 CHECK (started IN (0, 1)),
    PRIMARY KEY (series_id, starts_at)
);
CREATE INDEX series_sessions_by_circle ON series_sessions (circle_id) WHERE circle_id IS NOT NULL;

-- Members who asked for a DM an hour before each session of a series.
CREATE TABLE series_reminders (
    series_id   INTEGER NOT NULL REFERENCES circle_series (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (series_id, user_id)
);

-- The series a circle was opened for (NULL for one-off circles), so streaks can count sessions of one series.
ALTER TABLE circles ADD COLUMN series_id INTEGER;
CREATE INDEX circles_by_series ON circles (series_id) WHERE series_id IS NOT NULL;
