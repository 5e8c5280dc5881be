-- One row that readiness rewrites: the only way to know the database can still be written (a full disk,
-- a read-only file or mount, a read-only replica) is to write and commit.
CREATE TABLE readiness_probe (
    id         BIGINT    PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, TIMESTAMP '1970-01-01 00:00:00');
