//! The file of `tenantry import-members`: a CSV of `email,name,role` turned into validated
//! rows before anything is written, so a bad line stops the import before its first chunk.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use tenantry_domain::member::{ImportedMember, RoleChoice};
use tenantry_domain::user::{Email, UserName};

/// Rows per transaction: large enough to be quick, small enough not to hold the write lock
/// (SQLite) or the org's row lock (PostgreSQL) for long.
pub const CHUNK: usize = 1_000;

#[derive(Deserialize)]
struct Row {
    email: String,
    name: String,
    role: Option<String>,
}

/// Every row of `file`, validated; an error names the line at fault.
pub fn read(file: &Path) -> anyhow::Result<Vec<ImportedMember>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    reader
        .deserialize::<Row>()
        .enumerate()
        .map(|(index, record)| {
            record
                .map_err(anyhow::Error::from)
                .and_then(member)
                .with_context(|| format!("line {}", index + 2))
        })
        .collect()
}

fn member(row: Row) -> anyhow::Result<ImportedMember> {
    let role = match row.role.as_deref().filter(|role| !role.is_empty()) {
        Some(role) => RoleChoice::try_from(role)?,
        None => RoleChoice::default(),
    };
    Ok(ImportedMember {
        email: Email::try_from(row.email.as_str())?,
        name: UserName::try_from(row.name.as_str())?,
        role,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content.as_bytes()).unwrap();
        file
    }

    #[test]
    fn reads_valid_rows_and_names_the_first_bad_line() {
        let good = file("email,name,role\n Ann@Example.com ,Ann,admin\nbob@example.com,Bob,\n");
        let rows = read(good.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email.as_str(), "ann@example.com");
        assert_eq!(rows[1].role, RoleChoice::default());

        let bad = file("email,name,role\nann@example.com,Ann,member\nnot-an-address,Bob,member\n");
        let error = format!("{:#}", read(bad.path()).unwrap_err());
        assert!(error.starts_with("line 3"), "{error}");
        let owner = file("email,name,role\nann@example.com,Ann,owner\n");
        assert!(
            read(owner.path()).is_err(),
            "nobody is imported as the owner"
        );
    }
}
