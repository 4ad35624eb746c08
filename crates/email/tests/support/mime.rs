//! Just enough MIME reading for tests to assert on what a recipient sees: transfer encodings
//! wrap long lines and escape `=`, so a raw `.eml` can hide a link that is really there.
//! Shared by the unit tests (through `#[path]`) and the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use base64::Engine;

/// A parsed message: its unfolded headers and the decoded bodies of its leaf parts.
pub struct Parsed {
    pub headers: Vec<(String, String)>,
    pub parts: Vec<Part>,
}

pub struct Part {
    pub content_type: String,
    pub body: String,
}

impl Parsed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn part(&self, content_type: &str) -> &str {
        &self
            .parts
            .iter()
            .find(|part| part.content_type.starts_with(content_type))
            .unwrap_or_else(|| panic!("no {content_type} part"))
            .body
    }
}

pub fn parse(raw: &str) -> Parsed {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap();
    let headers = headers(head);
    let mut parts = Vec::new();
    collect_parts(&headers, body, &mut parts);
    Parsed { headers, parts }
}

fn headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().unwrap();
            value.push(' ');
            value.push_str(line.trim());
        } else if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn collect_parts(headers: &[(String, String)], body: &str, parts: &mut Vec<Part>) {
    let content_type = header(headers, "Content-Type").unwrap_or("text/plain");
    if content_type.starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .find_map(|param| param.trim().strip_prefix("boundary="))
            .unwrap()
            .trim_matches('"');
        let delimiter = format!("--{boundary}");
        for chunk in body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
            let (head, body) = chunk.split_once("\n\n").unwrap_or((chunk, ""));
            collect_parts(&self::headers(head), body, parts);
        }
        return;
    }
    let encoding = header(headers, "Content-Transfer-Encoding").unwrap_or("7bit");
    let body = match encoding.to_ascii_lowercase().as_str() {
        "quoted-printable" => String::from_utf8(
            quoted_printable::decode(body.trim_end(), quoted_printable::ParseMode::Robust).unwrap(),
        )
        .unwrap(),
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        }
        _ => body.trim_end().to_owned(),
    };
    parts.push(Part {
        content_type: content_type.to_owned(),
        body: body.replace("\r\n", "\n"),
    });
}
