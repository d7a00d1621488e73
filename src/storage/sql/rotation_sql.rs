//! The SQL text of rotations, for a batch of 1..n: the lone rotation is the batch of
//! one. Callers pad their lists to a power of two (repeating the last entry), so each
//! connection prepares at most a handful of texts.

/// Spends each of `n` tokens (`$2, $4, ...`) that is unused, unexpired and of a live
/// family at `$1`, linking it to its own child (`$3, $5, ...`). A token without a row
/// in the result was not spendable: unknown, expired, dead, or spent. Each row names
/// its token and family (`hash`, `id`); a batch of one also returns the columns of
/// `FAMILY_COLUMNS` (scalar subqueries, because SQLite's RETURNING cannot name other
/// tables), one round trip less, while a larger batch reads them with one
/// `families_sql` instead of subqueries per row.
pub fn spend_sql(n: usize) -> String {
    let tokens = (0..n)
        .map(|i| format!("${}", 2 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    let links = (0..n)
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    let family = if n == 1 { FAMILY_BY_SUBQUERY } else { "" };
    format!(
        "UPDATE refresh_tokens SET used_at = $1, child_hash = CASE hash {links} END \
         WHERE hash IN ({tokens}) AND used_at IS NULL AND expires_at > $1 \
         AND family_id IN (SELECT id FROM refresh_families WHERE id = refresh_tokens.family_id AND revoked_at IS NULL AND expires_at > $1) \
         RETURNING hash, family_id AS id{family}"
    )
}

/// The columns of `FAMILY_COLUMNS` but `id`, for one spent row of `refresh_tokens`.
const FAMILY_BY_SUBQUERY: &str = ", \
    (SELECT f.user_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS user_id, \
    (SELECT f.client_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS client_id, \
    (SELECT f.scope FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS scope, \
    (SELECT f.expires_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS expires_at, \
    (SELECT f.revoked_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS revoked_at, \
    (SELECT u.roles FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS roles, \
    (SELECT u.disabled_at FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS disabled_at";

/// What the rules need of a spent token's family and user.
const FAMILY_COLUMNS: &str =
    "f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at, u.roles, u.disabled_at";

/// `FAMILY_COLUMNS` of `n` families (`$1...`).
pub fn families_sql(n: usize) -> String {
    format!(
        "SELECT {FAMILY_COLUMNS} FROM refresh_families f JOIN users u ON u.id = f.user_id \
         WHERE f.id IN ({})",
        placeholders(1, n, 1)
    )
}

/// Stores `n` children. Padding repeats the last row, which ON CONFLICT skips; a
/// child hash is 256 random bits, so the row count still proves every child was stored.
pub fn insert_children_sql(n: usize) -> String {
    format!(
        "INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at, status_list, status_idx) \
         VALUES {} ON CONFLICT (hash) DO NOTHING",
        placeholders(1, n, 7)
    )
}

/// Puts back `n` spent tokens whose rotation the rules refused.
pub fn put_back_sql(n: usize) -> String {
    format!(
        "UPDATE refresh_tokens SET used_at = NULL, child_hash = NULL WHERE hash IN ({})",
        placeholders(1, n, 1)
    )
}

/// What the rules need of a presented token the spend did not spend, and its child.
pub const UNSPENT: &str =
    "SELECT t.family_id, t.used_at, t.child_hash, f.user_id, f.revoked_at, f.expires_at \
    FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1";

/// The state of `n` presented tokens (`$1...`) and their families, for screening.
pub fn presented_sql(n: usize) -> String {
    format!(
        "SELECT t.hash, t.used_at, t.expires_at AS token_expires_at, f.revoked_at, \
         f.expires_at AS family_expires_at FROM refresh_tokens t \
         JOIN refresh_families f ON f.id = t.family_id WHERE t.hash IN ({})",
        placeholders(1, n, 1)
    )
}

/// `$first, $(first+step), ...` groups of `width` parameters, `n` of them, each in
/// parentheses when `width > 1`.
pub(super) fn placeholders(first: usize, n: usize, width: usize) -> String {
    (0..n)
        .map(|i| {
            let group = (0..width)
                .map(|k| format!("${}", first + i * width + k))
                .collect::<Vec<_>>()
                .join(", ");
            if width > 1 {
                format!("({group})")
            } else {
                group
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(placeholders(2, 3, 1), "$2, $3, $4");
        assert_eq!(placeholders(1, 2, 2), "($1, $2), ($3, $4)");
    }

    #[test]
    fn a_spend_links_each_token_to_its_own_child_under_every_condition() {
        let sql = spend_sql(2);
        assert!(sql.starts_with("UPDATE refresh_tokens SET used_at = $1, child_hash = CASE hash WHEN $2 THEN $3 WHEN $4 THEN $5 END "), "{sql}");
        assert!(
            sql.contains("WHERE hash IN ($2, $4) AND used_at IS NULL AND expires_at > $1"),
            "{sql}"
        );
        assert!(
            sql.contains("revoked_at IS NULL AND expires_at > $1)"),
            "{sql}"
        );
        assert!(sql.ends_with("RETURNING hash, family_id AS id"), "{sql}");
    }

    #[test]
    fn the_spend_of_one_is_the_batch_of_one_returning_its_family() {
        let one = spend_sql(1);
        let (update, returning) = one.split_once(" RETURNING ").unwrap();
        let (batch_update, _) = spend_sql(2)
            .split_once(" RETURNING ")
            .map(|(u, r)| (u.to_owned(), r.to_owned()))
            .unwrap();
        assert!(
            update.contains("CASE hash WHEN $2 THEN $3 END WHERE hash IN ($2) "),
            "{one}"
        );
        assert_eq!(
            update.matches("$1").count(),
            batch_update.matches("$1").count()
        );
        for column in [
            "user_id",
            "client_id",
            "scope",
            "expires_at",
            "revoked_at",
            "roles",
            "disabled_at",
        ] {
            assert!(
                returning.contains(&format!(" AS {column}")),
                "{column} in {returning}"
            );
        }
    }

    #[test]
    fn the_read_names_every_padded_parameter_once() {
        let sql = presented_sql(4);
        assert!(sql.ends_with("WHERE t.hash IN ($1, $2, $3, $4)"), "{sql}");
        assert!(!sql.contains("$5"));
    }
}
