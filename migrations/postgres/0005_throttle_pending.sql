-- Login attempts are reserved before their password is hashed: `failures` counts the
-- reservations of the window (a success gives its reservation back), `pending` those
-- whose check has not finished. With both, a refusal can tell a subject that failed
-- `limit` times (blocked) from one whose limit is taken by checks still running (wait).
ALTER TABLE login_throttle ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
