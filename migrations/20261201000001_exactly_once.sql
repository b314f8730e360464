-- Every update a channel delivered and the bot applied, written in the same transaction as
-- its effects: a re-delivered update is recognised and skipped. The highest id per channel is
-- where polling resumes after a restart. Rows older than a few days are pruned (Telegram keeps
-- an unconfirmed update for 24 hours at most).
CREATE TABLE processed_updates (
    channel     TEXT    NOT NULL,              -- 'telegram'
    update_id   INTEGER NOT NULL,
    applied_at  TEXT    NOT NULL,
    failed      INTEGER NOT NULL DEFAULT 0,    -- 1: the step failed and got the temporary-error reply
    PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;

-- Answers and their history are most of a campaign's data, so they are kept compact:
-- answers are clustered by their key (WITHOUT ROWID: no second index repeating the key), and
-- both record their time as UTC seconds since 1970 (INTEGER) instead of RFC 3339 text.
CREATE TABLE answers_keyed (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    key          TEXT    NOT NULL,
    row          TEXT    NOT NULL DEFAULT '',
    value        TEXT,
    updated_at   INTEGER NOT NULL,             -- UTC, seconds since 1970
    updated_by   INTEGER REFERENCES members (id),
    PRIMARY KEY (campaign_id, unit_id, key, row)
) WITHOUT ROWID;
INSERT INTO answers_keyed
SELECT campaign_id, unit_id, key, row, value, CAST(strftime('%s', updated_at) AS INTEGER), updated_by FROM answers;
DROP TABLE answers;
ALTER TABLE answers_keyed RENAME TO answers;

CREATE TABLE answer_history_compact (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    key          TEXT    NOT NULL,
    row          TEXT    NOT NULL DEFAULT '',
    old_value    TEXT,
    new_value    TEXT,
    changed_at   INTEGER NOT NULL,             -- UTC, seconds since 1970
    changed_by   INTEGER REFERENCES members (id)
);
INSERT INTO answer_history_compact
SELECT id, campaign_id, unit_id, key, row, old_value, new_value, CAST(strftime('%s', changed_at) AS INTEGER), changed_by
FROM answer_history;
DROP TABLE answer_history;
ALTER TABLE answer_history_compact RENAME TO answer_history;
CREATE INDEX answer_history_unit ON answer_history (campaign_id, unit_id);

-- The answer history is written by the database itself, so one statement saves an answer
-- and its history row (and an unchanged value writes neither).

CREATE TRIGGER answers_history_insert AFTER INSERT ON answers
BEGIN
    INSERT INTO answer_history (campaign_id, unit_id, key, row, old_value, new_value, changed_at, changed_by)
    VALUES (NEW.campaign_id, NEW.unit_id, NEW.key, NEW.row, NULL, NEW.value, NEW.updated_at, NEW.updated_by);
END;

CREATE TRIGGER answers_history_update AFTER UPDATE OF value ON answers
WHEN OLD.value IS NOT NEW.value
BEGIN
    INSERT INTO answer_history (campaign_id, unit_id, key, row, old_value, new_value, changed_at, changed_by)
    VALUES (NEW.campaign_id, NEW.unit_id, NEW.key, NEW.row, OLD.value, NEW.value, NEW.updated_at, NEW.updated_by);
END;

-- A member removed by an administrator keeps their row (answers and events refer to it) but
-- loses access at once; a new invite binds them again.
ALTER TABLE members ADD COLUMN removed_at TEXT;

-- A message's content lives apart from its delivery record and is deleted once delivered,
-- so delivered messages leave only a small row (kept a week, then pruned) and no sparse pages.
CREATE TABLE outbox_bodies (
    id    INTEGER PRIMARY KEY,                 -- = outbox.id
    body  TEXT    NOT NULL                     -- serde JSON of the outgoing message
);
INSERT INTO outbox_bodies (id, body) SELECT id, body FROM outbox WHERE sent_at IS NULL;
ALTER TABLE outbox DROP COLUMN body;
