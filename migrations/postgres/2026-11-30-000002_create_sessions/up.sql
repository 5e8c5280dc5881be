-- A session per login. Refresh tokens are not stored: they are derived from the session id and its
-- generation with a server-side key, so this table alone lets nobody refresh a session.
CREATE TABLE sessions (
    id             TEXT      PRIMARY KEY NOT NULL,
    user_id        BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the generation of the one refresh token that is current; each rotation adds one
    generation     BIGINT    NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    last_active_at TIMESTAMP NOT NULL,
    -- when the latest rotation happened (the grace window for its consumed token runs from here)
    rotated_at     TIMESTAMP,
    ended_at       TIMESTAMP,
    end_reason     TEXT,
    user_agent     TEXT,
    ip             TEXT
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_ended_at_idx ON sessions (ended_at);
CREATE INDEX sessions_last_active_at_idx ON sessions (last_active_at);
