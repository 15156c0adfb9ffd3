-- Onboarding: servers the bot has welcomed, so the welcome is posted once per server, ever.
CREATE TABLE welcomed_guilds (
    guild_id  INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL
);
