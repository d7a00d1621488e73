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

/// The one statement that decides which presentation spends code `$1`: unused,
/// unexpired at `$2`, and presented by the client it was issued to (`$3`). It names
/// the family it is about to start (`$4`), so that a second presentation finds it, and
/// returns the code with its owner's e-mail and roles (NULL when the user or the
/// authority session is no longer good; scalar subqueries, because SQLite's RETURNING
/// cannot name other tables).
pub const SPEND_CODE: &str = concat!(
    "UPDATE authorization_codes SET used_at = $2, family_id = $4 \
     WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 AND client_id = $3 \
     RETURNING client_id, redirect_uri, code_challenge, scope, nonce, user_id, session_id, \
     auth_time, expires_at, \
     (SELECT u.email FROM users u JOIN authority_sessions s ON s.user_id = u.id \
      WHERE u.id = authorization_codes.user_id AND s.id = authorization_codes.session_id \
      AND s.revoked_at IS NULL AND ",
    user_is_live!(),
    ") AS owner_email, \
     (SELECT u.roles FROM users u WHERE u.id = authorization_codes.user_id) AS owner_roles"
);

/// What became of code `$1` that `SPEND_CODE` did not spend.
pub const UNSPENT_CODE: &str = "SELECT used_at, family_id FROM authorization_codes WHERE hash = $1";

/// A spent code whose redemption was refused started no family.
pub const NO_FAMILY: &str = "UPDATE authorization_codes SET family_id = NULL WHERE hash = $1";

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
        assert!(SPEND_CODE.contains(
            "WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 AND client_id = $3 "
        ));
        assert!(SPEND_CODE.contains("s.revoked_at IS NULL AND u.disabled_at IS NULL"));
    }
}
