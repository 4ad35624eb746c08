//! What the console's HTTP-level tests share: its cookies, and forms encoded as a browser
//! encodes them.

/// The password of every account these tests make.
pub const PASSWORD: &str = "correct horse battery";
/// The console's session cookie.
pub const SESSION: &str = "tenantry_console";
/// The cookie of the CSRF token of the forms shown before sign-in.
pub const ANONYMOUS: &str = "tenantry_console_csrf";

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
pub fn encoded(fields: &[(&str, &str)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    char::from(byte).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", escape(key), escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}
