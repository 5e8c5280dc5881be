DROP TRIGGER revoked_tokens_feed ON revoked_tokens;
DROP FUNCTION revocation_feed_token_revoked();
DROP TRIGGER sessions_ended_feed ON sessions;
DROP FUNCTION revocation_feed_session_ended();
DROP TABLE revocation_feed;
