-- Same table as migrations/postgres: readiness rewrites this row to prove the database can be written.
CREATE TABLE readiness_probe (
    id         BIGINT    PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, '1970-01-01 00:00:00');
