//! Columns that hold JSON text (audit target and metadata, integration config, ...).

use serde::Serialize;
use serde::de::DeserializeOwned;
use tenantry_domain::error::StoreError;

use crate::error::corrupt;

/// `value` as JSON text. The values stored this way (string maps and lists) always serialise.
pub(crate) fn text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The JSON text of `column` read back; text that does not parse is reported as corrupt.
pub(crate) fn parse<T: DeserializeOwned>(column: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|_| corrupt(column, raw))
}
