-- Ed25519 signing keys shared by every instance. The private key is sealed with
-- tokens.key_encryption_key (XChaCha20-Poly1305, bound to the kid): a dump of this table signs nothing.
-- previous_kid is unique: of two instances rotating after the same key, exactly one adds its own.
CREATE TABLE signing_keys (
    kid                TEXT      PRIMARY KEY NOT NULL,
    previous_kid       TEXT      NOT NULL CONSTRAINT signing_keys_previous_kid_key UNIQUE,
    created_at         TIMESTAMP NOT NULL,
    signs_from         TIMESTAMP NOT NULL,
    public_key         TEXT      NOT NULL,
    sealed_private_key TEXT      NOT NULL
);
