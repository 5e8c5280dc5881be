-- Failed logins per (client, email), per email and per client, and registrations per client, shared
-- by every instance. id is "<kind>:<subject>"; email is set for the counters `user unlock` clears.
CREATE TABLE attempt_counters (
    id                TEXT      PRIMARY KEY NOT NULL,
    kind              TEXT      NOT NULL,
    email             TEXT,
    window_started_at TIMESTAMP NOT NULL,
    attempts          BIGINT    NOT NULL,
    blocked_until     TIMESTAMP
);
CREATE INDEX attempt_counters_email_idx ON attempt_counters (email);
CREATE INDEX attempt_counters_window_started_at_idx ON attempt_counters (window_started_at);
