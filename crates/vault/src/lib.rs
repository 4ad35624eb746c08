//! Sealing of secrets at rest: AES-256-GCM (through `ring`) under one 256-bit key, with a
//! fresh random nonce per value and the row's identity as associated data, so a sealed value
//! does not open once copied to another row or tenant.
//!
//! A sealed value is `v1.` followed by base64url(nonce ‖ ciphertext ‖ tag); the version names
//! the format so that a later one (another key, another cipher) can be told apart.

mod key;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use tenantry_domain::integration::{Credentials, SealError, SealedCredentials, Sealer};

pub use key::{KeyError, SecretKey};

const VERSION: &str = "v1.";

/// The AES-256-GCM sealer.
pub struct AesGcmSealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl AesGcmSealer {
    pub fn new(key: &SecretKey) -> Result<Self, KeyError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, key.bytes()).map_err(|_| KeyError::Malformed)?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            random: SystemRandom::new(),
        })
    }
}

fn failed(what: &str) -> SealError {
    SealError(what.to_owned())
}

impl Sealer for AesGcmSealer {
    fn seal(
        &self,
        credentials: &Credentials,
        context: &[u8],
    ) -> Result<SealedCredentials, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| failed("no randomness for a nonce"))?;
        let mut data = serde_json::to_vec(credentials.expose())
            .map_err(|_| failed("credentials do not serialise"))?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut data,
            )
            .map_err(|_| failed("encryption failed"))?;
        let mut sealed = nonce.to_vec();
        sealed.append(&mut data);
        Ok(SealedCredentials(format!(
            "{VERSION}{}",
            URL_SAFE_NO_PAD.encode(sealed)
        )))
    }

    fn open(&self, sealed: &SealedCredentials, context: &[u8]) -> Result<Credentials, SealError> {
        let encoded = sealed
            .0
            .strip_prefix(VERSION)
            .ok_or_else(|| failed("unknown sealed format"))?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| failed("sealed value is not base64url"))?;
        if bytes.len() < NONCE_LEN {
            return Err(failed("sealed value is too short"));
        }
        let mut data = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes)
            .map_err(|_| failed("sealed value is too short"))?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut data)
            .map_err(|_| failed("wrong key, or the value was altered or moved"))?;
        let entries: BTreeMap<String, String> =
            serde_json::from_slice(plain).map_err(|_| failed("opened value is not credentials"))?;
        Ok(Credentials::from_trusted(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials::new(BTreeMap::from([(
            "token".to_owned(),
            "ghp_planted-secret-123".to_owned(),
        )]))
        .unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let key = SecretKey::generate().unwrap();
        let sealer = AesGcmSealer::new(&key).unwrap();
        let sealed = sealer.seal(&credentials(), b"row-1").unwrap();
        assert!(sealed.0.starts_with("v1."));
        assert!(!sealed.0.contains("planted"));
        assert_eq!(sealer.open(&sealed, b"row-1").unwrap(), credentials());

        assert!(
            sealer.open(&sealed, b"row-2").is_err(),
            "moved to another row"
        );
        let other = AesGcmSealer::new(&SecretKey::generate().unwrap()).unwrap();
        assert!(other.open(&sealed, b"row-1").is_err(), "another key");
        let mut altered = sealed.0.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(sealer.open(&SealedCredentials(altered), b"row-1").is_err());
    }

    #[test]
    fn the_same_credentials_seal_differently_each_time() {
        let sealer = AesGcmSealer::new(&SecretKey::generate().unwrap()).unwrap();
        let one = sealer.seal(&credentials(), b"row").unwrap();
        let two = sealer.seal(&credentials(), b"row").unwrap();
        assert_ne!(one, two, "a fresh nonce each time");
    }
}
