//! Schemas of request fields made from the domain's own rules and limits, so that the OpenAPI
//! document promises what the domain accepts: no copied literal or regex.

use tenantry_domain::audit::AuditAction;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::check::MAX_QUESTIONS;
use tenantry_domain::directory::{DirectoryName, ProvisioningSettings};
use tenantry_domain::domains::DomainName;
use tenantry_domain::integration::{
    Credentials, IntegrationConfig, IntegrationStatus, IntegrationType, MAX_KEY_CHARS,
};
use tenantry_domain::invitation::MAX_BULK_ROWS;
use tenantry_domain::member::MemberCursor;
use tenantry_domain::org::{OrgName, OrgSettings, SettingKey, SettingValue};
use tenantry_domain::role::{RoleDescription, RoleName};
use tenantry_domain::user::{Email, TokenLifetime, TokenName, UserName};
use tenantry_domain::validation::{HIDDEN_TEXT, snake_case_pattern, visible_text_pattern};
use tenantry_domain::webhook::WebhookUrl;
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;

use crate::openapi::PermissionSlug;
use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A name: 1 to `max` characters, at least one of them visible, none of them hidden.
fn name(max: usize) -> ObjectBuilder {
    string()
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(visible_text_pattern()))
}

pub(crate) fn org_name() -> Schema {
    name(OrgName::MAX_CHARS).into()
}

pub(crate) fn user_name() -> Schema {
    name(UserName::MAX_CHARS).into()
}

pub(crate) fn token_name() -> Schema {
    name(TokenName::MAX_CHARS).into()
}

/// A DNS name an org claims.
pub(crate) fn domain_name() -> Schema {
    string()
        .max_length(Some(DomainName::MAX_LEN))
        .pattern(Some(DomainName::PATTERN))
        .examples(["acme.com"])
        .into()
}

/// A directory group's display name, as the directory keys it.
pub(crate) fn directory_name() -> Schema {
    name(DirectoryName::MAX_CHARS).into()
}

/// The directory's group-to-role mappings, up to the domain's limit.
pub(crate) fn group_roles() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
            "GroupRoleBody",
        )))
        .max_items(Some(ProvisioningSettings::MAX_GROUP_ROLES))
        .into()
}

/// A custom role's name, which is no built-in role's name in any case.
pub(crate) fn role_name() -> Schema {
    let builtin: String = BuiltinRole::ALL
        .iter()
        .map(|role| {
            role.name()
                .chars()
                .map(|c| format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase()))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("|");
    AllOfBuilder::new()
        .item(name(RoleName::MAX_CHARS))
        .item(string().pattern(Some(format!(r"^(?!\s*(?:{builtin})\s*$)"))))
        .into()
}

/// Text of up to `max` characters, none of them hidden; it may be empty.
fn plain_text(max: usize) -> ObjectBuilder {
    let hidden: String = HIDDEN_TEXT
        .iter()
        .map(|&(first, last)| format!(r"\u{:04X}-\u{:04X}", u32::from(first), u32::from(last)))
        .collect();
    string()
        .max_length(Some(max))
        .pattern(Some(format!("^[^{hidden}]*$")))
}

/// A description; empty means none.
pub(crate) fn role_description() -> Schema {
    plain_text(RoleDescription::MAX_CHARS).into()
}

pub(crate) fn email() -> Schema {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(Email::MAX_LEN))
        .into()
}

pub(crate) fn uuid() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
}

pub(crate) fn id() -> Schema {
    uuid().into()
}

/// A role to give: a built-in role's name other than `owner` (ownership is transferred, not
/// given), or a custom role's id.
pub(crate) fn role_choice() -> Schema {
    let names = BuiltinRole::ALL
        .into_iter()
        .filter(|role| *role != BuiltinRole::Owner)
        .map(BuiltinRole::name);
    AnyOfBuilder::new()
        .item(string().enum_values(Some(names)))
        .item(uuid())
        .into()
}

/// A role to narrow a list to: any built-in role's name, or a custom role's id.
pub(crate) fn role_filter() -> Schema {
    AnyOfBuilder::new()
        .item(string().enum_values(Some(BuiltinRole::ALL.map(BuiltinRole::name))))
        .item(uuid())
        .into()
}

pub(crate) fn audit_action() -> Schema {
    one_of_names(AuditAction::ALL.map(AuditAction::name))
}

/// An ISO 8601 date (its whole day) or date-time.
pub(crate) fn date_or_time() -> Schema {
    AnyOfBuilder::new()
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
        .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
        .into()
}

/// The rows of a bulk invitation: 1 to [`MAX_BULK_ROWS`].
pub(crate) fn bulk_invitations() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
            "BulkInvitationRow",
        )))
        .min_items(Some(1))
        .max_items(Some(MAX_BULK_ROWS))
        .into()
}

/// A webhook's events: 1 to all of the audit action names, each once.
pub(crate) fn webhook_events() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(audit_action()))
        .min_items(Some(1))
        .max_items(Some(AuditAction::ALL.len()))
        .unique_items(true)
        .into()
}

pub(crate) fn webhook_url() -> Schema {
    string()
        .format(Some(SchemaFormat::Custom("uri".into())))
        .max_length(Some(WebhookUrl::MAX_CHARS))
        .into()
}

pub(crate) fn integration_status() -> Schema {
    one_of_names(IntegrationStatus::ALL.map(IntegrationStatus::name))
}

pub(crate) fn integration_type() -> Schema {
    string()
        .max_length(Some(IntegrationType::MAX_CHARS))
        .pattern(Some(IntegrationType::pattern()))
        .into()
}

/// One of `names`.
pub(crate) fn one_of_names<const N: usize>(names: [&'static str; N]) -> Schema {
    string().enum_values(Some(names)).into()
}

/// A `nextCursor` as the member list hands it out.
pub(crate) fn member_cursor() -> Schema {
    string().pattern(Some(MemberCursor::PATTERN)).into()
}

fn keyed(max_keys: usize, max_value_chars: usize) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .max_properties(Some(max_keys))
        .property_names(Some(
            string().pattern(Some(snake_case_pattern(MAX_KEY_CHARS))),
        ))
        .additional_properties(Some(RefOr::T(plain_text(max_value_chars).build().into())))
        .into()
}

pub(crate) fn integration_config() -> Schema {
    keyed(
        IntegrationConfig::MAX_KEYS,
        IntegrationConfig::MAX_VALUE_CHARS,
    )
}

pub(crate) fn credentials() -> Schema {
    keyed(Credentials::MAX_KEYS, Credentials::MAX_VALUE_CHARS)
}

/// Settings to set (`null` removes one): a boolean, a whole number or plain text each.
pub(crate) fn settings_patch() -> Schema {
    let value = AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(i64::MIN))
                .maximum(Some(i64::MAX)),
        )
        .item(plain_text(SettingValue::MAX_TEXT_CHARS))
        .item(ObjectBuilder::new().schema_type(Type::Null));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .max_properties(Some(OrgSettings::MAX_KEYS))
        .property_names(Some(
            string().pattern(Some(snake_case_pattern(SettingKey::MAX_CHARS))),
        ))
        .additional_properties(Some(RefOr::T(value.build().into())))
        .into()
}

/// Days a new API token lives.
pub(crate) fn token_days() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(TokenLifetime::MAX_DAYS))
        .into()
}

/// `schema`, or `null` (an optional field sent as `null` is taken as absent). A plain schema
/// gets `null` among its types; a composite one an alternative.
fn or_null(schema: Schema) -> Schema {
    match schema {
        Schema::Object(mut object) => {
            if let SchemaType::Type(only) = object.schema_type {
                object.schema_type = SchemaType::from_iter([only, Type::Null]);
            }
            Schema::Object(object)
        }
        composite => AnyOfBuilder::new()
            .item(composite)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into(),
    }
}

macro_rules! nullable {
    ($($name:ident => $of:ident),* $(,)?) => {$(
        pub(crate) fn $name() -> Schema {
            or_null($of())
        }
    )*};
}

nullable!(
    org_name_or_null => org_name,
    user_name_or_null => user_name,
    role_name_or_null => role_name,
    role_description_or_null => role_description,
    role_choice_or_null => role_choice,
    id_or_null => id,
    token_days_or_null => token_days,
    integration_status_or_null => integration_status,
    integration_config_or_null => integration_config,
    credentials_or_null => credentials,
    settings_patch_or_null => settings_patch,
    webhook_url_or_null => webhook_url,
    webhook_events_or_null => webhook_events,
);

/// The permissions of one check: 1 to [`MAX_QUESTIONS`] slugs of the catalogue.
pub(crate) fn permission_questions() -> Schema {
    questions(PermissionSlug::schema())
}

/// The questions of a batch check: 1 to [`MAX_QUESTIONS`] (user, permission) pairs.
pub(crate) fn check_questions() -> Schema {
    questions(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
        "CheckQuestion",
    )))
}

fn questions(item: RefOr<Schema>) -> Schema {
    ArrayBuilder::new()
        .items(item)
        .min_items(Some(1))
        .max_items(Some(MAX_QUESTIONS))
        .into()
}
