-- One row per reminder target and moment: the unique key makes every reminder go out once,
-- across restarts, outages and manual passes.
CREATE TABLE reminders_sent (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    target       TEXT    NOT NULL,   -- 'unit:<id>' or 'board:<member id>'
    moment       TEXT    NOT NULL,   -- the scheduled instant (RFC 3339, UTC), or 'manual:<instant>'
    kind         TEXT    NOT NULL,   -- before, deadline, overdue, manual, summary
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, target, moment)
);

-- Delivery attempts, so a message that can never be delivered stops being retried.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
