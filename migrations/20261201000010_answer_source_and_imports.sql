-- Where an answer came from: typed in the chat, read from an Excel file, or saved from the
-- web form. The history keeps it for every change.
ALTER TABLE answers ADD COLUMN source TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE answer_history ADD COLUMN source TEXT NOT NULL DEFAULT 'chat';

DROP TRIGGER answers_history_insert;
DROP TRIGGER answers_history_update;

CREATE TRIGGER answers_history_insert AFTER INSERT ON answers
BEGIN
    INSERT INTO answer_history (campaign_id, unit_id, key, row, old_value, new_value, changed_at, changed_by, source)
    VALUES (NEW.campaign_id, NEW.unit_id, NEW.key, NEW.row, NULL, NEW.value, NEW.updated_at, NEW.updated_by, NEW.source);
END;

CREATE TRIGGER answers_history_update AFTER UPDATE OF value ON answers
WHEN OLD.value IS NOT NEW.value
BEGIN
    INSERT INTO answer_history (campaign_id, unit_id, key, row, old_value, new_value, changed_at, changed_by, source)
    VALUES (NEW.campaign_id, NEW.unit_id, NEW.key, NEW.row, OLD.value, NEW.value, NEW.updated_at, NEW.updated_by, NEW.source);
END;

-- A filled template waits here for the secretary's confirmation; it is applied once, in one
-- transaction, or cancelled. `changes` is the JSON list of [key, row, value] it would write.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    member_id     INTEGER REFERENCES members (id),
    file_name     TEXT    NOT NULL,
    changes       TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,             -- UTC, seconds since 1970
    applied_at    INTEGER,
    cancelled_at  INTEGER
);
CREATE INDEX imports_unit ON imports (campaign_id, unit_id);

-- Saves from the web form, by their idempotency key: a save sent twice is applied once.
CREATE TABLE web_saves (
    key        TEXT    PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    saved_at   INTEGER NOT NULL                 -- UTC, seconds since 1970
) WITHOUT ROWID;
