-- Units keep the order of the imported list (the committee's own order), not of their codes.
-- Existing units keep the order they were added in.
ALTER TABLE units ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
UPDATE units SET ordinal = id;

-- The merged report's own number and date, set by the board (`/tonghop so … ngay …` or
-- `chibo-bot campaign report`); no row: no number yet, and the deadline's date.
CREATE TABLE campaign_report (
    campaign_id    INTEGER PRIMARY KEY REFERENCES campaigns (id),
    report_number  TEXT,                       -- «25-BC/HU»
    report_date    TEXT,                       -- YYYY-MM-DD, Vietnam date
    updated_at     TEXT    NOT NULL
);
