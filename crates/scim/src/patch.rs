//! SCIM PATCH (RFC 7644 §3.5.2) on a resource's JSON: identity providers send their changes
//! this way (Okta and Entra ID each with their own habits), and the server validates the
//! patched JSON afterwards, so this module only needs to know which attributes are
//! multi-valued. The request is untrusted: every problem is an error, never a panic.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::filter::{self, AttrPath, CompareOp, Filter, get_ignore_case, starts_with_ignore_case};

/// The message URN a PATCH body must list in `schemas`, so that other bodies are refused.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Most operations one request may carry: bounds the work an untrusted request can cause.
pub const MAX_OPERATIONS: usize = 1000;

/// The enterprise User extension, recognised even before a resource uses it so that a client
/// can write the whole extension object at once.
const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A PATCH request body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PatchRequest {
    /// Must list [`PATCH_OP_SCHEMA`].
    pub schemas: Vec<String>,
    /// Applied in order, all or nothing.
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PatchOperation {
    /// `add`, `replace` or `remove`, in any case (Entra ID capitalises them).
    pub op: String,
    /// What the operation targets; without it, `value` is an object of paths to values.
    #[serde(default)]
    pub path: Option<String>,
    /// `Some(Value::Null)` when the client sent `null` (which removes), `None` when it sent
    /// nothing.
    #[serde(default, deserialize_with = "sent")]
    pub value: Option<Value>,
}

/// Keeps an explicit `null` apart from an absent value.
fn sent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Why a PATCH was refused; the message is meant for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The path does not parse (scimType `invalidPath`).
    #[error("{0}")]
    InvalidPath(String),
    /// The path selects nothing that the operation could act on (scimType `noTarget`).
    #[error("{0}")]
    NoTarget(String),
    /// The value does not fit the operation or the target (scimType `invalidValue`).
    #[error("{0}")]
    InvalidValue(String),
    /// The request itself is malformed (scimType `invalidSyntax`).
    #[error("{0}")]
    InvalidSyntax(String),
    /// The operation would change `id` or `meta`, which are read-only (scimType `mutability`).
    #[error("{0}")]
    Mutability(String),
}

impl PatchError {
    /// The `scimType` of the error response, which clients act upon.
    pub fn scim_type(&self) -> &'static str {
        match self {
            PatchError::InvalidPath(_) => "invalidPath",
            PatchError::NoTarget(_) => "noTarget",
            PatchError::InvalidValue(_) => "invalidValue",
            PatchError::InvalidSyntax(_) => "invalidSyntax",
            PatchError::Mutability(_) => "mutability",
        }
    }
}

/// Applies the operations in order to `resource` (a JSON object: the resource as the server
/// renders it). `multi_valued(attr_name)` tells whether a top-level attribute is multi-valued
/// (emails, members, ...), since a missing one must be created as an array. On an error the
/// resource is left untouched: RFC 7644 makes a PATCH atomic.
pub fn apply(
    resource: &mut Value,
    request: &PatchRequest,
    multi_valued: &dyn Fn(&str) -> bool,
) -> Result<(), PatchError> {
    let count = request.operations.len();
    if !lists(&request.schemas, PATCH_OP_SCHEMA) {
        return Err(syntax(format!(
            "a PATCH body lists the schema {PATCH_OP_SCHEMA}"
        )));
    } else if count == 0 || count > MAX_OPERATIONS {
        return Err(syntax(format!(
            "a PATCH body has 1 to {MAX_OPERATIONS} operations"
        )));
    }
    let mut patched = resource.clone();
    for operation in &request.operations {
        apply_operation(&mut patched, operation, multi_valued)?;
    }
    *resource = patched;
    Ok(())
}

fn syntax(message: String) -> PatchError {
    PatchError::InvalidSyntax(message)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Where an operation lands, once its path is parsed: `extension:attr[filter].sub`.
struct Target {
    /// The extension URN the attribute lives under; `None` for the resource's own attributes.
    extension: Option<String>,
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn apply_operation(
    resource: &mut Value,
    operation: &PatchOperation,
    multi_valued: &dyn Fn(&str) -> bool,
) -> Result<(), PatchError> {
    let op = match operation.op.to_ascii_lowercase().as_str() {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "remove" => Op::Remove,
        other => {
            return Err(syntax(format!(
                "unknown op \"{other}\": use add, replace or remove"
            )));
        }
    };
    let value = operation.value.as_ref();
    if let Some(path) = &operation.path {
        let target = parse_target(resource, path)?;
        return apply_target(resource, op, &target, value, multi_valued);
    }
    if op == Op::Remove {
        return Err(PatchError::NoTarget("remove needs a path".to_owned()));
    }
    // Without a path, each key of the value is a path of its own (Entra ID sends
    // `name.givenName` and URN-prefixed keys this way).
    let Some(Value::Object(fields)) = value else {
        let message = "without a path, the value is an object of attributes";
        return Err(PatchError::InvalidValue(message.to_owned()));
    };
    for (key, value) in fields {
        let target = parse_target(resource, key)?;
        apply_target(resource, op, &target, Some(value), multi_valued)?;
    }
    Ok(())
}

fn parse_target(resource: &Value, text: &str) -> Result<Target, PatchError> {
    let text = text.trim();
    if text.len() > filter::MAX_LENGTH {
        return Err(PatchError::InvalidPath("the path is too long".to_owned()));
    }
    let invalid = |why: &str| PatchError::InvalidPath(format!("invalid path \"{text}\": {why}"));
    if is_extension_urn(resource, text) {
        // The whole extension object, e.g. `urn:...:enterprise:2.0:User`.
        let (extension, filter, sub) = (None, None, None);
        return Ok(Target {
            extension,
            attr: text.to_owned(),
            filter,
            sub,
        });
    }
    let (head, filter, trailing_sub) = match text.find('[') {
        None => (text, None, None),
        Some(open) => {
            let close = text.rfind(']').filter(|&close| close > open);
            let close = close.ok_or_else(|| invalid("missing ']'"))?;
            let filter = filter::parse(&text[open + 1..close]).map_err(|e| invalid(&e.0))?;
            let sub = match &text[close + 1..] {
                "" => None,
                rest => match rest.strip_prefix('.').map(AttrPath::parse) {
                    Some(Ok(AttrPath {
                        uri: None,
                        attr,
                        sub: None,
                    })) => Some(attr),
                    _ => return Err(invalid("only \".subAttribute\" may follow ']'")),
                },
            };
            (&text[..open], Some(filter), sub)
        }
    };
    let path = AttrPath::parse(head).map_err(|e| invalid(&e.0))?;
    if filter.is_some() && path.sub.is_some() {
        return Err(invalid(
            "a value filter follows an attribute, not a sub-attribute",
        ));
    }
    let extension = if path.in_core_schema() {
        None
    } else {
        path.uri
    };
    Ok(Target {
        extension,
        attr: path.attr,
        filter,
        sub: path.sub.or(trailing_sub),
    })
}

/// Whether `text` names an extension schema as a whole, rather than an attribute within one.
fn is_extension_urn(resource: &Value, text: &str) -> bool {
    let schemas = resource.get("schemas").and_then(Value::as_array);
    let schemas: Vec<&str> = schemas
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    starts_with_ignore_case(text, "urn:")
        && !AttrPath::parse(text).is_ok_and(|path| path.in_core_schema())
        && (text.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)
            || get_ignore_case(resource, text).is_some()
            || lists(&schemas, text))
}

/// Whether a list of names holds `name` (SCIM names and URNs compare case-insensitively).
fn lists<S: AsRef<str>>(names: &[S], name: &str) -> bool {
    names.iter().any(|n| n.as_ref().eq_ignore_ascii_case(name))
}

fn apply_target(
    resource: &mut Value,
    op: Op,
    target: &Target,
    value: Option<&Value>,
    multi_valued: &dyn Fn(&str) -> bool,
) -> Result<(), PatchError> {
    let (op, value) = match (op, value) {
        (Op::Add | Op::Replace, Some(Value::Null)) => (Op::Remove, None),
        (Op::Add | Op::Replace, None) => {
            let message = format!("{op:?} on \"{}\" needs a value", target.attr);
            return Err(PatchError::InvalidValue(message));
        }
        (op, value) => (op, value),
    };
    if target.extension.is_none() && lists(&["id", "meta"], &target.attr) {
        // Okta's group rename repeats the current `id`: restating a value changes nothing.
        let restated = op != Op::Remove
            && target.filter.is_none()
            && target.sub.is_none()
            && value.is_some_and(|v| get_ignore_case(resource, &target.attr) == Some(v));
        let read_only = || PatchError::Mutability(format!("{} is read-only", target.attr));
        return if restated { Ok(()) } else { Err(read_only()) };
    }
    let value = value.map(|v| normalize(target, v));
    let Some(root) = resource.as_object_mut() else {
        return Err(PatchError::NoTarget(
            "the resource is not a JSON object".to_owned(),
        ));
    };
    let (container, multi) = match &target.extension {
        None => (root, multi_valued(&target.attr)),
        Some(urn) => match extension_object(root, urn, op)? {
            Some(extension) => (extension, false),
            None => return Ok(()),
        },
    };
    let name = target.attr.as_str();
    let multi = multi || matches!(get_key_mut(container, name), Some(Value::Array(_)));
    match (&target.filter, &target.sub) {
        (Some(filter), sub) => filtered(container, op, name, filter, sub.as_deref(), value),
        (None, Some(sub)) => sub_attribute(container, op, name, sub, value, multi),
        (None, None) => whole(container, op, name, value, multi),
    }?;
    let whole_extension = starts_with_ignore_case(name, "urn:").then_some(name);
    match target.extension.as_deref().or(whole_extension) {
        Some(urn) if op != Op::Remove => list_schema(resource, urn),
        _ => {}
    }
    Ok(())
}

/// Entra ID sends `active` as the string "True"/"False"; the server's schema wants a boolean.
fn normalize(target: &Target, value: &Value) -> Value {
    let active = target.extension.is_none()
        && target.filter.is_none()
        && target.sub.is_none()
        && target.attr.eq_ignore_ascii_case("active");
    match value.as_str() {
        Some(s) if active && s.eq_ignore_ascii_case("true") => Value::Bool(true),
        Some(s) if active && s.eq_ignore_ascii_case("false") => Value::Bool(false),
        _ => value.clone(),
    }
}

/// The extension's object inside the resource, created for add and replace; `None` when a
/// remove finds nothing to remove from.
fn extension_object<'a>(
    root: &'a mut Map<String, Value>,
    urn: &str,
    op: Op,
) -> Result<Option<&'a mut Map<String, Value>>, PatchError> {
    if op == Op::Remove && get_key_mut(root, urn).is_none_or(|v| v.is_null()) {
        return Ok(None);
    }
    let slot = slot(root, urn);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(extension) => Ok(Some(extension)),
        _ => Err(PatchError::InvalidValue(format!("{urn} is not an object"))),
    }
}

/// Lists an extension the patch wrote to in the resource's `schemas`, as RFC 7643 §3 asks.
fn list_schema(resource: &mut Value, urn: &str) {
    if let Some(Value::Array(schemas)) = resource.get_mut("schemas")
        && !schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    {
        schemas.push(Value::String(urn.to_owned()));
    }
}

/// An operation on the attribute as a whole: `emails`, `active`, `name`.
fn whole(
    container: &mut Map<String, Value>,
    op: Op,
    name: &str,
    value: Option<Value>,
    multi: bool,
) -> Result<(), PatchError> {
    match (op, value, get_key_mut(container, name)) {
        (Op::Remove, Some(listed), Some(Value::Array(items))) => {
            // Entra ID removes group members by listing them: `"value": [{"value": "id"}]`.
            let listed = items_of(listed);
            items.retain(|item| !listed.iter().any(|l| same_value(item, l)));
        }
        (Op::Remove, _, _) => remove_key(container, name),
        (Op::Add, Some(value), _) if multi => {
            let slot = slot(container, name);
            if slot.is_null() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else {
                return Err(PatchError::InvalidValue(format!(
                    "{name} is not multi-valued"
                )));
            };
            for item in items_of(value) {
                if !items.iter().any(|existing| contains(existing, &item)) {
                    items.push(item);
                }
            }
        }
        (_, Some(value), Some(Value::Object(existing))) if !multi && value.is_object() => {
            // RFC 7644: sub-attributes left out of the value keep theirs.
            merge(existing, &value);
        }
        (_, Some(value), _) if multi => set_key(container, name, Value::Array(items_of(value))),
        (_, Some(value), _) => set_key(container, name, value),
        (_, None, _) => return Err(PatchError::InvalidValue(format!("{name} needs a value"))),
    }
    Ok(())
}

/// An operation on `attr.sub` without a filter: on the complex attribute, or on every element
/// of a multi-valued one.
fn sub_attribute(
    container: &mut Map<String, Value>,
    op: Op,
    name: &str,
    sub: &str,
    value: Option<Value>,
    multi: bool,
) -> Result<(), PatchError> {
    match slot(container, name) {
        Value::Object(object) => set_or_remove(object, sub, value),
        Value::Array(items) => {
            let objects: Vec<_> = items.iter_mut().filter_map(Value::as_object_mut).collect();
            if objects.is_empty() && op != Op::Remove {
                return Err(PatchError::NoTarget(format!(
                    "{name} has no value to set {sub} on"
                )));
            }
            for object in objects {
                set_or_remove(object, sub, value.clone());
            }
        }
        slot @ Value::Null => match value {
            Some(value) => {
                let object = Value::Object(Map::from_iter([(sub.to_owned(), value)]));
                *slot = if multi {
                    Value::Array(vec![object])
                } else {
                    object
                };
            }
            None => remove_key(container, name),
        },
        _ => {
            return Err(PatchError::InvalidPath(format!(
                "{name} has no sub-attributes"
            )));
        }
    }
    Ok(())
}

/// An operation on the elements a value filter selects: `emails[type eq "work"](.value)`.
fn filtered(
    container: &mut Map<String, Value>,
    op: Op,
    name: &str,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let selected = |item: &Value| filter.matches(item, &|_| false);
    let items = match slot(container, name) {
        Value::Array(items) => items,
        slot @ Value::Null => {
            match value {
                Some(value) => *slot = Value::Array(vec![create(op, name, filter, sub, value)?]),
                None => remove_key(container, name),
            }
            return Ok(());
        }
        _ => {
            let message = format!("{name} is not multi-valued, so it takes no value filter");
            return Err(PatchError::InvalidPath(message));
        }
    };
    let Some(value) = value else {
        match sub {
            None => items.retain(|item| !selected(item)),
            Some(sub) => {
                let chosen = items.iter_mut().filter(|item| selected(item));
                chosen
                    .filter_map(Value::as_object_mut)
                    .for_each(|o| remove_key(o, sub));
            }
        }
        return Ok(());
    };
    let mut found = false;
    for item in items.iter_mut().filter(|item| selected(item)) {
        found = true;
        match (sub, item) {
            (Some(sub), Value::Object(object)) => set_key(object, sub, value.clone()),
            (Some(_), _) => {}
            (None, Value::Object(object)) if value.is_object() => merge(object, &value),
            (None, item) => *item = value.clone(),
        }
    }
    if !found {
        items.push(create(op, name, filter, sub, value)?);
    }
    Ok(())
}

/// The element an add builds when its filter selects nothing: Entra ID adds
/// `emails[type eq "work"].value` to a user without a work email. Replace has nothing to
/// replace (RFC 7644 says `noTarget`), and neither has an add whose filter describes no element.
fn create(
    op: Op,
    name: &str,
    filter: &Filter,
    sub: Option<&str>,
    value: Value,
) -> Result<Value, PatchError> {
    let no_target = || PatchError::NoTarget(format!("no value of {name} matches the filter"));
    let template = template(filter).filter(|_| op == Op::Add);
    let mut element = template.ok_or_else(no_target)?;
    match sub {
        Some(sub) => set_key(&mut element, sub, value),
        None if value.is_object() => merge(&mut element, &value),
        None => return Err(no_target()),
    }
    Ok(Value::Object(element))
}

/// The element a filter of `attr eq value` clauses joined by `and` describes.
fn template(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.uri.is_none() && path.sub.is_none() && !value.is_null() => {
            Some(Map::from_iter([(path.attr.clone(), value.clone())]))
        }
        Filter::And(a, b) => {
            let mut element = template(a)?;
            element.extend(template(b)?);
            Some(element)
        }
        _ => None,
    }
}

/// The values an add or replace puts in a multi-valued attribute (one, or an array of them),
/// without `null` sub-attributes (Entra ID sends `"$ref": null` with members).
fn items_of(value: Value) -> Vec<Value> {
    let items = match value {
        Value::Array(items) => items,
        single => vec![single],
    };
    let without_nulls = |mut item: Value| {
        if let Value::Object(object) = &mut item {
            object.retain(|_, v| !v.is_null());
        }
        item
    };
    items
        .into_iter()
        .filter(|item| !item.is_null())
        .map(without_nulls)
        .collect()
}

/// Whether `existing` already holds everything `new` says, so that adding it changes nothing
/// (RFC 7644 §3.5.2.1): a member re-added without its `display` is no new member.
fn contains(existing: &Value, new: &Value) -> bool {
    match (existing, new) {
        (Value::Object(_), Value::Object(new)) => new
            .iter()
            .all(|(key, value)| get_ignore_case(existing, key) == Some(value)),
        _ => existing == new,
    }
}

/// Whether an element is one a remove listed: same `value` (ignoring case), or equal.
fn same_value(item: &Value, listed: &Value) -> bool {
    let key = |v: &Value| match v {
        Value::Object(_) => get_ignore_case(v, "value").cloned(),
        other => Some(other.clone()),
    };
    match (key(item), key(listed)) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.to_lowercase() == b.to_lowercase(),
        (Some(a), Some(b)) => a == b,
        _ => item == listed,
    }
}

/// Sets each of `value`'s sub-attributes on `object`; a `null` one is removed.
fn merge(object: &mut Map<String, Value>, value: &Value) {
    for (key, value) in value.as_object().into_iter().flatten() {
        set_or_remove(object, key, Some(value.clone()));
    }
}

fn set_or_remove(object: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(value) if !value.is_null() => set_key(object, key, value),
        _ => remove_key(object, key),
    }
}

/// The spelling of `name` the object already uses, if any: SCIM names ignore case.
fn existing_key(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

fn get_key_mut<'a>(object: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    let key = existing_key(object, name)?;
    object.get_mut(&key)
}

/// The attribute's value, `null` if it had none (then remove it again if left so).
fn slot<'a>(object: &'a mut Map<String, Value>, name: &str) -> &'a mut Value {
    let key = existing_key(object, name).unwrap_or_else(|| name.to_owned());
    object.entry(key).or_insert(Value::Null)
}

/// Sets the attribute under its existing spelling, or as the client spelled it.
fn set_key(object: &mut Map<String, Value>, name: &str, value: Value) {
    *slot(object, name) = value;
}

fn remove_key(object: &mut Map<String, Value>, name: &str) {
    if let Some(key) = existing_key(object, name) {
        object.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
    const MANDY: &str = "902c246b-6245-4190-8e05-00816be7344a";
    const ENTERPRISE: &str = ENTERPRISE_USER_SCHEMA;

    fn multi_valued(name: &str) -> bool {
        lists(
            &[
                "emails",
                "phoneNumbers",
                "ims",
                "addresses",
                "members",
                "schemas",
            ],
            name,
        )
    }

    fn request(operations: Value) -> PatchRequest {
        serde_json::from_value(json!({ "schemas": [PATCH_OP_SCHEMA], "Operations": operations }))
            .expect("a PATCH body")
    }

    fn try_patch(resource: &Value, operations: Value) -> Result<Value, PatchError> {
        let mut patched = resource.clone();
        apply(&mut patched, &request(operations), &multi_valued).map(|()| patched)
    }

    /// Applies `operations` and checks JSON pointers into the result (`null`: absent).
    fn check(resource: &Value, operations: Value, expected: &[(&str, Value)]) -> Value {
        let patched = try_patch(resource, operations).expect("the patch applies");
        for (pointer, value) in expected {
            let found = patched.pointer(pointer).unwrap_or(&Value::Null);
            assert_eq!(found, value, "{pointer} in {patched}");
        }
        patched
    }

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": BABS,
            "userName": "bjensen",
            "name": { "familyName": "Jensen", "givenName": "Barbara" },
            "active": true,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "addresses": [{ "type": "work", "streetAddress": "100 Universal City Plaza" }],
            "meta": { "resourceType": "User" }
        })
    }

    fn group() -> Value {
        let member =
            |id: &str| json!({ "value": id, "display": "x", "$ref": format!("/Users/{id}") });
        let members = [member(BABS), member(MANDY)];
        json!({ "id": "e9e30dba", "displayName": "Tour Guides", "members": members })
    }

    #[test]
    fn rfc_add() {
        let member =
            json!({ "display": "Babs Jensen", "$ref": format!("/Users/{BABS}"), "value": BABS });
        let add = json!([{ "op": "add", "path": "members", "value": [member] }]);
        let once = check(
            &json!({ "displayName": "Tour Guides" }),
            add.clone(),
            &[("/members", json!([member]))],
        );
        assert_eq!(
            try_patch(&once, add),
            Ok(once.clone()),
            "re-adding a member changes nothing"
        );
        let again = json!([{ "op": "add", "path": "members",
                              "value": [{ "value": BABS }, { "value": MANDY }] }]);
        check(
            &once,
            again,
            &[
                ("/members/1", json!({ "value": MANDY })),
                ("/members/2", Value::Null),
            ],
        );
        let emails = json!([{ "op": "add", "value": {
            "emails": [{ "value": "babs@jensen.org", "type": "home" }, { "value": "b@x.org" }],
            "nickname": "Babs"
        } }]);
        check(
            &user(),
            emails,
            &[
                ("/nickname", json!("Babs")),
                ("/emails/2/value", json!("b@x.org")),
                ("/emails/3", Value::Null),
            ],
        );
        let given = json!([{ "op": "add", "path": "name.givenName", "value": "X" }]);
        check(
            &json!({ "userName": "x" }),
            given,
            &[("/name", json!({ "givenName": "X" }))],
        );
    }

    #[test]
    fn rfc_remove() {
        let babs = json!([{ "op": "remove", "path": format!("members[value eq \"{BABS}\"]") }]);
        let removed = check(
            &group(),
            babs.clone(),
            &[
                ("/members/0/value", json!(MANDY)),
                ("/members/1", Value::Null),
            ],
        );
        assert_eq!(
            try_patch(&removed, babs),
            Ok(removed),
            "removing is idempotent"
        );
        check(
            &group(),
            json!([{ "op": "remove", "path": "members" }]),
            &[("/members", Value::Null)],
        );
        let work = "emails[type eq \"work\" and value ew \"example.com\"]";
        let work = json!([{ "op": "remove", "path": work }]);
        check(
            &user(),
            work,
            &[(
                "/emails",
                json!([{ "value": "babs@jensen.org", "type": "home" }]),
            )],
        );
        let primary = json!([{ "op": "remove", "path": "emails[type eq \"work\"].primary" }]);
        check(
            &user(),
            primary,
            &[(
                "/emails/0",
                json!({ "value": "bjensen@example.com", "type": "work" }),
            )],
        );
        let nothing = json!([
            { "op": "remove", "path": "phoneNumbers[type eq \"work\"]" },
            { "op": "remove", "path": "x.y" }
        ]);
        assert_eq!(try_patch(&user(), nothing), Ok(user()));
    }

    #[test]
    fn rfc_replace() {
        let members =
            json!([{ "op": "replace", "path": "members", "value": [{ "value": MANDY }] }]);
        check(
            &group(),
            members,
            &[("/members", json!([{ "value": MANDY }]))],
        );
        let swap = json!([
            { "op": "remove", "path": "members" },
            { "op": "add", "path": "members", "value": [{ "value": BABS }] }
        ]);
        check(&group(), swap, &[("/members", json!([{ "value": BABS }]))]);
        let address = json!([{ "op": "replace", "path": "addresses[type eq \"work\"]", "value": {
            "type": "work", "locality": "Hollywood", "primary": true
        } }]);
        let merged = json!([{ "type": "work", "streetAddress": "100 Universal City Plaza",
                               "locality": "Hollywood", "primary": true }]);
        check(&user(), address, &[("/addresses", merged)]);
        let street = json!([{ "op": "replace", "path": "addresses[type eq \"work\"].streetAddress",
                               "value": "1010 Broadway Ave" }]);
        check(
            &user(),
            street,
            &[("/addresses/0/streetAddress", json!("1010 Broadway Ave"))],
        );
        let family =
            json!([{ "op": "replace", "path": "name.familyName", "value": "Jensen-Smith" }]);
        check(
            &user(),
            family,
            &[(
                "/name",
                json!({ "familyName": "Jensen-Smith", "givenName": "Barbara" }),
            )],
        );
        let name = json!([{ "op": "replace", "path": "name",
                             "value": { "givenName": "Babs", "familyName": null } }]);
        check(&user(), name, &[("/name", json!({ "givenName": "Babs" }))]);
        let nulls = json!([
            { "op": "replace", "path": "name", "value": null },
            { "op": "add", "value": { "active": null } }
        ]);
        check(
            &user(),
            nulls,
            &[
                ("/name", Value::Null),
                ("/active", Value::Null),
                ("/userName", json!("bjensen")),
            ],
        );
    }

    #[test]
    fn okta_sequences() {
        check(
            &user(),
            json!([{ "op": "replace", "value": { "active": false } }]),
            &[("/active", json!(false))],
        );
        let dade = json!({ "value": "89bb1940", "display": "dade.murphy@example.com" });
        let add = json!([{ "op": "add", "path": "members", "value": [dade] }]);
        let added = check(&group(), add, &[("/members/2/value", json!("89bb1940"))]);
        let remove = json!([{ "op": "remove", "path": "members[value eq \"89bb1940\"]" }]);
        assert_eq!(try_patch(&added, remove), Ok(group()));
        // Renaming a group, Okta repeats its id.
        let rename = json!([{ "op": "replace",
                               "value": { "id": "e9e30dba", "displayName": "Test SCIMv2" } }]);
        check(
            &group(),
            rename,
            &[
                ("/displayName", json!("Test SCIMv2")),
                ("/id", json!("e9e30dba")),
            ],
        );
    }

    #[test]
    fn entra_id_sequences() {
        let disable = json!([{ "op": "Replace", "path": "active", "value": "False" }]);
        let disabled = check(&user(), disable, &[("/active", json!(false))]);
        check(
            &disabled,
            json!([{ "op": "Add", "value": { "active": "TRUE" } }]),
            &[("/active", json!(true))],
        );
        let title = json!([{ "op": "Replace", "path": "title", "value": "False" }]);
        check(&user(), title, &[("/title", json!("False"))]);
        let keys = json!([{ "op": "Add", "value": {
            "name.givenName": "Babs",
            format!("{ENTERPRISE}:employeeNumber"): "701984"
        } }]);
        let employee = format!("/{ENTERPRISE}");
        let listed = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
        let expected = [
            ("/name/givenName", json!("Babs")),
            (&employee, json!({ "employeeNumber": "701984" })),
            ("/schemas", listed),
        ];
        check(&user(), keys, &expected);
        let email = json!([{ "op": "Replace", "path": "emails[type eq \"work\"].value",
                              "value": "b@new.com" }]);
        check(
            &user(),
            email,
            &[
                ("/emails/0/value", json!("b@new.com")),
                ("/emails/1/value", json!("babs@jensen.org")),
            ],
        );
        let first =
            json!([{ "op": "Add", "path": "emails[type eq \"work\"].value", "value": "x@y.com" }]);
        check(
            &json!({ "userName": "x" }),
            first,
            &[("/emails", json!([{ "type": "work", "value": "x@y.com" }]))],
        );
        let member =
            json!([{ "op": "Add", "path": "members", "value": [{ "$ref": null, "value": BABS }] }]);
        check(
            &json!({ "displayName": "Group1" }),
            member,
            &[("/members", json!([{ "value": BABS }]))],
        );
        let remove = json!([{ "op": "Remove", "path": "members",
                               "value": [{ "value": BABS.to_uppercase() }] }]);
        check(
            &group(),
            remove,
            &[
                ("/members/0/value", json!(MANDY)),
                ("/members/1", Value::Null),
            ],
        );
    }

    #[test]
    fn names_ignore_case_and_keep_the_existing_spelling() {
        let operations = json!([
            { "op": "replace", "path": "USERNAME", "value": "babs" },
            { "op": "replace", "value": "Babs",
              "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName" },
            { "op": "replace", "path": "Emails[TYPE EQ \"HOME\"].Value", "value": "b@home.org" }
        ]);
        let expected = [
            ("/userName", json!("babs")),
            ("/USERNAME", Value::Null),
            ("/displayName", json!("Babs")),
            ("/emails/1/value", json!("b@home.org")),
        ];
        check(&user(), operations, &expected);
    }

    #[test]
    fn extension_attributes_live_under_their_urn() {
        let number = format!("{ENTERPRISE}:employeeNumber");
        let pointer = format!("/{ENTERPRISE}");
        let user = check(
            &user(),
            json!([{ "op": "add", "path": number, "value": "1" }]),
            &[(&pointer, json!({ "employeeNumber": "1" }))],
        );
        let whole =
            json!([{ "op": "replace", "path": ENTERPRISE, "value": { "department": "Tours" } }]);
        let user = check(
            &user,
            whole,
            &[(
                &pointer,
                json!({ "employeeNumber": "1", "department": "Tours" }),
            )],
        );
        check(
            &user,
            json!([{ "op": "remove", "path": number }]),
            &[(&pointer, json!({ "department": "Tours" }))],
        );
        let untouched = json!({ "userName": "x" });
        assert_eq!(
            try_patch(&untouched, json!([{ "op": "remove", "path": number }])),
            Ok(untouched)
        );
    }

    #[test]
    fn refuses_bad_requests() {
        let cases = [
            (
                json!([{ "op": "copy", "path": "title", "value": "x" }]),
                "invalidSyntax",
            ),
            (json!([]), "invalidSyntax"),
            (json!([{ "op": "remove" }]), "noTarget"),
            (json!([{ "op": "add", "value": "x" }]), "invalidValue"),
            (json!([{ "op": "add", "path": "title" }]), "invalidValue"),
            (
                json!([{ "op": "add", "path": "emails[type eq]", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "add", "path": "name..givenName", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "add", "path": "emails[type eq \"work\"]x", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "add", "path": "emails[type eq \"work\"", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "add", "path": "userName.x", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "add", "path": "userName[value pr]", "value": "x" }]),
                "invalidPath",
            ),
            (
                json!([{ "op": "replace", "path": "emails[type eq \"x\"].value", "value": "x" }]),
                "noTarget",
            ),
            (
                json!([{ "op": "add", "path": "emails[value co \"zz\"].value", "value": "x" }]),
                "noTarget",
            ),
            (
                json!([{ "op": "replace", "path": "id", "value": "other" }]),
                "mutability",
            ),
            (json!([{ "op": "remove", "path": "meta" }]), "mutability"),
            (
                json!([{ "op": "replace", "path": "meta.created", "value": "x" }]),
                "mutability",
            ),
            (
                json!([{ "op": "replace", "value": { "id": "other" } }]),
                "mutability",
            ),
        ];
        for (operations, scim_type) in cases {
            let error = try_patch(&user(), operations.clone()).expect_err("refused");
            assert_eq!(error.scim_type(), scim_type, "{operations}: {error}");
        }
        let too_many = vec![json!({ "op": "remove", "path": "title" }); MAX_OPERATIONS + 1];
        let error = try_patch(&user(), Value::Array(too_many)).expect_err("too many");
        assert_eq!(error.scim_type(), "invalidSyntax");
        let mut unlabelled = request(json!([{ "op": "remove", "path": "title" }]));
        unlabelled.schemas = vec!["urn:ietf:params:scim:schemas:core:2.0:User".to_owned()];
        let error = apply(&mut user(), &unlabelled, &multi_valued).expect_err("no PatchOp");
        assert_eq!(error.scim_type(), "invalidSyntax");
        let missing: PatchOperation =
            serde_json::from_value(json!({ "op": "add" })).expect("an op");
        assert_eq!(missing.value, None, "absent, unlike an explicit null");
    }

    #[test]
    fn a_failed_patch_changes_nothing() {
        let mut resource = user();
        let request = request(json!([
            { "op": "replace", "path": "userName", "value": "changed" },
            { "op": "replace", "path": "id", "value": "changed" }
        ]));
        assert!(apply(&mut resource, &request, &multi_valued).is_err());
        assert_eq!(resource, user());
    }
}
