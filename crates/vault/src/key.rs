//! The 256-bit key: from configuration (base64), or, on the embedded default, from a key file
//! made once.

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};

const KEY_BYTES: usize = 32;

/// A 256-bit key. `Debug` does not show it.
pub struct SecretKey([u8; KEY_BYTES]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the secret key must be 32 bytes in base64 (for example `openssl rand -base64 32`)")]
    Malformed,
    #[error("no randomness to make a key")]
    NoRandomness,
    #[error("key file {path}: {cause}")]
    File { path: String, cause: std::io::Error },
}

impl SecretKey {
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = [0u8; KEY_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::NoRandomness)?;
        Ok(Self(bytes))
    }

    /// A key given as base64 (standard alphabet, padding optional).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| KeyError::Malformed)?;
        let bytes: [u8; KEY_BYTES] = decoded.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self(bytes))
    }

    /// The key in `path`, made (readable by its owner only) when the file does not exist yet.
    /// Returns whether it was made.
    pub fn from_file_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        let file_error = |cause| KeyError::File {
            path: path.display().to_string(),
            cause,
        };
        match fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_base64(&text)?, false)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                let mut options = fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(file_error)?;
                writeln!(file, "{}", STANDARD.encode(key.0)).map_err(file_error)?;
                Ok((key, true))
            }
            Err(error) => Err(file_error(error)),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tenantry.key");
        let (made, created) = SecretKey::from_file_or_create(&path).unwrap();
        assert!(created);
        let (read, created) = SecretKey::from_file_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(made.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn only_32_bytes_of_base64_make_a_key() {
        let good = STANDARD.encode([7u8; 32]);
        assert!(SecretKey::from_base64(&good).is_ok());
        assert!(SecretKey::from_base64(&STANDARD.encode([7u8; 16])).is_err());
        assert!(SecretKey::from_base64("not base64!").is_err());
        assert!(!format!("{:?}", SecretKey::from_base64(&good).unwrap()).contains('7'));
    }
}
