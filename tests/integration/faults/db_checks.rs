//! What a crash left in the database, read directly with sqlx (the schema is in
//! `migrations/*/0001_initial.sql`), not through the server that might hide it.

use sqlx::{AnyConnection, Connection, Row};

#[derive(Debug)]
pub struct FamilyAudit {
    pub families: i64,
    pub revoked_families: i64,
    pub tokens: i64,
    pub spent_tokens: i64,
    /// Live families without exactly one unspent token: a rotation cut in half
    /// (two live tokens, or none, so the session is lost).
    pub live_families_without_one_live_token: i64,
    /// Spent tokens without exactly one child: spent but never replaced.
    pub spent_tokens_without_one_child: i64,
    /// Families without any token: a login cut in half.
    pub families_without_tokens: i64,
    pub current_keys: i64,
    pub next_keys: i64,
}

async fn count(conn: &mut AnyConnection, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get::<i64, _>(0)
        .unwrap()
}

pub async fn audit(url: &str) -> FamilyAudit {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url)
        .await
        .expect("the database opens");
    let audit = FamilyAudit {
        families: count(&mut conn, "SELECT COUNT(*) FROM refresh_families").await,
        revoked_families: count(
            &mut conn,
            "SELECT COUNT(*) FROM refresh_families WHERE revoked_at IS NOT NULL",
        )
        .await,
        tokens: count(&mut conn, "SELECT COUNT(*) FROM refresh_tokens").await,
        spent_tokens: count(
            &mut conn,
            "SELECT COUNT(*) FROM refresh_tokens WHERE used_at IS NOT NULL",
        )
        .await,
        live_families_without_one_live_token: count(
            &mut conn,
            "SELECT COUNT(*) FROM refresh_families f WHERE f.revoked_at IS NULL AND \
             (SELECT COUNT(*) FROM refresh_tokens t WHERE t.family_id = f.id AND t.used_at IS NULL) <> 1",
        )
        .await,
        spent_tokens_without_one_child: count(
            &mut conn,
            "SELECT COUNT(*) FROM refresh_tokens t WHERE t.used_at IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM refresh_tokens c WHERE c.hash = t.child_hash AND c.parent_hash = t.hash)",
        )
        .await,
        families_without_tokens: count(
            &mut conn,
            "SELECT COUNT(*) FROM refresh_families f WHERE NOT EXISTS \
             (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)",
        )
        .await,
        current_keys: count(
            &mut conn,
            "SELECT COUNT(*) FROM signing_keys WHERE state = 'current'",
        )
        .await,
        next_keys: count(
            &mut conn,
            "SELECT COUNT(*) FROM signing_keys WHERE state = 'next'",
        )
        .await,
    };
    let _ = conn.close().await;
    audit
}
