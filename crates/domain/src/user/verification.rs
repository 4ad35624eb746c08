//! E-mail verification: a link mailed to a new account's address proves that its holder reads
//! that mailbox. Only then is the account matched to things by its address (invitations by id,
//! orgs that admit its domain).

use time::Duration;

use super::token::secret_type;

/// How long a verification link works. Long enough for mail that waits in a queue or a spam
/// folder; a lost link is replaced by asking again.
pub const EMAIL_VERIFICATION_TTL: Duration = Duration::hours(48);

secret_type!(
    /// The secret in a verification link: single use, expiring, stored only as its hash.
    EmailVerificationToken,
    "tev_"
);

/// The path of the page that a verification link opens, under the public URL.
pub const VERIFY_EMAIL_PATH: &str = "verify-email";
