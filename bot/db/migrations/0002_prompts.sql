-- Reflective prompts: server prompts, per-server draw history, scheduled prompt posts.
-- No table here holds a user id: a server prompt belongs to the server, not to the admin who typed it.

-- Prompts a server wrote for itself, mixed into one of the shipped decks for that server only.
CREATE TABLE server_prompts (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    deck          TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    depth         TEXT    NOT NULL CHECK (depth IN ('light', 'medium', 'deep')),
    content_note  TEXT,
    created_at    TEXT    NOT NULL
);
CREATE INDEX server_prompts_by_guild ON server_prompts (guild_id, deck);

-- How deep a server's prompts may go. A server without a row is a new group: `light`.
CREATE TABLE prompt_settings (
    guild_id    INTEGER PRIMARY KEY,
    max_depth   TEXT    NOT NULL CHECK (max_depth IN ('light', 'medium', 'deep')),
    updated_at  TEXT    NOT NULL
);

-- The prompts a server has drawn in the current cycle of each deck (keys: shipped ids or `server:<n>`),
-- so no prompt repeats until its deck is used up, across restarts. A deck's keys are dropped when it starts over.
CREATE TABLE prompt_draws (
    guild_id    INTEGER NOT NULL,
    prompt_key  TEXT    NOT NULL,
    drawn_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, prompt_key)
);

-- The prompt that opens each round of a circle, so asking twice (or after a restart) gives the same one
-- and a facilitator's redraw replaces it.
CREATE TABLE circle_prompts (
    circle_id   INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    round       INTEGER NOT NULL CHECK (round >= 1),
    guild_id    INTEGER NOT NULL,
    deck        TEXT    NOT NULL,
    prompt_key  TEXT    NOT NULL,
    drawn_at    TEXT    NOT NULL,
    PRIMARY KEY (circle_id, round)
);

-- Prompts posted on a schedule. `recurrence` is the domain's Recurrence as JSON, in the server's timezone.
-- `next_due` (UTC) is the next post; it is moved on before a post is made, so a post is never made twice, and
-- at start-up a `next_due` in the past tells what was missed while the bot was down.
CREATE TABLE prompt_schedules (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    recurrence      TEXT    NOT NULL,
    deck            TEXT    NOT NULL,
    thread          INTEGER NOT NULL DEFAULT 0 CHECK (thread IN (0, 1)),
    next_due        TEXT    NOT NULL,
    last_posted_at  TEXT,
    created_at      TEXT    NOT NULL
);
CREATE INDEX prompt_schedules_by_guild ON prompt_schedules (guild_id);
