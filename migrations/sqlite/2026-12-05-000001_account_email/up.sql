-- Same tables as migrations/postgres. When the user proved they read their address (a verification
-- link, a password reset, an email change); NULL until then.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

-- Links sent by email (verify, reset, change). Only the SHA-256 of the token is kept: a dump of this
-- table opens nothing. A token is used once (used_at), and a newer one of the same kind, a reset or an
-- email change voids older ones (voided_at). user_id is NULL for a reset asked for an address that has no
-- account: the same rows are written either way, so the answer's timing tells nobody which it was.
CREATE TABLE email_tokens (
    token_hash TEXT      PRIMARY KEY NOT NULL,
    kind       TEXT      NOT NULL,
    user_id    BIGINT    REFERENCES users (id) ON DELETE CASCADE,
    -- the address the link went to (for an email change: the new address)
    email      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    voided_at  TIMESTAMP
);
CREATE INDEX email_tokens_user_id_kind_idx ON email_tokens (user_id, kind);
CREATE INDEX email_tokens_expires_at_idx ON email_tokens (expires_at);

-- The outbox: every email is a row written in the transaction of the change that causes it; a sender on
-- each instance claims due rows (FOR UPDATE SKIP LOCKED, and a lease in next_attempt_at), sends them and
-- marks them sent. A link's token is here only sealed with tokens.key_encryption_key, and only until the
-- email is sent. state: queued, sent, dead (gave up at give_up_at), no_account (a reset for an address
-- without an account: never sent, kept so that every address counts alike against the hourly cap).
CREATE TABLE outbox (
    id              INTEGER   PRIMARY KEY AUTOINCREMENT,
    kind            TEXT      NOT NULL,
    recipient       TEXT      NOT NULL,
    user_id         BIGINT,
    sealed_link     TEXT,
    -- what the email says besides the link (an email change's new address)
    detail          TEXT,
    state           TEXT      NOT NULL,
    attempts        BIGINT    NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    give_up_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX outbox_state_next_attempt_at_idx ON outbox (state, next_attempt_at);
CREATE INDEX outbox_recipient_created_at_idx ON outbox (recipient, created_at);
CREATE INDEX outbox_user_id_idx ON outbox (user_id);
