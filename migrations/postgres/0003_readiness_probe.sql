-- What /readyz writes to: ready means able to commit a write (SQLite on a disk that
-- refuses writes still answers reads), and this row is locked by nothing else, so a
-- probe never waits behind a key rotation (which locks keyset_version). Each replica
-- probes at most once a second however often it is asked; probes counts them all.
CREATE TABLE readiness_probe (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    probes BIGINT NOT NULL
);
INSERT INTO readiness_probe (id, probes) VALUES (1, 0);
