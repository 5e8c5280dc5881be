DROP TRIGGER revoked_tokens_feed;
DROP TRIGGER sessions_ended_feed;
DROP TABLE revocation_feed;
