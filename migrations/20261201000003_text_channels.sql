-- Channels whose ids are strings (Zalo): each external chat or user id gets a number, so the
-- engine, members, conversations and the outbox keep integer chat ids; only the channel's
-- adapter translates.
CREATE TABLE external_ids (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,             -- 'zalo'
    external_id  TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (channel, external_id)
);

-- Text-only channels (Zalo) show buttons as numbered options: the options a chat was last
-- sent, so that a number it replies with presses the right one (also after a restart).
CREATE TABLE text_menus (
    channel     TEXT    NOT NULL,
    chat_id     INTEGER NOT NULL,
    buttons     TEXT    NOT NULL,              -- JSON array of button data, in the numbering shown
    numeric     INTEGER NOT NULL DEFAULT 0,    -- 1: figures were expected (a bare number is a figure)
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (channel, chat_id)
) WITHOUT ROWID;
