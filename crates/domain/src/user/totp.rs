//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 6 digits, 30-second
//! steps, what every authenticator app reads from an `otpauth://` URI.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

const STEP_SECONDS: i64 = 30;
const DIGITS: u32 = 6;
const SECRET_BYTES: usize = 20;
/// Codes of the step before and after now are accepted too: clocks drift and people type slowly.
const DRIFT_STEPS: i64 = 1;

/// A TOTP secret (160 bits). `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new secret: 160 bits from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        // Without an OS random source no secret can be safe; there is nothing to fall back to.
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self(bytes)
    }

    /// The secret as stored and as apps take it: base32 (RFC 4648), unpadded.
    pub fn base32(&self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for &byte in &self.0 {
            buffer = (buffer << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
        }
        out
    }

    /// Reads back what [`TotpSecret::base32`] wrote.
    pub fn from_base32(text: &str) -> Option<Self> {
        let (mut buffer, mut bits) = (0u32, 0u32);
        let mut bytes = Vec::new();
        for c in text.chars() {
            let value = match c {
                'A'..='Z' => u32::from(c) - u32::from('A'),
                '2'..='7' => u32::from(c) - u32::from('2') + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | value;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((buffer >> bits) & 0xff) as u8);
            }
        }
        Some(Self(bytes))
    }

    /// The `otpauth://` URI an authenticator app scans.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let encode = |text: &str| -> String {
            text.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            encode(issuer),
            encode(account),
            self.base32(),
            encode(issuer)
        )
    }

    /// The code of time step `step` (RFC 4226 dynamic truncation).
    pub fn code(&self, step: u64) -> String {
        // HMAC takes keys of any length.
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let value = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        format!(
            "{:0width$}",
            value % 10u32.pow(DIGITS),
            width = DIGITS as usize
        )
    }

    /// The step whose code `code` is, within the drift allowed around `now`.
    pub fn matching_step(&self, code: &str, now: OffsetDateTime) -> Option<u64> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = now.unix_timestamp().div_euclid(STEP_SECONDS);
        (current - DRIFT_STEPS..=current + DRIFT_STEPS)
            .filter_map(|step| u64::try_from(step).ok())
            .find(|step| self.code(*step) == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 key "12345678901234567890", 8-digit codes; the last six
    /// digits are the 6-digit code.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = u64::try_from(time / STEP_SECONDS).unwrap();
            assert_eq!(secret.code(step), eight_digits[2..], "t = {time}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(TotpSecret(b"foobar".to_vec()).base32(), "MZXW6YTBOI");
        let secret = TotpSecret::generate();
        assert_eq!(
            TotpSecret::from_base32(&secret.base32()),
            Some(secret.clone())
        );
        assert!(!format!("{secret:?}").contains(&secret.base32()));
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_only() {
        let secret = TotpSecret::generate();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_015).unwrap();
        let step = 1_800_000_015 / 30;
        for offset in [-1i64, 0, 1] {
            let s = u64::try_from(step + offset).unwrap();
            assert_eq!(secret.matching_step(&secret.code(s), now), Some(s));
        }
        let far = u64::try_from(step + 2).unwrap();
        assert_eq!(secret.matching_step(&secret.code(far), now), None);
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("abcdef", now), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let secret = TotpSecret(b"foobar".to_vec());
        assert_eq!(
            secret.uri("Tenantry", "jane@example.com"),
            "otpauth://totp/Tenantry:jane%40example.com?secret=MZXW6YTBOI&issuer=Tenantry\
             &algorithm=SHA1&digits=6&period=30"
        );
    }
}
