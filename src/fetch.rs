//! FETCH: the Fetch standard's tables, once. The token grammar, the safelisted, forbidden and
//! normalized methods, the forbidden request headers, and the safelisted request and response
//! header names. Validation (what a policy may list) and the browser model (what a page sends
//! and what it may read) both read them here; nothing here knows about policies or responses.

/// True for an HTTP token (RFC 9110): what method and header names must be.
#[must_use]
pub fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// GET, HEAD and POST (`#cors-safelisted-method`), compared as sent (case-sensitively).
#[must_use]
pub fn is_safelisted_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "POST")
}

/// CONNECT, TRACE and TRACK, in any case (`#forbidden-method`): `fetch()` and XHR refuse them.
#[must_use]
pub fn is_forbidden_method(method: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Methods the browser upper-cases (`#concept-method-normalize`); all others go as written.
const NORMALIZED_METHODS: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/// The method as the browser sends it: one of the six normalized methods upper-cased, any
/// other as written.
#[must_use]
pub fn normalize_method(method: &str) -> String {
    NORMALIZED_METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .map_or_else(|| method.to_string(), |m| (*m).to_string())
}

/// True when the browser upper-cases `method` (in any case).
#[must_use]
pub fn is_normalized_method(method: &str) -> bool {
    NORMALIZED_METHODS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Fetch "forbidden request-header" names (lowercase); the `proxy-` and `sec-` prefixes too.
const FORBIDDEN_REQUEST_HEADERS: [&str; 21] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// True for a header name scripts can never set, whatever its value.
#[must_use]
pub fn is_forbidden_request_header_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    FORBIDDEN_REQUEST_HEADERS.contains(&lower.as_str())
        || lower.starts_with("proxy-")
        || lower.starts_with("sec-")
}

/// True for a header scripts cannot set (`#forbidden-request-header`): a forbidden name, or a
/// method-override header naming a forbidden method.
#[must_use]
pub fn is_forbidden_request_header(name: &str, value: &str) -> bool {
    is_forbidden_request_header_name(name)
        || (matches!(
            name.to_ascii_lowercase().as_str(),
            "x-http-method" | "x-http-method-override" | "x-method-override"
        ) && value.split(',').map(str::trim).any(is_forbidden_method))
}

/// The CORS-safelisted request-header names (`#cors-safelisted-request-header`); each is
/// safelisted only with the values the standard allows for it.
#[must_use]
pub fn is_safelisted_request_header_name(name: &str) -> bool {
    [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
        "range",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

/// Request header names that are CORS-safelisted with any ordinary value (the others, such as
/// `Content-Type` and `Range`, only with some values).
#[must_use]
pub fn is_always_safelisted_request_header(name: &str) -> bool {
    ["accept", "accept-language", "content-language"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// Response headers a script can always read (`#cors-safelisted-response-header-name`).
#[must_use]
pub fn is_safelisted_response_header(name: &str) -> bool {
    [
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

/// `Set-Cookie` and `Set-Cookie2`: never readable by a script.
#[must_use]
pub fn is_forbidden_response_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("set-cookie") || name.eq_ignore_ascii_case("set-cookie2")
}

#[cfg(test)]
mod tests {
    use super::{is_forbidden_method, is_forbidden_request_header, is_token, normalize_method};

    #[test]
    fn tables() {
        assert!(is_token("X-Request-Id") && is_token("M-SEARCH") && is_token("x~y!"));
        assert!(!is_token("X Request") && !is_token("a:b") && !is_token(""));
        assert_eq!(normalize_method("patch"), "patch");
        assert_eq!(normalize_method("delete"), "DELETE");
        assert!(is_forbidden_method("Track") && !is_forbidden_method("PURGE"));
        assert!(is_forbidden_request_header("Sec-Foo", "1"));
        assert!(is_forbidden_request_header(
            "X-HTTP-Method-Override",
            "GET, trace"
        ));
        assert!(!is_forbidden_request_header(
            "X-HTTP-Method-Override",
            "PATCH"
        ));
    }
}
