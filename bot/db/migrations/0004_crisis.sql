-- Crisis care: per-member preferences and the rate-limit record of crisis responses (never message text).

-- Per-server crisis settings. One row per server, created on first change; no row means the defaults:
-- the screen reads circle channels only, alerts are off, and no region is set.
CREATE TABLE crisis_settings (
    guild_id          INTEGER PRIMARY KEY,
    scope             TEXT    NOT NULL DEFAULT 'circles' CHECK (scope IN ('circles', 'server', 'off')),
    alert_channel_id  INTEGER,
    -- ISO 3166-1 alpha-2 code of the country whose helplines members see unless they chose their own.
    region            TEXT,
    updated_at        TEXT    NOT NULL
);

-- A member's own choices in one server: their country for helplines (an ISO code, or 'other' for a country the
-- table does not cover) and whether they opted out of the screen. Nothing about what they wrote.
CREATE TABLE crisis_member_prefs (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    country     TEXT,
    screen_off  INTEGER NOT NULL DEFAULT 0 CHECK (screen_off IN (0, 1)),
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- What the bot did, only so it never pesters: a check-in DM ('dm'), a facilitator alert ('alert'), or the member's
-- "I'm okay" ('okay'), with the screen's tier and categories and the time. No text, no message or channel id.
-- Rows are deleted once they are older than the 24-hour window they exist for.
CREATE TABLE crisis_responses (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('dm', 'alert', 'okay')),
    tier        INTEGER NOT NULL CHECK (tier BETWEEN 0 AND 3),
    categories  TEXT    NOT NULL DEFAULT '',
    at          TEXT    NOT NULL
);
CREATE INDEX crisis_responses_by_member ON crisis_responses (guild_id, user_id, at);
CREATE INDEX crisis_responses_by_time ON crisis_responses (at);
