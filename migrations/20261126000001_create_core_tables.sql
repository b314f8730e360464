-- Campaigns: one per form file code; the deadline can be changed by an operator.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    deadline_utc  TEXT    NOT NULL,            -- RFC 3339, UTC
    created_at    TEXT    NOT NULL
);

-- Reporting units (base Party organisations).
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('dang_bo', 'chi_bo')),
    commune     INTEGER NOT NULL DEFAULT 0,    -- 1 for đảng bộ xã, thị trấn
    cell_types  TEXT    NOT NULL DEFAULT '',   -- ';'-separated default cell-type codes
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- People who talk to the bot, bound to a unit (secretaries) or to the district (board).
CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL UNIQUE,   -- Telegram user id (console: a local id)
    chat_id         INTEGER NOT NULL,
    display_name    TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('secretary', 'board')),
    unit_id         INTEGER REFERENCES units (id),
    unreachable_at  TEXT,                      -- set when Telegram says the bot is blocked
    created_at      TEXT    NOT NULL,
    CHECK (role = 'board' OR unit_id IS NOT NULL)
);
CREATE INDEX members_unit ON members (unit_id);

-- Single-use invite codes (deep-link payloads).
CREATE TABLE invites (
    code        TEXT    PRIMARY KEY,
    unit_id     INTEGER REFERENCES units (id),
    role        TEXT    NOT NULL CHECK (role IN ('secretary', 'board')),
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES members (id)
);

-- One report per campaign and unit; its status drives locking and reminders.
CREATE TABLE reports (
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    status        TEXT    NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'returned', 'accepted')),
    submitted_at  TEXT,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, unit_id)
);

-- Every status change of a report: who, when, why.
CREATE TABLE report_events (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    action       TEXT    NOT NULL,             -- submit, return, accept
    actor        INTEGER REFERENCES members (id),
    note         TEXT,
    at           TEXT    NOT NULL
);

-- The cell types (rows of the tables) this unit reports in this campaign.
CREATE TABLE report_rows (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    cell_type    TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, unit_id, cell_type)
);

-- Current answers: narrative headings (row = ''), header fields HD.* (row = ''),
-- and table figures (key = 'B1.cells_total', row = cell-type code). NULL value = blank.
CREATE TABLE answers (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    key          TEXT    NOT NULL,
    row          TEXT    NOT NULL DEFAULT '',
    value        TEXT,
    updated_at   TEXT    NOT NULL,
    updated_by   INTEGER REFERENCES members (id),
    PRIMARY KEY (campaign_id, unit_id, key, row)
);

-- Every change to an answer.
CREATE TABLE answer_history (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    key          TEXT    NOT NULL,
    row          TEXT    NOT NULL DEFAULT '',
    old_value    TEXT,
    new_value    TEXT,
    changed_at   TEXT    NOT NULL,
    changed_by   INTEGER REFERENCES members (id)
);
CREATE INDEX answer_history_unit ON answer_history (campaign_id, unit_id);

-- Warnings the secretary has confirmed as correct (shown to the board).
CREATE TABLE confirmed_warnings (
    campaign_id   INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id       INTEGER NOT NULL REFERENCES units (id),
    rule_id       TEXT    NOT NULL,
    row           TEXT    NOT NULL DEFAULT '',
    message       TEXT    NOT NULL,
    confirmed_at  TEXT    NOT NULL,
    confirmed_by  INTEGER REFERENCES members (id),
    PRIMARY KEY (campaign_id, unit_id, rule_id, row)
);

-- Conversation state per chat (serde JSON of the engine's state enum).
CREATE TABLE conversations (
    chat_id     INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

-- Messages decided inside a transaction and not yet delivered.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    body        TEXT    NOT NULL,              -- serde JSON of the outgoing message
    created_at  TEXT    NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_unsent ON outbox (sent_at) WHERE sent_at IS NULL;
