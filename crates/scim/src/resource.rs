//! Users and groups between their SCIM JSON and the domain's directory records. Only the
//! attributes the published schemas list are kept; others are ignored, as RFC 7644 lets a
//! service provider do.

use serde_json::{Map, Value, json};
use tenantry_domain::directory::{
    Attributes, DirectoryGroup, DirectoryGroupRecord, DirectoryName, DirectoryUser,
    DirectoryUserRecord, ExternalId,
};
use tenantry_domain::ids::UserId;
use tenantry_domain::user::{Email, UserName};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ScimError;
use crate::filter::AttrPath;

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Where resources live: the org's SCIM base URL, as the client reached it.
pub struct Base(pub String);

impl Base {
    fn user(&self, id: impl std::fmt::Display) -> String {
        format!("{}/Users/{id}", self.0)
    }

    fn group(&self, id: impl std::fmt::Display) -> String {
        format!("{}/Groups/{id}", self.0)
    }
}

/// Which kind of resource, for what differs between users and groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl Kind {
    /// The attributes of the kind that hold lists, which a PATCH creates as arrays.
    pub fn multi_valued(self, attr: &str) -> bool {
        let attr = attr.to_ascii_lowercase();
        match self {
            Kind::User => attr == "emails",
            Kind::Group => attr == "members",
        }
    }

    /// Attributes compared with case: ids and references. The rest, names and addresses
    /// included, compare without (RFC 7643's `caseExact` of each).
    pub fn case_exact(self, path: &AttrPath) -> bool {
        let attr = path.attr.to_ascii_lowercase();
        let sub = path.sub.as_deref().map(str::to_ascii_lowercase);
        matches!(attr.as_str(), "id" | "externalid")
            || (self == Kind::Group && attr == "members" && sub.as_deref() != Some("type"))
    }
}

fn invalid(error: ValidationError) -> ScimError {
    ScimError::invalid_value(format!("{}: {}", error.field, error.message))
}

/// The value of `key` in `object`, looked up without regard to case (RFC 7643 §2.1).
fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, value)| value)
        .filter(|value| !value.is_null())
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ScimError> {
    match get(object, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ScimError::invalid_value(format!("{key} must be a string"))),
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object()
        .ok_or_else(|| ScimError::invalid_value("the body must be a JSON object"))
}

fn external_id(body: &Map<String, Value>) -> Result<Option<ExternalId>, ScimError> {
    text(body, "externalId")?
        .map(ExternalId::parse)
        .transpose()
        .map_err(invalid)
}

fn attributes(kept: Map<String, Value>) -> Result<Attributes, ScimError> {
    Attributes::new("attributes", Value::Object(kept).to_string()).map_err(invalid)
}

/// A User body (POST, PUT, or a PATCHed resource) as the domain reads it.
pub fn user_from_json(body: &Value) -> Result<DirectoryUser, ScimError> {
    let body = object(body)?;
    let user_name =
        text(body, "userName")?.ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let user_name = DirectoryName::parse("userName", user_name).map_err(invalid)?;
    let active = match get(body, "active") {
        None => true,
        Some(Value::Bool(active)) => *active,
        Some(_) => return Err(ScimError::invalid_value("active must be a boolean")),
    };
    let mut kept = Map::new();
    // Whether the client stated `active` at all: an unstated one is rendered as unstated, and
    // counts as true. Only the fact is kept; the membership holds the value.
    if get(body, "active").is_some() {
        kept.insert("active".into(), true.into());
    }
    if let Some(name) = get(body, "name") {
        let name = name
            .as_object()
            .ok_or_else(|| ScimError::invalid_value("name must be an object"))?;
        let mut parts = Map::new();
        for part in ["formatted", "familyName", "givenName"] {
            if let Some(value) = text(name, part)? {
                parts.insert(part.to_owned(), value.into());
            }
        }
        if !parts.is_empty() {
            kept.insert("name".into(), Value::Object(parts));
        }
    }
    let display_name = text(body, "displayName")?;
    if let Some(display_name) = display_name {
        kept.insert("displayName".into(), display_name.into());
    }
    let emails = emails(body)?;
    let email = emails
        .iter()
        .find(|email| email.get("primary") == Some(&Value::Bool(true)))
        .or(emails.first())
        .and_then(|email| email.get("value").and_then(Value::as_str))
        .map(|value| Email::try_from(value).map_err(invalid))
        .transpose()?;
    if !emails.is_empty() {
        kept.insert(
            "emails".into(),
            Value::Array(emails.into_iter().map(Value::Object).collect()),
        );
    }
    let name = display_name
        .or_else(|| {
            kept.get("name")
                .and_then(|name| name.get("formatted"))
                .and_then(Value::as_str)
        })
        .and_then(|name| UserName::try_from(name).ok());
    Ok(DirectoryUser {
        user_name,
        external_id: external_id(body)?,
        email,
        name,
        active,
        attributes: attributes(kept)?,
    })
}

fn emails(body: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, ScimError> {
    let Some(list) = get(body, "emails") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| ScimError::invalid_value("emails must be a list"))?;
    list.iter()
        .map(|email| {
            let email = email
                .as_object()
                .ok_or_else(|| ScimError::invalid_value("each of emails must be an object"))?;
            let value = text(email, "value")?
                .ok_or_else(|| ScimError::invalid_value("each of emails needs a value"))?;
            Email::try_from(value).map_err(invalid)?;
            let mut kept = Map::new();
            kept.insert("value".into(), value.into());
            if let Some(kind) = text(email, "type")? {
                kept.insert("type".into(), kind.into());
            }
            match get(email, "primary") {
                None => {}
                Some(Value::Bool(primary)) => {
                    kept.insert("primary".into(), (*primary).into());
                }
                Some(_) => return Err(ScimError::invalid_value("primary must be a boolean")),
            }
            Ok(kept)
        })
        .collect()
}

fn meta(
    kind: &str,
    created: OffsetDateTime,
    updated: OffsetDateTime,
    location: String,
    version: u64,
) -> Value {
    let time = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
    json!({
        "resourceType": kind,
        "created": time(created),
        "lastModified": time(updated),
        "location": location,
        "version": etag(version),
    })
}

/// The weak entity tag of a record's version, as `meta.version` and the `ETag` header give it.
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` header names, when it names one of ours.
pub fn version_of(tag: &str) -> Option<u64> {
    tag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

fn kept_attributes(attributes: &Attributes) -> Map<String, Value> {
    serde_json::from_str(attributes.as_str()).unwrap_or_default()
}

/// A user as the client reads it.
pub fn user_json(record: &DirectoryUserRecord, base: &Base) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([USER_SCHEMA]));
    body.insert("id".into(), record.user_id.to_string().into());
    if let Some(external_id) = &record.user.external_id {
        body.insert("externalId".into(), external_id.as_str().into());
    }
    body.insert("userName".into(), record.user.user_name.as_str().into());
    let kept = kept_attributes(&record.user.attributes);
    let stated_active = kept.contains_key("active");
    body.extend(kept);
    // The membership decides; the kept copy only says whether the client stated it.
    if stated_active || !record.user.active {
        body.insert("active".into(), record.user.active.into());
    }
    body.insert(
        "meta".into(),
        meta(
            "User",
            record.created_at,
            record.updated_at,
            base.user(record.user_id),
            record.version,
        ),
    );
    Value::Object(body)
}

/// A Group body as the domain reads it. Members are named by their user ids.
pub fn group_from_json(body: &Value) -> Result<DirectoryGroup, ScimError> {
    let body = object(body)?;
    let display_name = text(body, "displayName")?
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    let display_name = DirectoryName::parse("displayName", display_name).map_err(invalid)?;
    let mut members = Vec::new();
    if let Some(list) = get(body, "members") {
        let list = list
            .as_array()
            .ok_or_else(|| ScimError::invalid_value("members must be a list"))?;
        if list.len() > DirectoryGroup::MAX_MEMBERS {
            return Err(ScimError::invalid_value(format!(
                "a group has at most {} members",
                DirectoryGroup::MAX_MEMBERS
            )));
        }
        for member in list {
            let member = member
                .as_object()
                .ok_or_else(|| ScimError::invalid_value("each of members must be an object"))?;
            let value = text(member, "value")?
                .ok_or_else(|| ScimError::invalid_value("each of members needs a value"))?;
            let id: UserId = value.parse().map_err(|_| {
                ScimError::invalid_value(format!("no user of this directory has the id {value}"))
            })?;
            members.push(id);
        }
    }
    Ok(DirectoryGroup {
        display_name,
        external_id: external_id(body)?,
        members,
        attributes: attributes(Map::new())?,
    })
}

/// A group as the client reads it; an empty group has no `members`.
pub fn group_json(record: &DirectoryGroupRecord, base: &Base) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([GROUP_SCHEMA]));
    body.insert("id".into(), record.id.to_string().into());
    if let Some(external_id) = &record.group.external_id {
        body.insert("externalId".into(), external_id.as_str().into());
    }
    body.insert(
        "displayName".into(),
        record.group.display_name.as_str().into(),
    );
    if !record.group.members.is_empty() {
        let members: Vec<Value> = record
            .group
            .members
            .iter()
            .map(|id| json!({"value": id.to_string(), "$ref": base.user(id), "type": "User"}))
            .collect();
        body.insert("members".into(), members.into());
    }
    body.insert(
        "meta".into(),
        meta(
            "Group",
            record.created_at,
            record.updated_at,
            base.group(record.id),
            record.version,
        ),
    );
    Value::Object(body)
}

/// Narrows a resource to the `attributes` asked for, or drops the `excludedAttributes`
/// (RFC 7644 §3.4.2.5). `id` and `schemas` are always returned. Names may carry a schema
/// URN and a sub-attribute.
pub fn project(resource: &mut Value, attributes: &[AttrPath], excluded: &[AttrPath]) {
    let Some(body) = resource.as_object_mut() else {
        return;
    };
    let always = |key: &str| key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("schemas");
    if !attributes.is_empty() {
        body.retain(|key, value| {
            if always(key) {
                return true;
            }
            let asked: Vec<&AttrPath> = attributes
                .iter()
                .filter(|path| path.attr.eq_ignore_ascii_case(key))
                .collect();
            if asked.is_empty() {
                return false;
            }
            if asked.iter().all(|path| path.sub.is_some()) {
                narrow(value, |sub| {
                    asked.iter().any(|path| {
                        path.sub
                            .as_deref()
                            .is_some_and(|s| s.eq_ignore_ascii_case(sub))
                    })
                });
            }
            true
        });
    }
    for path in excluded {
        if always(&path.attr) {
            continue;
        }
        match &path.sub {
            None => body.retain(|key, _| !key.eq_ignore_ascii_case(&path.attr)),
            Some(sub) => {
                if let Some((_, value)) = body
                    .iter_mut()
                    .find(|(key, _)| key.eq_ignore_ascii_case(&path.attr))
                {
                    narrow(value, |key| !key.eq_ignore_ascii_case(sub));
                }
            }
        }
    }
}

/// Keeps only the sub-attributes `keep` accepts, in an object or in each object of a list.
fn narrow(value: &mut Value, keep: impl Fn(&str) -> bool) {
    match value {
        Value::Object(object) => object.retain(|key, _| keep(key)),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(object) = item {
                    object.retain(|key, _| keep(key));
                }
            }
        }
        _ => {}
    }
}
