//! Hand-written SQL for the joins, written once with `?` placeholders for both databases.

use sea_orm::{DbBackend, Statement, Value};

pub(crate) fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => numbered_placeholders(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `?` to `$1`, `$2`, ... for PostgreSQL. None of our statements has a `?` inside a literal.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered_placeholders("a = ? AND (b > ? OR c = ?)"),
            "a = $1 AND (b > $2 OR c = $3)"
        );
    }
}
