-- "Talk to a facilitator" is answered once per check-in: the check-in DM it came from is marked here. It holds no
-- user id of its own: the check-in row names the member, and deleting that row (the day is over, or the member
-- deleted their data) deletes this one with it.
CREATE TABLE crisis_talks (
    response_id  INTEGER PRIMARY KEY REFERENCES crisis_responses (id) ON DELETE CASCADE
);
