-- Same table as migrations/postgres; emails are stored trimmed and lower-cased by the application.
CREATE TABLE users (
    id            INTEGER   PRIMARY KEY AUTOINCREMENT,
    email         TEXT      NOT NULL CONSTRAINT users_email_key UNIQUE,
    password      TEXT      NOT NULL,
    registered_on TIMESTAMP NOT NULL,
    admin         BOOLEAN   NOT NULL DEFAULT FALSE
);
