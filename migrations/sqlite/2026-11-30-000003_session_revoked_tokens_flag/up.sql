-- Set when a token of a session that stays live is revoked (a logout with scope=others keeps the
-- caller's session but revokes its token). Only then does checking a session's token also look in
-- revoked_tokens: every other end of a session's tokens is the session's own ended_at.
ALTER TABLE sessions ADD COLUMN tokens_revoked BOOLEAN NOT NULL DEFAULT FALSE;
