-- Addresses: a member, a conversation and an outgoing message belong to a channel
-- ('telegram', 'console', later 'zalo' and 'web') as well as that channel's chat id.
ALTER TABLE members ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
UPDATE members SET channel = 'console' WHERE user_id < 0;   -- the console's local users

CREATE TABLE conversations_addressed (
    channel     TEXT    NOT NULL,
    chat_id     INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (channel, chat_id)
) WITHOUT ROWID;
INSERT INTO conversations_addressed (channel, chat_id, state, updated_at)
SELECT CASE WHEN chat_id IN (SELECT chat_id FROM members WHERE channel = 'console') THEN 'console' ELSE 'telegram' END,
       chat_id, state, updated_at
FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_addressed RENAME TO conversations;

-- The outbox worker: one sender per channel claims a row before sending it (the claim
-- expires, so a dead sender's rows are taken over), retries it with a growing pause, and gives
-- up after a cap of attempts (failed_at; shown to the board).
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
UPDATE outbox SET channel = 'console' WHERE chat_id IN (SELECT chat_id FROM members WHERE channel = 'console');
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
ALTER TABLE outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN failed_at TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
DROP INDEX outbox_unsent;
-- Pending messages in order (what to claim next), and by chat (what holds a chat back).
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_pending_chat ON outbox (channel, chat_id, id) WHERE sent_at IS NULL AND failed_at IS NULL;
