//! Users, clients, refresh families, the access-token denylist and login throttling,
//! in SQL that both engines run unchanged.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::sql::SqlStore;
use super::*;

fn user_from_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    let roles: String = row.try_get("roles")?;
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        roles: roles.split_whitespace().map(str::to_owned).collect(),
        disabled_at: row.try_get("disabled_at")?,
        sessions_revoked_at: row.try_get("sessions_revoked_at")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn family_from_row(row: &AnyRow) -> Result<FamilyRow, StoreError> {
    Ok(FamilyRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        scope: row.try_get("scope")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const USER_COLUMNS: &str =
    "id, email, password_hash, roles, disabled_at, sessions_revoked_at, created_at";

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &UserRow) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (id, email, password_hash, roles, disabled_at, sessions_revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.roles.join(" "))
        .bind(user.disabled_at)
        .bind(user.sessions_revoked_at)
        .bind(user.created_at)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn revoke_user_sessions(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        self.end_sessions(
            "UPDATE users SET sessions_revoked_at = $1 WHERE id = $2",
            id,
            now,
            "revoke_sessions",
        )
        .await
    }

    async fn disable_user(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        self.end_sessions(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $1), sessions_revoked_at = $1 WHERE id = $2",
            id,
            now,
            "user_disabled",
        )
        .await
    }
}

impl SqlStore {
    /// Marks the user with `user_update` and revokes every live family of theirs, atomically.
    async fn end_sessions(
        &self,
        user_update: &'static str,
        id: &str,
        now: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let found = sqlx::query(user_update)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2 \
             WHERE user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(found)
    }
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO clients (id, name, secret_hash, scopes, introspection, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&client.id)
            .bind(&client.name)
            .bind(client.secret_hash.clone())
            .bind(client.scopes.join(" "))
            .bind(i64::from(client.introspection))
            .bind(client.created_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn client_by_id(&self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, scopes, introspection, created_at FROM clients WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let scopes: String = row.try_get("scopes")?;
            let introspection: i64 = row.try_get("introspection")?;
            Ok(ClientRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                secret_hash: row.try_get("secret_hash")?,
                scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                introspection: introspection != 0,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }
}

/// Spends a live token of a live family, linking it to its child `$3`, and returns
/// what the access token needs, so a rotation is four round trips: BEGIN, this, the
/// child's INSERT, COMMIT. Zero rows means: unknown, expired, dead, or spent. (Scalar
/// subqueries, because SQLite's RETURNING cannot name other tables.)
pub(super) const SPEND: &str = "UPDATE refresh_tokens SET used_at = $1, child_hash = $3 \
    WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 \
    AND family_id IN (SELECT id FROM refresh_families WHERE id = refresh_tokens.family_id AND revoked_at IS NULL AND expires_at > $1) \
    RETURNING family_id AS id, \
    (SELECT f.user_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS user_id, \
    (SELECT f.client_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS client_id, \
    (SELECT f.scope FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS scope, \
    (SELECT f.expires_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS expires_at, \
    (SELECT f.revoked_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS revoked_at, \
    (SELECT u.roles FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS roles, \
    (SELECT u.disabled_at FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS disabled_at";

/// The same columns as `SPEND` returns, for the grace path.
pub(super) const FAMILY_FOR_ROTATION: &str =
    "SELECT f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at, u.roles, u.disabled_at \
     FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = $1";

/// The child inherits the family and never outlives the family's absolute expiry.
const INSERT_CHILD: &str =
    "INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at) \
    SELECT $1, id, $2, $3, CASE WHEN $4 < expires_at THEN $4 ELSE expires_at END \
    FROM refresh_families WHERE id = $5";

#[async_trait]
impl FamilyStore for SqlStore {
    async fn start_family(&self, f: &NewFamily) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&f.id)
        .bind(&f.user_id)
        .bind(f.client_id.clone())
        .bind(&f.scope)
        .bind(f.created_at)
        .bind(f.expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(f.first_token_hash.clone())
            .bind(&f.id)
            .bind(f.created_at)
            .bind(f.first_token_expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_refresh(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        match self.rotation_queue() {
            Some(queue) => queue.rotate(r).await,
            // A store made outside a runtime has no lanes to queue for.
            None => self.rotate(r).await,
        }
    }

    async fn family_of_token(&self, hash: &[u8]) -> Result<Option<FamilyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at FROM refresh_tokens t \
             JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1",
        )
        .bind(hash.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(family_from_row).transpose()
    }

    async fn revoke_family(
        &self,
        family_id: &str,
        now: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(family_id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn deny_access_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO access_denylist (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn access_token_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        sub: &str,
        iat: i64,
    ) -> Result<bool, StoreError> {
        // Strictly before: a same-second login after revoke-all is a new family, and
        // families are revoked too, so no earlier token slips through.
        // A `sid` must name a live family: a revoked family's row is purged one day, and
        // from then on "not revoked" would have read as live (a logged-out session
        // coming back). Tokens without a `sid` (client credentials) have no family.
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM access_denylist WHERE jti = $1) \
             + (CASE WHEN $2 IS NULL THEN 0 \
                     WHEN EXISTS (SELECT 1 FROM refresh_families WHERE id = $2 AND revoked_at IS NULL) THEN 0 \
                     ELSE 1 END) \
             + (SELECT COUNT(*) FROM users WHERE id = $3 AND (disabled_at IS NOT NULL OR sessions_revoked_at > $4)) \
             AS dead",
        )
        .bind(jti)
        .bind(sid.map(str::to_owned))
        .bind(sub)
        .bind(iat)
        .fetch_one(&self.pool)
        .await?;
        let dead: i64 = row.try_get("dead")?;
        Ok(dead > 0)
    }

    async fn families_with_keys_between(
        &self,
        from: &[u8],
        until: &[u8],
        sample_at: i64,
        sample: &[u8],
    ) -> Result<Vec<String>, StoreError> {
        // A range of the primary key (keys lead with their issue time); SQL's substr
        // counts from 1.
        let rows = sqlx::query(
            "SELECT DISTINCT family_id FROM refresh_tokens \
             WHERE hash >= $1 AND hash < $2 AND substr(hash, CAST($3 AS INTEGER), 2) <= $4",
        )
        .bind(from.to_vec())
        .bind(until.to_vec())
        .bind(sample_at + 1)
        .bind(sample.to_vec())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("family_id")?))
            .collect()
    }

    async fn trim_family_history(&self, family_id: &str, keep: i64) -> Result<u64, StoreError> {
        // Newest by issue time: created_at first (legacy keys are bare hashes), then the
        // key's millisecond stamp.
        let done = sqlx::query(
            "DELETE FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL \
             AND hash NOT IN (SELECT hash FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL \
               ORDER BY created_at DESC, hash DESC LIMIT $2)",
        )
        .bind(family_id)
        .bind(keep)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired(
        &self,
        now: i64,
        families_expired_by: i64,
        batch: i64,
    ) -> Result<u64, StoreError> {
        // Whole families, tokens included (ON DELETE CASCADE), that expired at or before
        // `families_expired_by`; `SessionService::purge_expired` says why that is not `now`.
        let mut purged = sqlx::query(
            "DELETE FROM refresh_families WHERE id IN (SELECT id FROM refresh_families WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(families_expired_by)
        .bind(batch)
        .execute(&self.writer)
        .await?
        .rows_affected();
        for sql in [
            // Unused tokens past their idle expiry; spent ones stay so reuse is still recognised.
            "DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens WHERE used_at IS NULL AND expires_at <= $1 LIMIT $2)",
            "DELETE FROM access_denylist WHERE jti IN (SELECT jti FROM access_denylist WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM login_throttle WHERE subject IN (SELECT subject FROM login_throttle \
             WHERE window_start <= $1 - 86400 AND (blocked_until IS NULL OR blocked_until <= $1) LIMIT $2)",
        ] {
            purged += sqlx::query(sql).bind(now).bind(batch).execute(&self.writer).await?.rows_affected();
        }
        Ok(purged)
    }
}

impl SqlStore {
    /// Spends the presented token and issues its child in one transaction; anything
    /// else that token can be (reuse, grace, dead) is decided in the same transaction.
    pub(super) async fn rotate(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let spent = sqlx::query(SPEND)
            .bind(r.now)
            .bind(r.presented.to_vec())
            .bind(r.child.to_vec())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = spent {
            let family = family_from_row(&row)?;
            insert_child(
                &mut tx,
                r.child,
                r.presented,
                r.now,
                r.now + r.idle_ttl,
                &family.id,
            )
            .await?;
            return finish_rotation(tx, family, &row, r.client).await;
        }
        settle_unspent(tx, r).await
    }
}

/// Settles a presentation whose token `SPEND` did not spend: unknown or dead (nothing
/// changes), the grace case (its unused child is spent instead), or reuse (the family
/// is revoked), in the transaction `tx`.
pub(super) async fn settle_unspent(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    r: &Rotation<'_>,
) -> Result<RotateOutcome, StoreError> {
    let found = sqlx::query(
        "SELECT t.family_id, t.used_at, f.user_id, f.revoked_at, f.expires_at FROM refresh_tokens t \
         JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1",
    )
    .bind(r.presented.to_vec())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = found else {
        return Ok(RotateOutcome::Invalid);
    };
    let family_id: String = row.try_get("family_id")?;
    let user_id: String = row.try_get("user_id")?;
    let used_at: Option<i64> = row.try_get("used_at")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    let family_expires_at: i64 = row.try_get("expires_at")?;
    let Some(used_at) = used_at else {
        // Unused yet not spendable: expired or of a dead family.
        return Ok(RotateOutcome::Invalid);
    };
    if revoked_at.is_some() || family_expires_at <= r.now {
        return Ok(RotateOutcome::Invalid);
    }
    if r.grace > 0 && r.now - used_at <= r.grace {
        // The client may have lost the answer: spend the unused child instead.
        let child = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1, child_hash = $3 \
             WHERE hash = (SELECT child_hash FROM refresh_tokens WHERE hash = $2) \
             AND used_at IS NULL AND expires_at > $1 RETURNING hash",
        )
        .bind(r.now)
        .bind(r.presented.to_vec())
        .bind(r.child.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(child) = child {
            let child_hash: Vec<u8> = child.try_get("hash")?;
            insert_child(
                &mut tx,
                r.child,
                &child_hash,
                r.now,
                r.now + r.idle_ttl,
                &family_id,
            )
            .await?;
            let row = sqlx::query(FAMILY_FOR_ROTATION)
                .bind(&family_id)
                .fetch_one(&mut *tx)
                .await?;
            let family = family_from_row(&row)?;
            return finish_rotation(tx, family, &row, r.client).await;
        }
    }
    sqlx::query("UPDATE refresh_families SET revoked_at = $1, revoked_reason = 'reuse' WHERE id = $2 AND revoked_at IS NULL")
        .bind(r.now)
        .bind(&family_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(RotateOutcome::Reused { family_id, user_id })
}

/// Commits the rotation only if the presenting client may use this family and the
/// user is active; `row` carries the user's `roles` and `disabled_at`.
async fn finish_rotation(
    tx: sqlx::Transaction<'static, sqlx::Any>,
    family: FamilyRow,
    row: &AnyRow,
    client: Option<&str>,
) -> Result<RotateOutcome, StoreError> {
    let outcome = verdict(family, row, client)?;
    if matches!(outcome, RotateOutcome::Rotated { .. }) {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(outcome)
}

/// What a spent token of `family` allows: the rotation, unless the family is bound
/// to another client or the user is disabled (`row` carries `roles`, `disabled_at`).
pub(super) fn verdict(
    family: FamilyRow,
    row: &AnyRow,
    client: Option<&str>,
) -> Result<RotateOutcome, StoreError> {
    let disabled: Option<i64> = row.try_get("disabled_at")?;
    Ok(
        if family.client_id.is_some() && family.client_id.as_deref() != client {
            RotateOutcome::WrongClient
        } else if disabled.is_some() {
            RotateOutcome::Invalid
        } else {
            let roles: String = row.try_get("roles")?;
            let roles = roles.split_whitespace().map(str::to_owned).collect();
            RotateOutcome::Rotated { family, roles }
        },
    )
}

async fn insert_child(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    child: &[u8],
    parent: &[u8],
    now: i64,
    idle_expiry: i64,
    family_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(INSERT_CHILD)
        .bind(child.to_vec())
        .bind(parent.to_vec())
        .bind(now)
        .bind(idle_expiry)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A new window starts: the old one has passed, or a block has ended.
const FRESH_WINDOW: &str =
    "(login_throttle.window_start <= $2 - $3 OR login_throttle.blocked_until <= $2)";

/// The rule of `sessions::throttle` (`Limit::reserve`), one statement. Refusals of a
/// blocked or busy subject update nothing and return no row; a refusal that blocks
/// returns the row with `blocked_until` set; a reservation returns the row it counted in.
fn reserve_sql() -> String {
    let fresh = FRESH_WINDOW;
    format!(
        "INSERT INTO login_throttle (subject, failures, pending, window_start, blocked_until) \
         VALUES ($1, 1, 1, $2, NULL) \
         ON CONFLICT (subject) DO UPDATE SET \
           failures = CASE WHEN {fresh} THEN 1 \
             WHEN login_throttle.failures < $4 THEN login_throttle.failures + 1 \
             ELSE login_throttle.failures END, \
           pending = CASE WHEN {fresh} THEN 1 \
             WHEN login_throttle.failures < $4 THEN login_throttle.pending + 1 \
             ELSE login_throttle.pending END, \
           window_start = CASE WHEN {fresh} THEN $2 ELSE login_throttle.window_start END, \
           blocked_until = CASE WHEN {fresh} OR login_throttle.failures < $4 THEN NULL \
             ELSE $2 + $5 END \
         WHERE (login_throttle.blocked_until IS NULL OR login_throttle.blocked_until <= $2) \
           AND ({fresh} OR login_throttle.failures < $4 OR login_throttle.pending = 0) \
         RETURNING window_start, blocked_until"
    )
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn reserve_attempt(
        &self,
        subject: &str,
        now: i64,
        limit: i64,
        window: i64,
        block: i64,
    ) -> Result<Reservation, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(reserve_sql()))
            .bind(subject)
            .bind(now)
            .bind(window)
            .bind(limit)
            .bind(block)
            .fetch_optional(&self.writer)
            .await?;
        if let Some(row) = row {
            let until: Option<i64> = row.try_get("blocked_until")?;
            return Ok(match until {
                Some(until) => Reservation::Blocked { until },
                None => Reservation::Reserved {
                    window_start: row.try_get("window_start")?,
                },
            });
        }
        // Refused without a change: blocked, or busy. Which one is only for the answer.
        Ok(match self.throttle_counter(subject).await? {
            Some(ThrottleCounter {
                blocked_until: Some(until),
                ..
            }) if until > now => Reservation::Blocked { until },
            _ => Reservation::Busy,
        })
    }

    async fn settle_failure(&self, subject: &str, window_start: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_throttle SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE subject = $1 AND window_start = $2",
        )
        .bind(subject)
        .bind(window_start)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn give_back_attempt(&self, subject: &str, window_start: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_throttle SET \
               failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
               pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE subject = $1 AND window_start = $2",
        )
        .bind(subject)
        .bind(window_start)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn throttle_counter(&self, subject: &str) -> Result<Option<ThrottleCounter>, StoreError> {
        let row = sqlx::query(
            "SELECT failures, pending, window_start, blocked_until FROM login_throttle WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(ThrottleCounter {
                failures: row.try_get("failures")?,
                pending: row.try_get("pending")?,
                window_start: row.try_get("window_start")?,
                blocked_until: row.try_get("blocked_until")?,
            })
        })
        .transpose()
    }

    async fn clear_failures(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
            .bind(subject)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
