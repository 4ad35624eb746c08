//! Identifiers: UUID v7 (time-ordered), one newtype per entity so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps a UUID read back from storage or another trusted source; nothing checks
            /// that it names an existing entity.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside, as storage holds it.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// An organization (tenant).
    OrgId
);
id_type!(
    /// A custom role of one organization.
    RoleId
);
id_type!(
    /// One entry of an organization's audit log.
    AuditEventId
);
id_type!(
    /// One bearer token issued at sign-in.
    SessionId
);
id_type!(
    /// An invitation by e-mail or a join link.
    InvitationId
);
id_type!(
    /// A connection of an org to an outside system.
    IntegrationId
);
id_type!(
    /// An endpoint of an org that receives its audit events as signed webhooks.
    WebhookId
);
id_type!(
    /// A token an org's identity provider uses to reach the org's directory (SCIM).
    ScimTokenId
);
id_type!(
    /// A group of an org's directory (SCIM).
    ScimGroupId
);
id_type!(
    /// A DNS domain an org claims (verified by a TXT record).
    DomainId
);
