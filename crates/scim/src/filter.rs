//! SCIM filter expressions (RFC 7644 §3.4.2.2): what identity providers send as `?filter=` to
//! look a user or group up before provisioning it, and what PATCH paths use to pick elements of
//! a multi-valued attribute. The text comes from the request, so parsing is bounded in length
//! and nesting and reports every problem as an error rather than panicking.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Longest filter accepted: real ones are a few dozen characters, and the bound caps the work
/// (and the tree) an untrusted request can cause.
pub const MAX_LENGTH: usize = 4096;

/// Deepest nesting of parentheses, `not` and value filters accepted, so that parsing and
/// matching recurse a bounded number of times.
pub const MAX_DEPTH: usize = 32;

/// Every core schema of SCIM 2.0 (`...:core:2.0:User`, `...:core:2.0:Group`) starts so: a
/// path prefixed with one names the resource's own attributes.
const CORE_SCHEMA_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// A comparison operator; the client writes it in any case (`eq`, `EQ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal; also true when the attribute has no value.
    Ne,
    /// Contains (strings only).
    Co,
    /// Starts with (strings only).
    Sw,
    /// Ends with (strings only).
    Ew,
    /// Greater than (strings and numbers).
    Gt,
    /// Greater than or equal (strings and numbers).
    Ge,
    /// Less than (strings and numbers).
    Lt,
    /// Less than or equal (strings and numbers).
    Le,
}

impl CompareOp {
    fn from_keyword(word: &str) -> Option<Self> {
        const OPS: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        OPS.iter()
            .find(|(name, _)| word.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }
}

/// An attribute reference such as `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`.
/// Names keep the client's spelling; SCIM compares them case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the client prefixed, up to the last `:` before the attribute name.
    pub uri: Option<String>,
    /// The attribute name (`name`).
    pub attr: String,
    /// The sub-attribute of a complex attribute (`givenName`).
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `[URN ":"] attr ["." sub]`: PATCH paths are built from the same pieces.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let invalid = |why: &str| FilterError(format!("invalid attribute path \"{text}\": {why}"));
        let (uri, rest) = match text.rfind(':') {
            Some(colon) => (Some(&text[..colon]), &text[colon + 1..]),
            None => (None, text),
        };
        if let Some(uri) = uri {
            let urn_chars = uri
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_'));
            if !starts_with_ignore_case(uri, "urn:") || !urn_chars {
                return Err(invalid("a schema prefix is a URN"));
            }
        }
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub)),
            None => (rest, None),
        };
        if !is_attr_name(attr) || !sub.is_none_or(is_attr_name) {
            return Err(invalid(
                "names start with a letter and hold letters, digits, '-', '_' and '$'",
            ));
        }
        Ok(Self {
            uri: uri.map(str::to_owned),
            attr: attr.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// Whether the path names the resource's own attributes rather than an extension's: a
    /// core schema prefix changes nothing about where the attribute lives.
    pub fn in_core_schema(&self) -> bool {
        self.uri
            .as_deref()
            .is_none_or(|uri| starts_with_ignore_case(uri, CORE_SCHEMA_PREFIX))
    }
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`; the value is a string, number, `true`, `false` or `null`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// How it is compared.
        op: CompareOp,
        /// What it is compared with.
        value: Value,
    },
    /// `attr pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// `not (...)`.
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some element of the attribute matches the inner filter, whose
    /// paths are relative to the element.
    ValuePath {
        /// The (usually multi-valued) attribute whose elements are tested.
        path: AttrPath,
        /// The test, relative to one element.
        filter: Box<Filter>,
    },
}

/// Why a filter was refused; the message is meant for the client (scimType `invalidFilter`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// Parses a filter, refusing (rather than guessing at) anything outside RFC 7644's grammar.
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    if text.len() > MAX_LENGTH {
        return Err(FilterError(format!(
            "the filter is longer than {MAX_LENGTH} characters"
        )));
    }
    let mut parser = Parser {
        tokens: tokenize(text)?,
        pos: 0,
        depth: 0,
        in_value_filter: false,
        end: text.len(),
    };
    if parser.tokens.is_empty() {
        return Err(FilterError("the filter is empty".to_owned()));
    }
    let filter = parser.or_expr()?;
    match parser.peek() {
        None => Ok(filter),
        Some(_) => Err(parser.error("'and', 'or' or the end of the filter")),
    }
}

impl Filter {
    /// Whether the resource (its SCIM JSON representation, as the server renders it) matches.
    /// `case_exact(path)` says whether string comparison on that attribute is case-sensitive;
    /// inside a value filter it is asked about `attr.sub` (`emails.type`).
    pub fn matches(&self, resource: &Value, case_exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        self.eval(resource, case_exact, None)
    }

    /// If the whole filter is `<attr> eq "<string>"` on a top-level attribute (no sub, no uri
    /// other than the core schema), that attribute name and the string: the server answers it
    /// with an index lookup instead of scanning.
    pub fn as_simple_eq(&self) -> Option<(&str, &str)> {
        match self {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: Value::String(value),
            } if path.sub.is_none() && path.in_core_schema() => Some((&path.attr, value)),
            _ => None,
        }
    }

    fn eval(
        &self,
        node: &Value,
        case_exact: &dyn Fn(&AttrPath) -> bool,
        parent: Option<&AttrPath>,
    ) -> bool {
        match self {
            Filter::And(a, b) => {
                a.eval(node, case_exact, parent) && b.eval(node, case_exact, parent)
            }
            Filter::Or(a, b) => {
                a.eval(node, case_exact, parent) || b.eval(node, case_exact, parent)
            }
            Filter::Not(inner) => !inner.eval(node, case_exact, parent),
            Filter::Present(path) => match (lookup(node, path), &path.sub) {
                (Some(value), None) => is_present(value),
                (Some(value), Some(_)) => leaf_values(value, path).into_iter().any(is_present),
                (None, _) => false,
            },
            Filter::Compare { path, op, value } => {
                let candidates = lookup(node, path).map_or_else(Vec::new, |v| leaf_values(v, path));
                let exact = match parent {
                    Some(parent) => case_exact(&AttrPath {
                        uri: parent.uri.clone(),
                        attr: parent.attr.clone(),
                        sub: Some(path.attr.clone()),
                    }),
                    None => case_exact(path),
                };
                compare_any(&candidates, *op, value, exact)
            }
            Filter::ValuePath { path, filter } => match lookup(node, path) {
                Some(Value::Array(items)) => items
                    .iter()
                    .any(|item| filter.eval(item, case_exact, Some(path))),
                Some(item @ Value::Object(_)) => filter.eval(item, case_exact, Some(path)),
                _ => false,
            },
        }
    }
}

/// The value of `key` in a JSON object, matching the key case-insensitively as SCIM names are.
pub(crate) fn get_ignore_case<'a>(node: &'a Value, key: &str) -> Option<&'a Value> {
    let object = node.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Whether `text` starts with the ASCII `prefix`, ignoring case.
pub(crate) fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn is_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$'))
}

/// The attribute's value before any sub-attribute: under the extension's key for an extension
/// URN, on the resource itself for a core one.
fn lookup<'a>(node: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let scope = match &path.uri {
        Some(uri) => match get_ignore_case(node, uri) {
            Some(extension) => extension,
            None if path.in_core_schema() => node,
            None => return None,
        },
        None => node,
    };
    get_ignore_case(scope, &path.attr)
}

/// The values a comparison looks at: each element of a multi-valued attribute, and for complex
/// elements their `sub` (or `value`, RFC 7644's default sub-attribute).
fn leaf_values<'a>(value: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    items
        .into_iter()
        .filter_map(|item| match &path.sub {
            Some(sub) => get_ignore_case(item, sub),
            None if value.is_array() && item.is_object() => get_ignore_case(item, "value"),
            None => Some(item),
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn compare_any(candidates: &[&Value], op: CompareOp, literal: &Value, exact: bool) -> bool {
    match (literal, op) {
        // `attr eq null` asks for absence, `attr ne null` for presence.
        (Value::Null, CompareOp::Eq) => candidates.is_empty(),
        (Value::Null, CompareOp::Ne) => !candidates.is_empty(),
        (Value::Null, _) => false,
        _ if candidates.is_empty() => op == CompareOp::Ne,
        _ => candidates
            .iter()
            .any(|candidate| compare(candidate, op, literal, exact)),
    }
}

fn compare(candidate: &Value, op: CompareOp, literal: &Value, exact: bool) -> bool {
    match (candidate, literal) {
        (Value::String(a), Value::String(b)) => {
            let (a, b): (Cow<str>, Cow<str>) = if exact {
                (a.into(), b.into())
            } else {
                (a.to_lowercase().into(), b.to_lowercase().into())
            };
            match op {
                CompareOp::Co => a.contains(b.as_ref()),
                CompareOp::Sw => a.starts_with(b.as_ref()),
                CompareOp::Ew => a.ends_with(b.as_ref()),
                _ => ordered(op, Some(a.cmp(&b))),
            }
        }
        (Value::Number(a), Value::Number(b)) => ordered(op, compare_numbers(a, b)),
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        _ => op == CompareOp::Ne,
    }
}

fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// The ordering operators (and eq/ne) given how the two values compare; the substring ones
/// never hold here, since only strings have substrings.
fn ordered(op: CompareOp, ordering: Option<Ordering>) -> bool {
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        CompareOp::Eq => ordering.is_eq(),
        CompareOp::Ne => ordering.is_ne(),
        CompareOp::Gt => ordering.is_gt(),
        CompareOp::Ge => ordering.is_ge(),
        CompareOp::Lt => ordering.is_lt(),
        CompareOp::Le => ordering.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An attribute path, operator, keyword or literal name: told apart by position.
    Word(String),
    Str(String),
    Num(Number),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(word) => format!("\"{word}\""),
        Token::Str(_) => "a string".to_owned(),
        Token::Num(_) => "a number".to_owned(),
        Token::Open => "'('".to_owned(),
        Token::Close => "')'".to_owned(),
        Token::OpenBracket => "'['".to_owned(),
        Token::CloseBracket => "']'".to_owned(),
    }
}

/// Splits the text into tokens, each with its byte offset for error messages.
fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, FilterError> {
    let bytes = text.as_bytes();
    let scan = |from: usize, keep: fn(u8) -> bool| {
        bytes[from..]
            .iter()
            .position(|&b| !keep(b))
            .map_or(bytes.len(), |n| from + n)
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let start = i;
        i += 1;
        let token = match byte {
            b if b.is_ascii_whitespace() => continue,
            b'(' => Token::Open,
            b')' => Token::Close,
            b'[' => Token::OpenBracket,
            b']' => Token::CloseBracket,
            b'"' => {
                i = string_end(bytes, start).ok_or_else(|| {
                    FilterError(format!("unterminated string at position {start}"))
                })?;
                let literal = serde_json::from_str(&text[start..i]).map_err(|_| {
                    FilterError(format!("invalid string literal at position {start}"))
                })?;
                Token::Str(literal)
            }
            b'-' | b'0'..=b'9' => {
                i = scan(start, |b| {
                    b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                });
                let number = serde_json::from_str(&text[start..i])
                    .map_err(|_| FilterError(format!("invalid number at position {start}")))?;
                Token::Num(number)
            }
            b if b.is_ascii_alphabetic() => {
                i = scan(start, |b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$' | b':' | b'.')
                });
                Token::Word(text[start..i].to_owned())
            }
            _ => {
                let found = text[start..].chars().next().unwrap_or_default();
                return Err(FilterError(format!(
                    "unexpected character {found:?} at position {start}"
                )));
            }
        };
        tokens.push((start, token));
    }
    Ok(tokens)
}

/// The offset just past the closing quote of the string opening at `start`, skipping escaped
/// characters (a quote or backslash byte never occurs inside a multi-byte UTF-8 character).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Recursive descent over RFC 7644's grammar: `or` binds loosest, then `and`, then `not`.
struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    depth: usize,
    in_value_filter: bool,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(_, token)| token)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.peek().cloned();
        self.pos += 1;
        token
    }

    fn error(&self, expected: &str) -> FilterError {
        FilterError(match self.tokens.get(self.pos) {
            Some((at, token)) => {
                format!(
                    "expected {expected} at position {at}, found {}",
                    describe(token)
                )
            }
            None => format!("expected {expected} at position {}", self.end),
        })
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword));
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), FilterError> {
        if self.peek() == Some(&token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<Filter, FilterError>,
    ) -> Result<Filter, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError(format!(
                "the filter is nested deeper than {MAX_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn or_expr(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and_expr()?;
        while self.eat_keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.eat_keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let negated = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("not"))
            && self.tokens.get(self.pos + 1).map(|(_, t)| t) == Some(&Token::Open);
        if negated {
            self.pos += 1;
        }
        match self.peek() {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.nested(Self::or_expr)?;
                self.expect(Token::Close, "')'")?;
                Ok(if negated {
                    Filter::Not(Box::new(inner))
                } else {
                    inner
                })
            }
            Some(Token::Word(_)) => self.attr_expr(),
            _ => Err(self.error("an attribute name, '(' or 'not ('")),
        }
    }

    fn attr_expr(&mut self) -> Result<Filter, FilterError> {
        let Some(Token::Word(word)) = self.next() else {
            return Err(self.error("an attribute name"));
        };
        let path = AttrPath::parse(&word)?;
        match self.next() {
            Some(Token::OpenBracket) if self.in_value_filter => Err(FilterError(
                "a value filter cannot contain another value filter".to_owned(),
            )),
            Some(Token::OpenBracket) => {
                self.in_value_filter = true;
                let inner = self.nested(Self::or_expr);
                self.in_value_filter = false;
                let filter = Box::new(inner?);
                self.expect(Token::CloseBracket, "']'")?;
                Ok(Filter::ValuePath { path, filter })
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => Ok(Filter::Present(path)),
            Some(Token::Word(w)) => {
                let op = CompareOp::from_keyword(&w)
                    .ok_or_else(|| FilterError(format!("unknown operator \"{w}\"")))?;
                let value = self.literal()?;
                Ok(Filter::Compare { path, op, value })
            }
            _ => {
                self.pos -= 1;
                Err(self.error(&format!("an operator after \"{word}\"")))
            }
        }
    }

    fn literal(&mut self) -> Result<Value, FilterError> {
        let value = match self.peek() {
            Some(Token::Str(s)) => Value::String(s.clone()),
            Some(Token::Num(n)) => Value::Number(n.clone()),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Value::Null,
            _ => return Err(self.error("a quoted string, number, true, false or null")),
        };
        self.pos += 1;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen",
            "name": { "familyName": "O'Malley", "givenName": "Barbara" },
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "loginCount": 7,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "ims": [{ "value": "bjensen@foo.com", "type": "xmpp" }],
            "meta": { "resourceType": "User", "lastModified": "2011-05-13T04:42:35Z" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984"
            }
        })
    }

    fn matches(filter: &str, resource: &Value) -> bool {
        parse(filter)
            .expect("the filter parses")
            .matches(resource, &|_| false)
    }

    fn path(text: &str) -> AttrPath {
        AttrPath::parse(text).expect("the path parses")
    }

    #[test]
    fn parses_a_comparison_with_its_pieces() {
        assert_eq!(
            parse("name.familyName co \"O'Malley\""),
            Ok(Filter::Compare {
                path: path("name.familyName"),
                op: CompareOp::Co,
                value: json!("O'Malley"),
            })
        );
        let full = path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName");
        assert_eq!(
            full.uri.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(
            (full.attr.as_str(), full.sub.as_deref()),
            ("name", Some("givenName"))
        );
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        let parsed = parse("a pr or b pr and not (c pr)").expect("parses");
        let present = |name: &str| Box::new(Filter::Present(path(name)));
        assert_eq!(
            parsed,
            Filter::Or(
                present("a"),
                Box::new(Filter::And(
                    present("b"),
                    Box::new(Filter::Not(present("c")))
                ))
            )
        );
    }

    #[test]
    fn rfc_7644_examples_match_bjensen() {
        let user = user();
        for filter in [
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:35Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"]"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
            "loginCount gt 5 and loginCount le 7.0 and active eq true",
            "nickName eq null and title ne null",
        ] {
            assert!(matches(filter, &user), "{filter}");
        }
        for filter in [
            r#"userName eq "jsmith""#,
            r#"userName sw "J""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"emails[type eq "home" and value co "@example.com"]"#,
            "nickName pr",
            "active gt false",
            "loginCount sw 7",
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x" and userName pr"#,
            r#"urn:example:custom:1.0:Thing:userName eq "bjensen""#,
        ] {
            assert!(!matches(filter, &user), "{filter}");
        }
    }

    #[test]
    fn starts_with_folds_case_unless_told_otherwise() {
        let jsmith = json!({ "userName": "jsmith" });
        assert!(matches(r#"userName sw "J""#, &jsmith));
        let filter = parse(r#"userName sw "J""#).expect("parses");
        assert!(!filter.matches(&jsmith, &|_| true));
    }

    #[test]
    fn not_and_ne_match_when_the_attribute_is_missing() {
        let someone = json!({ "userName": "x", "userType": "Contractor" });
        assert!(matches(
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            &someone
        ));
        assert!(matches(r#"nickName ne "Babs""#, &someone));
    }

    #[test]
    fn keywords_operators_and_attribute_names_ignore_case() {
        let user = user();
        assert!(matches(r#"USERNAME EQ "BJENSEN""#, &user));
        assert!(matches(r#"Title PR AND NOT (UserType Eq "intern")"#, &user));
        assert!(matches(r#"EMAILS[TYPE EQ "WORK"]"#, &user));
    }

    #[test]
    fn case_exact_attributes_compare_strings_exactly() {
        let user = user();
        let filter = parse(r#"userName eq "BJensen""#).expect("parses");
        assert!(filter.matches(&user, &|_| false));
        assert!(!filter.matches(&user, &|p| p.attr.eq_ignore_ascii_case("userName")));
        // Inside a value filter the callback is told the qualified attribute.
        let inner = parse(r#"emails[type eq "WORK"]"#).expect("parses");
        let asked = |p: &AttrPath| p.attr == "emails" && p.sub.as_deref() == Some("type");
        assert!(!inner.matches(&user, &asked));
    }

    #[test]
    fn identity_provider_lookups_are_simple_equalities() {
        for (filter, attr, value) in [
            // Okta
            (
                r#"userName eq "dade.murphy@example.com""#,
                "userName",
                "dade.murphy@example.com",
            ),
            // Entra ID
            (
                r#"userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1""#,
                "userName",
                "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
            ),
            (
                r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#,
                "externalId",
                "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            ),
            (r#"displayName eq "Group1""#, "displayName", "Group1"),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a\"b""#,
                "userName",
                "a\"b",
            ),
        ] {
            let parsed = parse(filter).expect("parses");
            assert_eq!(parsed.as_simple_eq(), Some((attr, value)), "{filter}");
        }
        let user = json!({ "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1" });
        assert!(matches(
            r#"userName eq "test_user_AB6490EE-1e48-479e-a20b-2d77186b5dd1""#,
            &user
        ));
        for filter in [
            "name.givenName eq \"x\"",
            "userName ne \"x\"",
            "userName eq 1",
            "userName eq \"x\" and title pr",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1\"",
        ] {
            assert_eq!(
                parse(filter).expect("parses").as_simple_eq(),
                None,
                "{filter}"
            );
        }
    }

    #[test]
    fn refuses_malformed_filters_with_a_message() {
        for (filter, message) in [
            ("", "empty"),
            ("   ", "empty"),
            (r#"userName eq "bjensen"#, "unterminated"),
            (r#"userName eq "bjensen\""#, "unterminated"),
            (r#"userName like "b""#, "unknown operator"),
            (r#"userName eq "b" garbage"#, "expected 'and', 'or'"),
            (r#"userName eq "b")"#, "expected 'and', 'or'"),
            ("userName eq", "expected a quoted string"),
            ("userName", "an operator"),
            ("(title pr", "')'"),
            ("title pr and", "an attribute name"),
            ("not title pr", "unknown operator \"title\""),
            ("emails[type eq \"work\"", "']'"),
            ("emails[type[value pr]]", "another value filter"),
            ("name..givenName pr", "invalid attribute path"),
            ("a.b.c pr", "invalid attribute path"),
            ("foo:bar pr", "URN"),
            ("userName eq 'x'", "unexpected character"),
            ("userName eq \"\u{1}\"", "invalid string literal"),
            ("loginCount gt 1e999", "invalid number"),
            ("loginCount gt -", "invalid number"),
            ("userName eq \"é\" ✓", "unexpected character"),
        ] {
            let error = parse(filter).expect_err(filter);
            assert!(error.0.contains(message), "{filter}: {error}");
        }
    }

    #[test]
    fn refuses_deep_nesting_and_long_filters() {
        let nested =
            |levels: usize| format!("{}title pr{}", "(".repeat(levels), ")".repeat(levels));
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert!(
            parse(&nested(MAX_DEPTH + 1))
                .expect_err("too deep")
                .0
                .contains("deeper")
        );
        let negated = format!("{}title pr{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse(&negated).is_err());
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_LENGTH));
        assert!(parse(&long).expect_err("too long").0.contains("longer"));
        // A long flat chain is fine: it is within the length bound.
        let chain = vec!["title pr"; 300].join(" and ");
        assert!(matches(&chain, &user()));
    }

    #[test]
    fn never_panics_on_garbage() {
        let pieces = [
            "(",
            ")",
            "[",
            "]",
            "\"",
            "\\",
            " ",
            "a",
            "eq",
            "pr",
            "and",
            "or",
            "not",
            "-",
            "1",
            ".",
            ":",
            "é",
            "✓",
            "urn:",
            "e",
            "x\"",
            "null",
            "\t",
            "title pr",
            " and ",
            " or ",
            "not (",
            "emails[",
            "type eq \"work\"",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = |below: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize % below
        };
        let (user, mut parsed) = (user(), 0);
        for _ in 0..20_000 {
            let text: String = (0..random(12))
                .map(|_| pieces[random(pieces.len())])
                .collect();
            if let Ok(filter) = parse(&text) {
                filter.matches(&user, &|_| false);
                parsed += 1;
            }
        }
        assert!(parsed > 10, "the generator also produces valid filters");
    }
}
