ALTER TABLE sessions DROP COLUMN tokens_revoked;
