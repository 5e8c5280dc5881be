-- Same table as migrations/postgres. Foreign keys need PRAGMA foreign_keys = ON, set on every connection.
CREATE TABLE revoked_tokens (
    jti        TEXT      PRIMARY KEY NOT NULL,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);
CREATE INDEX revoked_tokens_user_id_idx ON revoked_tokens (user_id);
