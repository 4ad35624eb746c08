//! The error of turning raw input into a validated domain value.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::{DomainError, ErrorKind};

/// Which field was wrong and why, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// The request field at fault, as the API names it (`email`, `maxUses`); the error body
    /// reports it as `field`.
    pub field: &'static str,
    /// Why, for people (`must not be empty`); [`Display`](fmt::Display) shows it after the
    /// field.
    pub message: String,
}

impl ValidationError {
    /// A refusal of `field`, saying `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

impl DomainError for ValidationError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }

    fn code(&self) -> &'static str {
        "validation_failed"
    }

    fn field(&self) -> Option<&'static str> {
        Some(self.field)
    }
}

/// Control characters, and the format characters that hide text or reorder it on screen
/// (zero-width spaces and joiners, bidirectional overrides and isolates, the byte-order mark,
/// the soft hyphen): what lets a name look like another. The one list that both the check
/// and the API document's pattern ([`visible_text_pattern`]) are made from.
pub const HIDDEN_TEXT: [(char, char); 11] = [
    ('\u{0000}', '\u{001F}'),
    ('\u{007F}', '\u{009F}'),
    ('\u{00AD}', '\u{00AD}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
];

pub(crate) fn hides_text(c: char) -> bool {
    HIDDEN_TEXT
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// A regular expression (JSON Schema's ECMA-262 dialect) for the names the domain accepts:
/// no character of [`HIDDEN_TEXT`], and at least one that is not white space.
pub fn visible_text_pattern() -> String {
    let hidden: String = HIDDEN_TEXT
        .iter()
        .map(|&(first, last)| format!("\\u{:04X}-\\u{:04X}", u32::from(first), u32::from(last)))
        .collect();
    format!("^[^{hidden}]*[^{hidden}\\s][^{hidden}]*$")
}

/// What two names are compared by when they must not pass for each other: the UTS #39
/// confusable skeleton of the lower-cased NFKC form, so that `Admin`, `admin` and `Аdmin` (with
/// a Cyrillic `А`) have one key.
pub(crate) fn confusable_key(name: &str) -> String {
    let lower: String = name.nfkc().collect::<String>().to_lowercase();
    let skeleton: String = unicode_security::skeleton(&lower).collect();
    skeleton.to_lowercase()
}

/// The regular expression of the snake_case names the domain accepts (setting and integration
/// keys): a lower-case ASCII letter, then lower-case letters, digits and `_`, at most `max`
/// characters in all. For the API document.
pub fn snake_case_pattern(max: usize) -> String {
    format!("^[a-z][a-z0-9_]{{0,{}}}$", max.saturating_sub(1))
}

/// Whether `raw` is a snake_case name: lower-case ASCII letters, digits and `_`, starting with
/// a letter, at most `max` characters (setting and integration keys).
pub(crate) fn is_snake_case_name(raw: &str, max: usize) -> bool {
    let mut chars = raw.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && raw.len() <= max
}

/// Puts `raw` in NFKC form, trims it and checks that it holds between 1 and `max` characters,
/// none of them hiding text. NFKC first, so that compatibility forms (full-width letters,
/// ligatures, a no-break space) are stored as the plain characters they show.
pub(crate) fn trimmed_text(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let normalised: String = raw.nfkc().collect();
    let value = normalised.trim();
    let length = value.chars().count();
    if length == 0 {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    // As sent, too: the API document's `maxLength` counts the characters of the request,
    // spaces that trimming would drop included.
    if length > max || raw.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(hides_text) {
        return Err(ValidationError::new(
            field,
            "must not contain control, invisible or direction-changing characters",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_the_text_as_sent_and_as_kept() {
        let full = "a".repeat(10);
        assert_eq!(
            trimmed_text("name", &full, 10).as_deref(),
            Ok(full.as_str())
        );
        // Trimming would bring it under the limit, but the request itself is over it.
        assert!(trimmed_text("name", &format!(" {full}"), 10).is_err());
        // NFKC can lengthen a name: the ligature is three letters once kept.
        assert!(trimmed_text("name", &format!("{}\u{FB03}", "a".repeat(8)), 10).is_err());
        assert_eq!(trimmed_text("name", "  Ada ", 10).as_deref(), Ok("Ada"));
    }
}
