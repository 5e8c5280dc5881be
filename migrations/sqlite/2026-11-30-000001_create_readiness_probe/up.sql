-- Same table as migrations/postgres: readiness rewrites this row to prove the database can be written.
CREATE TABLE readiness_probe (
    id         BIGINT    PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL,
    -- rewritten with 16 KiB on each check: more than any one write of the service, so that readiness
    -- fails before the writes do when the disk fills up
    padding    TEXT      NOT NULL DEFAULT ''
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, '1970-01-01 00:00:00');
