-- Attendance and streaks: member preferences (tracking, celebrate), milestones already acknowledged, and who came
-- to each circle once it has ended.

-- A member's own choices about attendance in one server, and the highest milestone already acknowledged so no
-- milestone is ever acknowledged twice. No row means the defaults: tracking on, celebrate off (a private note),
-- no milestone acknowledged yet.
CREATE TABLE attendance_prefs (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    tracking    INTEGER NOT NULL DEFAULT 1 CHECK (tracking IN (0, 1)),
    celebrate   INTEGER NOT NULL DEFAULT 0 CHECK (celebrate IN (0, 1)),
    milestone   INTEGER NOT NULL DEFAULT 0 CHECK (milestone >= 0),
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- /streak and /attendance member: one member's events, grouped by circle, read from the index alone.
CREATE INDEX attendance_member_circles ON attendance_events (guild_id, user_id, circle_id, kind, round);

-- Streaks: "did the server hold a circle between these two moments?", answered from the index alone. A circle that
-- ended before its first round (a facilitator cancelled it) has round 0 and never counts.
CREATE INDEX circles_held ON circles (guild_id, created_at, json_extract(state, '$.round')) WHERE status = 'ended';

-- Who came to each circle, decided once when it ends (the rule in bot/domain/attendance.py, over its events), so
-- /streak reads one row per circle a member came to instead of every event. `opened_at` places the circle in a
-- week. Derived data: deleting a member's events deletes these too.
CREATE TABLE attended_sessions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    opened_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, circle_id)
) WITHOUT ROWID;
CREATE INDEX attended_sessions_by_circle ON attended_sessions (circle_id);

-- Set once a circle's attendance has been summed up into attended_sessions. Circles that ended while the bot was
-- down are summed up at the next start or the next /streak in their server.
ALTER TABLE circles ADD COLUMN attendance_summed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX circles_to_sum ON circles (guild_id) WHERE status = 'ended' AND attendance_summed = 0;
