-- Same table as migrations/postgres. The security event log: what happened, to whom, from where. Never a password, token or hash. No
-- foreign key to users: a user's events outlive the user (user_deleted is one of them).
CREATE TABLE auth_events (
    id            INTEGER   PRIMARY KEY AUTOINCREMENT,
    at            TIMESTAMP NOT NULL,
    kind          TEXT      NOT NULL,
    user_id       BIGINT,
    email         TEXT,
    ip            TEXT,
    user_agent    TEXT,
    session_id    TEXT,
    -- above 1 for aggregated kinds (login_throttled: one row per client, email and window)
    count         BIGINT    NOT NULL DEFAULT 1,
    aggregate_key TEXT      CONSTRAINT auth_events_aggregate_key_key UNIQUE
);
CREATE INDEX auth_events_at_idx ON auth_events (at);
CREATE INDEX auth_events_email_idx ON auth_events (email);
CREATE INDEX auth_events_user_id_idx ON auth_events (user_id);
