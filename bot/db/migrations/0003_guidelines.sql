-- Community guidelines: rules, acceptances, filters, warnings, mod-log cases.
-- No table here holds message text: a filter hit records which filter fired, never what was said.

-- The group's agreements, one row per server once an admin wrote them or adopted the defaults.
-- `rules` is a JSON list of strings; every edit bumps `version`, and members accept a version.
CREATE TABLE guideline_rules (
    guild_id    INTEGER PRIMARY KEY,
    version     INTEGER NOT NULL CHECK (version >= 1),
    rules       TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- The latest version of the rules each member agreed to, and when (one row per member: the least that works).
CREATE TABLE rule_acceptances (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    accepted_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Word filters an admin set up. A filter belongs to the server, not to the admin who typed it.
CREATE TABLE guideline_filters (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('phrase', 'pattern')),
    text        TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('delete', 'warn', 'alert')),
    scope       TEXT    NOT NULL CHECK (scope IN ('circles', 'server')),
    created_at  TEXT    NOT NULL
);
CREATE INDEX guideline_filters_by_guild ON guideline_filters (guild_id);

-- Moderation settings. A server without a row uses the defaults: no mod log, points last 30 days, the default
-- ladder, the default appeal text. `ladder` is a JSON list of {points, action, seconds}; NULL means the default.
CREATE TABLE moderation_settings (
    guild_id            INTEGER PRIMARY KEY,
    mod_log_channel_id  INTEGER,
    warn_expiry_days    INTEGER NOT NULL DEFAULT 30 CHECK (warn_expiry_days BETWEEN 1 AND 365),
    appeal_text         TEXT,
    ladder              TEXT,
    updated_at          TEXT    NOT NULL
);

-- The mod log: every filter hit, warning, timeout, ladder alert, pardon and rules edit, numbered per server.
-- `user_id` is the member the case is about (NULL for a rules edit); `actor_user_id` who acted (NULL: the bot).
-- A warning carries `points`; a pardon sets `pardoned_at` and `pardon_number` on the warning it lifts and
-- `refers_to` (a case number) on itself; a timeout refers to the warning that caused it.
CREATE TABLE mod_cases (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    number            INTEGER NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('filter', 'warning', 'timeout', 'alert', 'pardon', 'rules')),
    user_id           INTEGER,
    actor_user_id     INTEGER,
    points            INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    reason            TEXT,
    rule_number       INTEGER,
    filter_id         INTEGER,
    action            TEXT,
    channel_id        INTEGER,
    refers_to         INTEGER,
    duration_seconds  INTEGER,
    note              TEXT,
    pardoned_at       TEXT,
    pardon_number     INTEGER,
    log_message_id    INTEGER,
    created_at        TEXT    NOT NULL,
    UNIQUE (guild_id, number)
);
CREATE INDEX mod_cases_by_member ON mod_cases (guild_id, user_id, kind);
CREATE INDEX mod_cases_by_actor ON mod_cases (actor_user_id) WHERE actor_user_id IS NOT NULL;
