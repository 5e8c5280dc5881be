-- One row per revoked token, keyed by its jti (the token itself is never stored). Rows whose token has
-- expired are pruned by expires_at.
CREATE TABLE revoked_tokens (
    jti        TEXT      PRIMARY KEY,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);
CREATE INDEX revoked_tokens_user_id_idx ON revoked_tokens (user_id);
