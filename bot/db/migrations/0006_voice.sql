-- Voice and stage circles: every server mute and stage speaker change the bot made, and pending unmutes.
-- A row means "the bot did this and has not undone it yet". Discord keeps a server mute across channels and
-- refuses to change the mute of someone not connected to voice, so an unmute that could not be made is kept
-- with `pending = 1` and made the next time the member is seen in voice, in any channel of the server.
-- The bot never undoes what it did not do: a moderator's own mute has no row here.
CREATE TABLE voice_changes (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('mute', 'speaker')),
    circle_id   INTEGER NOT NULL,
    pending     INTEGER NOT NULL DEFAULT 0,
    at          TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, kind)
);
CREATE INDEX voice_changes_by_circle ON voice_changes (circle_id);
