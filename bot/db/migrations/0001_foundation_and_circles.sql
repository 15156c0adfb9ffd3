-- Per-server settings. One row per server, created on first change.
CREATE TABLE guild_config (
    guild_id              INTEGER PRIMARY KEY,
    facilitator_role_id   INTEGER,
    timezone              TEXT    NOT NULL DEFAULT 'UTC',
    default_turn_seconds  INTEGER NOT NULL DEFAULT 180,
    updated_at            TEXT    NOT NULL
);

-- One circle: a session of a group in one channel. `state` is the domain's CircleState as JSON;
-- `next_deadline` mirrors its next timer so restoring at start-up needs no JSON parsing to order work.
CREATE TABLE circles (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    channel_kind     TEXT    NOT NULL CHECK (channel_kind IN ('text', 'thread', 'voice', 'stage')),
    status           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    card_message_id  INTEGER,
    -- The facilitator who opened it: told privately when Discord refuses something mid-circle.
    facilitator_user_id INTEGER,
    next_deadline    TEXT,
    created_at       TEXT    NOT NULL,
    ended_at         TEXT
);
CREATE UNIQUE INDEX circles_one_active_per_channel ON circles (channel_id) WHERE status != 'ended';
CREATE INDEX circles_active ON circles (status) WHERE status != 'ended';

-- Every channel permission overwrite the bot changed for a circle, with the value it had before, so the end of
-- the circle (or a restart after it) puts each one back exactly. `existed = 0` means: delete it at the end.
CREATE TABLE circle_overwrites (
    circle_id   INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    role_id     INTEGER,
    user_id     INTEGER,
    existed     INTEGER NOT NULL,
    allow       INTEGER NOT NULL DEFAULT 0,
    deny        INTEGER NOT NULL DEFAULT 0,
    CHECK ((role_id IS NULL) != (user_id IS NULL))
);
CREATE UNIQUE INDEX circle_overwrites_target ON circle_overwrites (circle_id, coalesce(role_id, -user_id));

-- Attendance events per circle and participant, for streaks. Events, never what anyone said.
CREATE TABLE attendance_events (
    id         INTEGER PRIMARY KEY,
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('joined', 'left', 'took_turn', 'passed', 'skipped')),
    round      INTEGER NOT NULL,
    at         TEXT    NOT NULL
);
CREATE INDEX attendance_by_member ON attendance_events (guild_id, user_id, circle_id);
CREATE INDEX attendance_by_circle ON attendance_events (circle_id);

-- Gentle mode: when each member was last reminded, so a reminder goes at most once a minute.
CREATE TABLE gentle_reminders (
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    last_at    TEXT    NOT NULL,
    PRIMARY KEY (circle_id, user_id)
);
