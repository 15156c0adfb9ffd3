-- Each reminder DM of a session, recorded as soon as it is sent (or refused), so a stop in the middle of a batch
-- neither loses the rest nor sends one twice: the next start sends only to those without a row.
CREATE TABLE series_reminder_sends (
    series_id   INTEGER NOT NULL REFERENCES circle_series (id) ON DELETE CASCADE,
    starts_at   TEXT    NOT NULL,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (series_id, starts_at, user_id)
);
