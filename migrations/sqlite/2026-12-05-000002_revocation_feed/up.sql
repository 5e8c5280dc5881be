-- Same table and triggers as migrations/postgres: one row per revocation, written by triggers, so that no
-- path that ends a session or revokes a token can forget to. No user id, no email.
CREATE TABLE revocation_feed (
    id             INTEGER   PRIMARY KEY AUTOINCREMENT,
    sid            TEXT,
    jti            TEXT,
    last_issued_at TIMESTAMP,
    expires_at     TIMESTAMP
);
CREATE INDEX revocation_feed_last_issued_at_idx ON revocation_feed (last_issued_at);
CREATE INDEX revocation_feed_expires_at_idx ON revocation_feed (expires_at);

CREATE TRIGGER sessions_ended_feed AFTER UPDATE OF ended_at ON sessions
    WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
BEGIN
    INSERT INTO revocation_feed (sid, last_issued_at) VALUES (NEW.id, NEW.last_active_at);
END;

CREATE TRIGGER revoked_tokens_feed AFTER INSERT ON revoked_tokens
BEGIN
    INSERT INTO revocation_feed (jti, expires_at) VALUES (NEW.jti, NEW.expires_at);
END;
