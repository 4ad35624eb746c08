use std::fmt;

use time::OffsetDateTime;

use crate::ids::{DomainId, OrgId};
use crate::member::RoleChoice;
use crate::org::OrgName;
use crate::user::Email;
use crate::validation::ValidationError;

/// The label under which an org publishes its challenge: `_tenantry-challenge.<domain>`.
pub const CHALLENGE_LABEL: &str = "_tenantry-challenge";

/// The most domains one org may claim, verified or not: each is looked up in DNS by the
/// periodic check, so the number is bounded.
pub const MAX_DOMAINS_PER_ORG: usize = 50;

/// A DNS name as an org claims it: lower case, without a trailing dot, in ASCII (an
/// internationalised name in its `xn--` form), of at least two labels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// The longest name, in characters (RFC 1035), a trailing dot included.
    pub const MAX_LEN: usize = 253;

    /// What [`DomainName::try_from`] accepts, for the API document: labels of letters, digits
    /// and hyphens, the last one starting with a letter, an optional trailing dot.
    pub const PATTERN: &str = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$";

    /// The name, as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back a name that was validated on the way in.
    pub fn from_trusted(name: String) -> Self {
        Self(name)
    }

    /// The domain of an e-mail address, when it is one a domain could match.
    pub fn of_email(email: &Email) -> Option<Self> {
        let (_, domain) = email.as_str().rsplit_once('@')?;
        Self::try_from(domain).ok()
    }

    /// Where the challenge is published: `_tenantry-challenge.<domain>`.
    pub fn challenge_name(&self) -> String {
        format!("{CHALLENGE_LABEL}.{}", self.0)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for DomainName {
    type Error = ValidationError;

    /// Lower-cases and drops one trailing dot, then checks the hostname rules: labels of 1 to
    /// 63 letters, digits and hyphens, not starting or ending with a hyphen, at least two of
    /// them, a top-level label that starts with a letter (so an IP address is refused), at
    /// most [`DomainName::MAX_LEN`] characters as sent. Nothing is trimmed: the rule is
    /// exactly [`DomainName::PATTERN`]. Errors name the field `domain`.
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let name = raw.to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        let invalid = |why: &str| ValidationError::new("domain", why.to_owned());
        if name.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if !name.is_ascii() {
            return Err(invalid(
                "must be ASCII: write an internationalised name in its xn-- form",
            ));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(invalid("must be at most 253 characters"));
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return Err(invalid(
                "must have at least two labels, such as example.com",
            ));
        }
        let label_ok = |label: &&str| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !labels.iter().all(label_ok) {
            return Err(invalid(
                "each label must be 1 to 63 letters, digits or hyphens, not starting or ending \
                 with a hyphen",
            ));
        }
        if labels
            .last()
            .is_some_and(|tld| !tld.starts_with(|c: char| c.is_ascii_lowercase()))
        {
            return Err(invalid("must be a domain name, not an address"));
        }
        Ok(Self(name.to_owned()))
    }
}

/// A domain an org claims, with its challenge and, once verified, its auto-join settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgDomain {
    /// Made when the domain is added.
    pub id: DomainId,
    /// The org that claims it.
    pub org_id: OrgId,
    /// The domain.
    pub domain: DomainName,
    /// The value the org publishes as a TXT record at
    /// [`DomainName::challenge_name`]; random, made when the domain is added, not secret.
    pub challenge: String,
    /// When the TXT record was found; `None` while pending. A verified domain belongs to one
    /// org at a time (the store refuses a second).
    pub verified_at: Option<OffsetDateTime>,
    /// Whether accounts with a verified address on this domain may join by themselves.
    pub auto_join: bool,
    /// The role they join with.
    pub default_role: RoleChoice,
    /// When the domain was added.
    pub created_at: OffsetDateTime,
}

impl OrgDomain {
    /// Whether the TXT record was found.
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

/// What `PATCH .../domains/{id}` changes; `None` keeps the value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DomainChanges {
    /// Turns auto-join on or off.
    pub auto_join: Option<bool>,
    /// The role accounts join with.
    pub default_role: Option<RoleChoice>,
}

/// An org's domains and its invitation policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainList {
    /// Oldest first.
    pub domains: Vec<OrgDomain>,
    /// Whether invitations by e-mail must go to a verified domain of the org.
    pub invite_only_verified_domains: bool,
}

/// An org the caller may join by their verified address's domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinableOrg {
    /// The org.
    pub org_id: OrgId,
    /// Its current name.
    pub org_name: OrgName,
    /// The verified domain that admits the caller.
    pub domain: DomainName,
    /// The role they would join with.
    pub role: RoleChoice,
}

/// What auto-join offers the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joinable {
    /// Whether the caller's address is verified; until it is, nothing is offered.
    pub email_verified: bool,
    /// The orgs the caller may join, at most one per domain (a verified domain has one org).
    pub orgs: Vec<JoinableOrg>,
}
