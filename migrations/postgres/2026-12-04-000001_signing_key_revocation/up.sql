-- When `auth-server keys revoke` took a key out of use (a leak): a revoked key is neither published nor
-- trusted, and never opened again.
ALTER TABLE signing_keys ADD COLUMN revoked_at TIMESTAMP;
