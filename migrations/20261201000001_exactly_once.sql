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

-- Delivered messages: the body is dropped at once (the row stays a week for the record).
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
