//! The SQL text of authorization codes, for batches of 1..n. Callers pad their lists
//! to a power of two (repeating the last row, which `ON CONFLICT` skips), so each
//! connection prepares at most a handful of texts.

use super::rotation_sql::placeholders;
use super::user_is_live;

/// The columns of `authorization_codes` a new code fills, in bind order.
const CODE_COLUMNS: &str = "hash, client_id, redirect_uri, code_challenge, scope, nonce, \
     user_id, session_id, auth_time, expires_at";
pub const CODE_WIDTH: usize = 10;

/// Stores `n` codes.
pub fn insert_codes_sql(n: usize) -> String {
    format!(
        "INSERT INTO authorization_codes ({CODE_COLUMNS}) VALUES {} ON CONFLICT (hash) DO NOTHING",
        placeholders(1, n, CODE_WIDTH)
    )
}

/// What a spent code's row returns: the code, and its owner's e-mail and roles (NULL
/// when the user or the authority session is no longer good; scalar subqueries,
/// because SQLite's RETURNING cannot name other tables).
const SPENT_COLUMNS: &str = concat!(
    "hash, client_id, redirect_uri, code_challenge, scope, nonce, user_id, session_id, \
     auth_time, expires_at, \
     (SELECT u.email FROM users u JOIN authority_sessions s ON s.user_id = u.id \
      WHERE u.id = authorization_codes.user_id AND s.id = authorization_codes.session_id \
      AND s.revoked_at IS NULL AND ",
    user_is_live!(),
    ") AS owner_email, \
     (SELECT u.roles FROM users u WHERE u.id = authorization_codes.user_id) AS owner_roles"
);

/// Parameters per code in `spend_codes_sql`: hash, presentation time, the family its
/// redemption will start, the presenting client.
pub const SPEND_WIDTH: usize = 4;

/// The one statement that decides which presentations spend `n` distinct codes: each
/// (`$1, $5, ...`) that is unused, unexpired at its own presentation time
/// (`$2, $6, ...`) and presented by the client it was issued to (`$4, $8, ...`). Each
/// spent row names the family it is about to start (`$3, $7, ...`), so that a second
/// presentation finds it; a code without a row in the result was not spent.
pub fn spend_codes_sql(n: usize) -> String {
    let hashes = (0..n)
        .map(|i| format!("${}", 1 + SPEND_WIDTH * i))
        .collect::<Vec<_>>()
        .join(", ");
    let by_hash = |column: usize| {
        let arms = (0..n)
            .map(|i| {
                format!(
                    "WHEN ${} THEN ${}",
                    1 + SPEND_WIDTH * i,
                    1 + column + SPEND_WIDTH * i
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        format!("CASE hash {arms} END")
    };
    format!(
        "UPDATE authorization_codes SET used_at = {now}, family_id = {family} \
         WHERE hash IN ({hashes}) AND used_at IS NULL AND expires_at > {now} \
         AND client_id = {client} RETURNING {SPENT_COLUMNS}",
        now = by_hash(1),
        family = by_hash(2),
        client = by_hash(3),
    )
}

/// What became of code `$1` that the spend did not spend.
pub const UNSPENT_CODE: &str = "SELECT used_at, family_id FROM authorization_codes WHERE hash = $1";

/// A spent code whose redemption was refused started no family.
pub const NO_FAMILY: &str = "UPDATE authorization_codes SET family_id = NULL WHERE hash = $1";

/// The authority sessions whose cookie secret hashes to one of `n` values
/// (`$2...`), not signed out, not expired at `$1`, of a user who is not disabled.
pub fn live_sessions_sql(n: usize) -> String {
    format!(
        concat!(
            "SELECT s.id, s.secret_hash, s.user_id, s.auth_time, s.expires_at \
             FROM authority_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.secret_hash IN ({}) AND s.revoked_at IS NULL AND s.expires_at > $1 AND ",
            user_is_live!()
        ),
        placeholders(2, n, 1)
    )
}

pub const FAMILY_WIDTH: usize = 7;

/// Starts `n` families of redeemed codes.
pub fn insert_families_sql(n: usize) -> String {
    format!(
        "INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at, \
         authority_session_id) VALUES {} ON CONFLICT (id) DO NOTHING",
        placeholders(1, n, FAMILY_WIDTH)
    )
}

pub const FIRST_TOKEN_WIDTH: usize = 6;

/// Stores the first refresh token of `n` families.
pub fn insert_first_tokens_sql(n: usize) -> String {
    format!(
        "INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at, status_list, \
         status_idx) VALUES {} ON CONFLICT (hash) DO NOTHING",
        placeholders(1, n, FIRST_TOKEN_WIDTH)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_insert_numbers_every_column_of_every_row() {
        let sql = insert_codes_sql(2);
        assert!(
            sql.contains("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10), ($11,"),
            "{sql}"
        );
        assert!(sql.contains("$20)") && !sql.contains("$21"), "{sql}");
        assert_eq!(CODE_COLUMNS.split(", ").count(), CODE_WIDTH);
        let families = insert_families_sql(1);
        assert!(families.contains("($1, $2, $3, $4, $5, $6, $7)") && !families.contains("$8"));
        let tokens = insert_first_tokens_sql(3);
        assert!(
            tokens.contains("$18)") && !tokens.contains("$19"),
            "{tokens}"
        );
    }

    #[test]
    fn a_code_is_spent_only_unused_unexpired_and_by_its_own_client() {
        let sql = spend_codes_sql(2);
        assert!(sql.starts_with(
            "UPDATE authorization_codes SET used_at = CASE hash WHEN $1 THEN $2 WHEN $5 THEN $6 END, \
             family_id = CASE hash WHEN $1 THEN $3 WHEN $5 THEN $7 END \
             WHERE hash IN ($1, $5) AND used_at IS NULL \
             AND expires_at > CASE hash WHEN $1 THEN $2 WHEN $5 THEN $6 END \
             AND client_id = CASE hash WHEN $1 THEN $4 WHEN $5 THEN $8 END RETURNING hash, "
        ), "{sql}");
        assert!(!sql.contains("$9"), "{sql}");
        assert!(sql.contains("s.revoked_at IS NULL AND u.disabled_at IS NULL"));
    }
}
