//! BROWSER: what Chromium does with one cross-origin `fetch()`, from the request the script makes
//! to the verdict and the exact console message.
//!
//! Input: a [`FetchRequest`] and the responses a server gave (the preflight's, the actual
//! request's). Output: whether a preflight is sent and why, the preflight request itself, and a
//! [`Verdict`]: allowed, or blocked with Chromium's [`CorsError`] and its console text.
//! Guarantee: the rules are the Fetch standard's CORS-preflight fetch and CORS check in the order
//! Chromium's network service runs them (`CheckAccess`, `CheckPreflightAccess`,
//! `PreflightResult`), with the wording of current Chromium; where Chromium and the standard part
//! ways the verdict follows Chromium and a [`Note`] says what other engines do. Every rule here
//! is checked against headless Chromium by the integration tests.
//!
//! The model knows nothing about policies: `check` feeds it the engine's answers, `probe` a live
//! server's and `doctor` a HAR capture's.

use serde::Serialize;

use crate::fetch::{
    is_forbidden_method, is_forbidden_request_header, is_forbidden_response_header,
    is_safelisted_method, is_safelisted_response_header, is_token, normalize_method,
};

/// How the request treats credentials (cookies, HTTP auth, client certificates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credentials {
    /// `credentials: 'omit'` or the default `'same-origin'`: none are sent cross-origin.
    Omit,
    /// `credentials: 'include'` (or XHR `withCredentials = true`).
    Include,
}

/// The API that made the request; it changes the console message's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Initiator {
    /// `fetch()`.
    Fetch,
    /// `XMLHttpRequest`.
    XmlHttpRequest,
}

impl Initiator {
    fn kind(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch",
            Initiator::XmlHttpRequest => "XMLHttpRequest",
        }
    }
}

/// A cross-origin request as a script makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchRequest {
    /// The URL fetched, as it appears in the console message.
    pub url: String,
    /// The page's serialized origin, as sent in `Origin`.
    pub origin: String,
    /// The method as the script wrote it (normalized here as the browser does).
    pub method: String,
    /// Headers the script sets, name and value.
    pub headers: Vec<(String, String)>,
    /// The credentials mode.
    pub credentials: Credentials,
    /// `fetch()` or XHR.
    pub initiator: Initiator,
}

/// An HTTP response: status and header lines as received (a name may repeat).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header lines in order; a value holds one character per byte received (ISO-8859-1).
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The header's value as Chromium reads it: every line with that name (case-insensitive)
    /// joined with `", "`; `None` when there is none.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim_matches(|c| c == ' ' || c == '\t'))
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The `Location` of a redirect the browser would follow (a 301, 302, 303, 307 or 308 with
    /// one), ready for the URL parser: header values are bytes (one character each, as
    /// ISO-8859-1), and Chromium percent-encodes each byte above 0x7F on its own (`caf\xE9`
    /// becomes `caf%E9`, the UTF-8 `caf\xC3\xA9` becomes `caf%C3%A9`; measured).
    #[must_use]
    pub fn redirect_location(&self) -> Option<String> {
        let location = matches!(self.status, 301 | 302 | 303 | 307 | 308)
            .then(|| self.header("location"))
            .flatten()?;
        Some(
            location
                .chars()
                .map(|c| match u8::try_from(u32::from(c)) {
                    Ok(byte) if byte > 0x7F => format!("%{byte:02X}"),
                    _ => c.to_string(),
                })
                .collect(),
        )
    }
}

/// Why a request is preflighted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PreflightReason {
    /// The method is not GET, HEAD or POST.
    Method {
        /// The method as sent.
        method: String,
    },
    /// A header is not CORS-safelisted (by name, or by its value).
    Header {
        /// The lowercase name, as it appears in `Access-Control-Request-Headers`.
        name: String,
        /// Why it is not safelisted.
        why: String,
    },
}

impl std::fmt::Display for PreflightReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PreflightReason::Method { method } => {
                write!(f, "the method {method} is not GET, HEAD or POST")
            }
            PreflightReason::Header { name, why } => write!(f, "the header {name} {why}"),
        }
    }
}

/// Chromium's `network::mojom::CorsError` values this model produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // Each is named after Chromium's enum; `text` gives its meaning.
pub enum CorsError {
    WildcardOriginNotAllowed,
    PreflightWildcardOriginNotAllowed,
    MissingAllowOriginHeader,
    PreflightMissingAllowOriginHeader,
    MultipleAllowOriginValues,
    PreflightMultipleAllowOriginValues,
    InvalidAllowOriginValue,
    PreflightInvalidAllowOriginValue,
    AllowOriginMismatch,
    PreflightAllowOriginMismatch,
    InvalidAllowCredentials,
    PreflightInvalidAllowCredentials,
    PreflightInvalidStatus,
    PreflightDisallowedRedirect,
    InvalidAllowMethodsPreflightResponse,
    InvalidAllowHeadersPreflightResponse,
    MethodDisallowedByPreflightResponse,
    HeaderDisallowedByPreflightResponse,
    RedirectContainsCredentials,
    CorsDisabledScheme,
    /// Not a CORS error: the network error after the 20th redirect (the script sees
    /// `TypeError: Failed to fetch`).
    TooManyRedirects,
    // Not CORS errors: the script's call throws before any request is made (see
    // [`CorsError::is_script_exception`]); `hint` is the method, name or value at fault.
    /// A header name or value holds a character above U+00FF (WebIDL `ByteString`).
    NonLatin1Header,
    /// The method holds a character above U+00FF.
    NonLatin1Method,
    /// `fetch()` of a URL with a user name or password.
    UrlWithCredentials,
    /// The method is not an HTTP token.
    InvalidMethod,
    /// The method is CONNECT, TRACE or TRACK.
    ForbiddenMethod,
    /// A header name is not an HTTP token.
    InvalidHeaderName,
    /// A header value holds NUL, CR or LF.
    InvalidHeaderValue,
}

const PREFLIGHT_PREFIX: &str = "Response to preflight request doesn't pass access control check: ";
const NO_CORS_SUFFIX: &str = " Have the server send the header with a valid value.";
const XHR_CREDENTIALS_SUFFIX: &str = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.";

impl CorsError {
    /// True for the errors Chromium reports with the "Response to preflight request…" prefix.
    #[must_use]
    pub fn has_preflight_prefix(self) -> bool {
        use CorsError as E;
        matches!(
            self,
            E::PreflightWildcardOriginNotAllowed
                | E::PreflightMissingAllowOriginHeader
                | E::PreflightMultipleAllowOriginValues
                | E::PreflightInvalidAllowOriginValue
                | E::PreflightAllowOriginMismatch
                | E::PreflightInvalidAllowCredentials
                | E::PreflightInvalidStatus
                | E::PreflightDisallowedRedirect
        )
    }

    /// True when the preflight's answer caused it.
    #[must_use]
    pub fn is_preflight(self) -> bool {
        use CorsError as E;
        self.has_preflight_prefix()
            || matches!(
                self,
                E::InvalidAllowMethodsPreflightResponse
                    | E::InvalidAllowHeadersPreflightResponse
                    | E::MethodDisallowedByPreflightResponse
                    | E::HeaderDisallowedByPreflightResponse
            )
    }

    /// True when the script's `fetch()` (or XHR's `open()`/`setRequestHeader()`) throws, so
    /// nothing is sent.
    #[must_use]
    pub fn is_script_exception(self) -> bool {
        use CorsError as E;
        matches!(
            self,
            E::NonLatin1Header
                | E::NonLatin1Method
                | E::UrlWithCredentials
                | E::InvalidMethod
                | E::ForbiddenMethod
                | E::InvalidHeaderName
                | E::InvalidHeaderValue
        )
    }

    /// The same check failing on the preflight response (`kX` → `kPreflightX`).
    fn on_preflight(self) -> CorsError {
        use CorsError as E;
        match self {
            E::WildcardOriginNotAllowed => E::PreflightWildcardOriginNotAllowed,
            E::MissingAllowOriginHeader => E::PreflightMissingAllowOriginHeader,
            E::MultipleAllowOriginValues => E::PreflightMultipleAllowOriginValues,
            E::InvalidAllowOriginValue => E::PreflightInvalidAllowOriginValue,
            E::AllowOriginMismatch => E::PreflightAllowOriginMismatch,
            E::InvalidAllowCredentials => E::PreflightInvalidAllowCredentials,
            other => other,
        }
    }
}

/// A blocked request: Chromium's error and its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The error.
    pub error: CorsError,
    /// `CorsErrorStatus.failed_parameter`: the value or name the message quotes.
    pub hint: String,
}

impl Blocked {
    fn new(error: CorsError, hint: impl Into<String>) -> Self {
        Blocked {
            error,
            hint: hint.into(),
        }
    }

    /// The console text after "…has been blocked by CORS policy: ".
    #[must_use]
    pub fn text(&self, initiator: Initiator) -> String {
        use CorsError as E;
        let hint = encode_hint(&self.hint);
        let fetch_suffix = if initiator == Initiator::Fetch {
            NO_CORS_SUFFIX
        } else {
            ""
        };
        let xhr_suffix = if initiator == Initiator::XmlHttpRequest {
            XHR_CREDENTIALS_SUFFIX
        } else {
            ""
        };
        let body = match self.error {
            E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => format!(
                "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.{xhr_suffix}"
            ),
            E::MissingAllowOriginHeader | E::PreflightMissingAllowOriginHeader => {
                "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                    .to_string()
            }
            E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues => format!(
                "The 'Access-Control-Allow-Origin' header contains multiple values '{hint}', but only one is allowed.{fetch_suffix}"
            ),
            E::InvalidAllowOriginValue | E::PreflightInvalidAllowOriginValue => format!(
                "The 'Access-Control-Allow-Origin' header contains the invalid value '{hint}'.{fetch_suffix}"
            ),
            E::AllowOriginMismatch | E::PreflightAllowOriginMismatch => format!(
                "The 'Access-Control-Allow-Origin' header has a value '{hint}' that is not equal to the supplied origin.{fetch_suffix}"
            ),
            E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials => format!(
                "The value of the 'Access-Control-Allow-Credentials' header in the response is '{hint}' which must be 'true' when the request's credentials mode is 'include'.{xhr_suffix}"
            ),
            E::PreflightInvalidStatus => "It does not have HTTP ok status.".to_string(),
            E::PreflightDisallowedRedirect => {
                "Redirect is not allowed for a preflight request.".to_string()
            }
            E::InvalidAllowMethodsPreflightResponse => {
                "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_string()
            }
            E::InvalidAllowHeadersPreflightResponse => {
                "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_string()
            }
            E::MethodDisallowedByPreflightResponse => format!(
                "Method {hint} is not allowed by Access-Control-Allow-Methods in preflight response."
            ),
            E::HeaderDisallowedByPreflightResponse => format!(
                "Request header field {hint} is not allowed by Access-Control-Allow-Headers in preflight response."
            ),
            E::RedirectContainsCredentials => format!(
                "Redirect location '{hint}' contains a username and password, which is disallowed for cross-origin requests."
            ),
            E::CorsDisabledScheme => format!(
                "Cross origin requests are only supported for protocol schemes: {CORS_ENABLED_SCHEMES}."
            ),
            E::NonLatin1Header | E::NonLatin1Method => {
                "String contains non ISO-8859-1 code point.".to_string()
            }
            E::TooManyRedirects => "net::ERR_TOO_MANY_REDIRECTS".to_string(),
            E::UrlWithCredentials => format!(
                "Request cannot be constructed from a URL that includes credentials: {}",
                self.hint
            ),
            E::InvalidMethod => format!("'{}' is not a valid HTTP method.", self.hint),
            E::ForbiddenMethod => format!("'{}' HTTP method is unsupported.", self.hint),
            E::InvalidHeaderName => match initiator {
                Initiator::Fetch => "Invalid name".to_string(),
                Initiator::XmlHttpRequest => {
                    format!("'{}' is not a valid HTTP header field name.", self.hint)
                }
            },
            E::InvalidHeaderValue => match initiator {
                Initiator::Fetch => "Invalid value".to_string(),
                Initiator::XmlHttpRequest => {
                    format!("'{}' is not a valid HTTP header field value.", self.hint)
                }
            },
        };
        if self.error.has_preflight_prefix() {
            format!("{PREFLIGHT_PREFIX}{body}")
        } else {
            body
        }
    }

    /// Chromium's whole console line for a request that ended at `url` (after redirects from
    /// `initial`, when it differs) from `origin`.
    #[must_use]
    pub fn console_message(
        &self,
        url: &str,
        initial: &str,
        origin: &str,
        initiator: Initiator,
    ) -> String {
        if self.error.is_script_exception() {
            // The script's call throws; the console shows the exception, not a CORS line.
            return self.exception(initiator);
        }
        if self.error == CorsError::TooManyRedirects {
            return format!("Failed to load resource: {}", self.text(initiator));
        }
        let redirected = if url == initial {
            String::new()
        } else {
            format!("(redirected from '{initial}') ")
        };
        format!(
            "Access to {} at '{url}' {redirected}from origin '{origin}' has been blocked by CORS policy: {}",
            initiator.kind(),
            self.text(initiator)
        )
    }

    /// The exception a script exception throws, as Chromium prints it: its type, the call
    /// (`fetch`, or XHR's `open` for the method and `setRequestHeader` for a header) and the
    /// text.
    fn exception(&self, initiator: Initiator) -> String {
        use CorsError as E;
        let text = self.text(initiator);
        match initiator {
            Initiator::Fetch => {
                let property = match self.error {
                    E::NonLatin1Header => {
                        "Failed to read the 'headers' property from 'RequestInit': "
                    }
                    E::NonLatin1Method => {
                        "Failed to read the 'method' property from 'RequestInit': "
                    }
                    _ => "",
                };
                format!("TypeError: Failed to execute 'fetch' on 'Window': {property}{text}")
            }
            Initiator::XmlHttpRequest => {
                let (kind, call) = match self.error {
                    E::NonLatin1Method => ("TypeError", "open"),
                    E::InvalidMethod => ("SyntaxError", "open"),
                    E::ForbiddenMethod => ("SecurityError", "open"),
                    E::NonLatin1Header => ("TypeError", "setRequestHeader"),
                    _ => ("SyntaxError", "setRequestHeader"),
                };
                format!("{kind}: Failed to execute '{call}' on 'XMLHttpRequest': {text}")
            }
        }
    }
}

/// Chromium's `SchemeRegistry::ListOfCorsEnabledURLSchemes()` in a desktop build.
const CORS_ENABLED_SCHEMES: &str =
    "chrome, chrome-extension, chrome-untrusted, data, http, https, isolated-app";

/// Chromium's `EncodeHint`: characters outside printable ASCII become `\uXXXX`.
fn encode_hint(hint: &str) -> String {
    let mut out = String::with_capacity(hint.len());
    for c in hint.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        }
    }
    out
}

/// Where what browsers do and the Fetch standard part ways, or where an allowed exchange still
/// depends on a detail worth knowing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// `Access-Control-Allow-Headers: *` let `Authorization` through. Chromium 156, Firefox ESR
    /// 153.8 and WebKitGTK 2.50.6 allow it without credentials (measured; Firefox warns that it
    /// will stop), but the Fetch standard excludes Authorization from `*`.
    AuthorizationByWildcard {
        /// What an engine that follows the standard reports.
        standard_message: String,
    },
    /// A header the script set is one scripts may not set; the browser drops it.
    ForbiddenHeaderDropped {
        /// The name.
        name: String,
    },
    /// Headers Chromium sends without a preflight (`Intervention`, legacy client hints such as
    /// `DPR` or `Save-Data: on`) that the Fetch standard does not safelist.
    SafelistedByChromiumOnly {
        /// The lowercase names.
        names: Vec<String>,
    },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::AuthorizationByWildcard { standard_message } => write!(
                f,
                "`Access-Control-Allow-Headers: *` covered Authorization: Chromium 156, Firefox ESR 153.8 and WebKitGTK 2.50.6 allow that without credentials (Firefox warns it will stop soon), but the Fetch standard does not, and an engine that follows it reports: {standard_message}"
            ),
            Note::ForbiddenHeaderDropped { name } => write!(
                f,
                "scripts cannot set the forbidden header {name}; the browser drops it"
            ),
            Note::SafelistedByChromiumOnly { names } => write!(
                f,
                "Chromium sends {} without a preflight, but the Fetch standard does not safelist {}: an engine that follows it preflights this request, so list {} in allow-headers if those browsers matter",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" },
                if names.len() == 1 { "it" } else { "them" }
            ),
        }
    }
}

/// True when Chromium frames a request without a body with `Content-Length: 0`: POST and PUT
/// (net's `HttpNetworkTransaction`); every other method goes with neither a length nor chunks.
#[must_use]
pub fn sends_empty_content_length(wire_method: &str) -> bool {
    matches!(wire_method, "POST" | "PUT")
}

/// A header value as `Headers` stores it: leading and trailing HTTP whitespace removed.
#[must_use]
pub fn normalize_header_value(value: &str) -> &str {
    value.trim_matches([' ', '\t', '\r', '\n'])
}

/// True when every character fits a WebIDL `ByteString` (U+0000..=U+00FF): the browser sends
/// each as one byte (ISO-8859-1).
#[must_use]
pub fn is_latin1(text: &str) -> bool {
    text.chars().all(|c| u32::from(c) <= 0xFF)
}

/// The bytes the browser puts on the wire for a `ByteString` (each character one byte); `None`
/// when a character does not fit.
#[must_use]
pub fn latin1_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Fetch's CORS-unsafe request-header byte, for a `ByteString` character.
fn is_unsafe_byte(c: char) -> bool {
    let b = u32::from(c);
    (b < 0x20 && b != 0x09)
        || matches!(
            c,
            '"' | '(' | ')' | ':' | '<' | '>' | '?' | '@' | '[' | '\\' | ']' | '{' | '}' | '\u{7f}'
        )
}

/// Headers Chromium safelists beyond the Fetch standard's five (`IsCorsSafelistedHeader`:
/// `Intervention` and the legacy client hints), with their value checks.
const CHROMIUM_ONLY_SAFELISTED: [&str; 9] = [
    "device-memory",
    "downlink",
    "dpr",
    "ect",
    "intervention",
    "rtt",
    "save-data",
    "viewport-width",
    "width",
];

/// `1*DIGIT [ "." 1*DIGIT ]`.
fn is_decimal(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match value.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(value),
    }
}

/// Why `(name, value)` (a normalized value) is not a CORS-safelisted request header in
/// Chromium, or `None` when it is.
fn unsafe_because(name: &str, value: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let known = matches!(
        lower.as_str(),
        "accept" | "accept-language" | "content-language" | "content-type" | "range"
    ) || CHROMIUM_ONLY_SAFELISTED.contains(&lower.as_str());
    if !known {
        return Some("is not a CORS-safelisted header".to_string());
    }
    // A `ByteString`'s length in bytes: one per character.
    if value.chars().count() > 128 {
        return Some("has a value longer than 128 bytes".to_string());
    }
    let ok = match lower.as_str() {
        "accept" => !value.chars().any(is_unsafe_byte),
        "accept-language" | "content-language" => value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" *,-.;=".contains(&b)),
        "content-type" => {
            let essence = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim_matches([' ', '\t'])
                .to_ascii_lowercase();
            if value.chars().any(is_unsafe_byte) {
                false
            } else if matches!(
                essence.as_str(),
                "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
            ) {
                true
            } else {
                return Some(format!(
                    "has the value `{value}`, and only application/x-www-form-urlencoded, multipart/form-data and text/plain are safelisted"
                ));
            }
        }
        "range" => is_simple_range(value),
        "device-memory" | "dpr" | "downlink" => is_decimal(value),
        "width" | "viewport-width" | "rtt" => {
            !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
        }
        "ect" => matches!(value, "slow-2g" | "2g" | "3g" | "4g"),
        "save-data" => value.eq_ignore_ascii_case("on"),
        _ => true, // intervention: any value
    };
    (!ok).then(|| format!("has a value (`{value}`) the browser does not safelist"))
}

/// A simple range, `bytes=N-[M]` with N ≤ M: one range, no suffix, no whitespace, numbers
/// that fit Chromium's 64-bit parse.
fn is_simple_range(value: &str) -> bool {
    let Some(rest) = value
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .and_then(|_| value.get(6..))
    else {
        return false;
    };
    let Some((start, end)) = rest.split_once('-') else {
        return false;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    match (number(start), end) {
        (Some(_), "") => true,
        (Some(first), end) => number(end).is_some_and(|last| first <= last),
        (None, _) => false,
    }
}

impl FetchRequest {
    /// Why the script's call throws before anything is sent, in the order Chromium checks:
    /// for `fetch()` the `RequestInit` conversion (headers, then the method, as `ByteString`s),
    /// a URL with credentials, the method, then each header's name and value; for XHR `open()`'s
    /// method, then each `setRequestHeader()` in turn (XHR drops a URL's credentials instead).
    #[must_use]
    pub fn script_exception(&self) -> Option<Blocked> {
        let method = || {
            if !is_latin1(&self.method) {
                Some(Blocked::new(CorsError::NonLatin1Method, &self.method))
            } else if !is_token(&self.method) {
                Some(Blocked::new(CorsError::InvalidMethod, &self.method))
            } else if is_forbidden_method(&self.method) {
                Some(Blocked::new(CorsError::ForbiddenMethod, &self.method))
            } else {
                None
            }
        };
        let header = |name: &str, value: &str| {
            let value = normalize_header_value(value);
            if !is_token(name) {
                Some(Blocked::new(CorsError::InvalidHeaderName, name))
            } else if value.contains(['\0', '\r', '\n']) {
                Some(Blocked::new(CorsError::InvalidHeaderValue, value))
            } else {
                None
            }
        };
        let not_latin1 = |(name, value): &(String, String)| !is_latin1(name) || !is_latin1(value);
        match self.initiator {
            Initiator::Fetch => {
                if let Some((name, _)) = self.headers.iter().find(|h| not_latin1(h)) {
                    return Some(Blocked::new(CorsError::NonLatin1Header, name));
                }
                if !is_latin1(&self.method) {
                    return method();
                }
                let credentials = crate::address::parse(&self.url)
                    .is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
                if credentials {
                    return Some(Blocked::new(CorsError::UrlWithCredentials, &self.url));
                }
                method().or_else(|| self.headers.iter().find_map(|(n, v)| header(n, v)))
            }
            Initiator::XmlHttpRequest => method().or_else(|| {
                self.headers.iter().find_map(|h| {
                    if not_latin1(h) {
                        Some(Blocked::new(CorsError::NonLatin1Header, &h.0))
                    } else {
                        header(&h.0, &h.1)
                    }
                })
            }),
        }
    }

    /// True when the script's call throws and nothing is sent.
    #[must_use]
    pub fn throws(&self) -> bool {
        self.script_exception().is_some()
    }

    /// The verdict on a request the script's call refuses (nothing is sent).
    #[must_use]
    pub fn exception_verdict(&self) -> Option<Verdict> {
        self.script_exception()
            .map(|blocked| blocked_verdict(blocked, Vec::new()))
    }

    /// The method as sent on the wire.
    #[must_use]
    pub fn wire_method(&self) -> String {
        normalize_method(&self.method)
    }

    /// The headers the browser sends from the script's list: values normalized, forbidden
    /// ones dropped, a name set twice sent once, its values joined with `, ` under the first
    /// spelling (as Chromium's header map combines them), and `Accept: */*` unless the script
    /// set Accept (added before the CORS checks, so it counts toward the 1,024 bytes).
    #[must_use]
    pub fn sent_headers(&self) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = Vec::new();
        for (name, value) in &self.headers {
            let value = normalize_header_value(value);
            if is_forbidden_request_header(name, value) {
                continue;
            }
            match sent.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some((_, joined)) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                None => sent.push((name.clone(), value.to_string())),
            }
        }
        if !sent.iter().any(|(n, _)| n.eq_ignore_ascii_case("accept")) {
            sent.push(("Accept".to_string(), "*/*".to_string()));
        }
        sent
    }

    /// Notes about the request itself: forbidden headers the browser drops, and headers only
    /// Chromium sends without a preflight.
    #[must_use]
    pub fn request_notes(&self) -> Vec<Note> {
        let mut notes: Vec<Note> = Vec::new();
        for (name, value) in &self.headers {
            let noted = notes.iter().any(|n| {
                matches!(n, Note::ForbiddenHeaderDropped { name: seen } if seen.eq_ignore_ascii_case(name))
            });
            if is_forbidden_request_header(name, normalize_header_value(value)) && !noted {
                notes.push(Note::ForbiddenHeaderDropped { name: name.clone() });
            }
        }
        let unsafe_names = self.unsafe_header_names();
        let chromium_only: Vec<String> = self
            .sent_headers()
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .filter(|n| CHROMIUM_ONLY_SAFELISTED.contains(&n.as_str()) && !unsafe_names.contains(n))
            .collect();
        if !chromium_only.is_empty() {
            notes.push(Note::SafelistedByChromiumOnly {
                names: chromium_only,
            });
        }
        notes
    }

    /// Every reason the browser preflights this request; empty for a simple request.
    #[must_use]
    pub fn preflight_reasons(&self) -> Vec<PreflightReason> {
        let mut reasons = Vec::new();
        let method = self.wire_method();
        if !is_safelisted_method(&method) {
            reasons.push(PreflightReason::Method { method });
        }
        let mut names: Vec<(String, String)> = Vec::new();
        let mut safelisted_bytes = 0;
        let mut safelisted = Vec::new();
        for (name, value) in &self.sent_headers() {
            match unsafe_because(name, value) {
                Some(why) => {
                    let repeated = self
                        .headers
                        .iter()
                        .filter(|(n, v)| {
                            n.eq_ignore_ascii_case(name)
                                && !is_forbidden_request_header(n, normalize_header_value(v))
                        })
                        .count()
                        > 1;
                    let why = if repeated {
                        format!("{why} (the script set it more than once, and the browser joins the values with `, `)")
                    } else {
                        why
                    };
                    names.push((name.to_ascii_lowercase(), why));
                }
                None => {
                    safelisted_bytes += value.chars().count();
                    safelisted.push(name.to_ascii_lowercase());
                }
            }
        }
        if safelisted_bytes > 1024 {
            names.extend(safelisted.into_iter().map(|n| {
                (
                    n,
                    format!("is safelisted, but the safelisted values together are {safelisted_bytes} bytes, more than 1024"),
                )
            }));
        }
        names.sort();
        reasons.extend(
            names
                .into_iter()
                .map(|(name, why)| PreflightReason::Header { name, why }),
        );
        reasons
    }

    /// The CORS-unsafe request-header names: lowercase, sorted, de-duplicated.
    #[must_use]
    pub fn unsafe_header_names(&self) -> Vec<String> {
        self.preflight_reasons()
            .into_iter()
            .filter_map(|r| match r {
                PreflightReason::Header { name, .. } => Some(name),
                PreflightReason::Method { .. } => None,
            })
            .collect()
    }

    /// The preflight's request headers, in the order Chromium sends the CORS ones, or `None`
    /// when the request is not preflighted (or not sent at all).
    #[must_use]
    pub fn preflight_headers(&self) -> Option<Vec<(String, String)>> {
        if self.throws() || self.preflight_reasons().is_empty() {
            return None;
        }
        let mut headers = vec![
            ("Accept".to_string(), "*/*".to_string()),
            ("Origin".to_string(), self.origin.clone()),
            (
                "Access-Control-Request-Method".to_string(),
                self.wire_method(),
            ),
        ];
        let names = self.unsafe_header_names();
        if !names.is_empty() {
            // No space after the comma: Fetch joins these "intentionally" without combine.
            headers.push((
                "Access-Control-Request-Headers".to_string(),
                names.join(","),
            ));
        }
        Some(headers)
    }

    /// True when `url` is not on the page's origin: the browser then runs CORS (an opaque
    /// `null` page is cross-origin to everything).
    #[must_use]
    pub fn is_cross_origin(&self, url: &str) -> bool {
        self.origin == "null"
            || crate::address::origin(url).as_deref() != Some(self.origin.as_str())
    }

    /// The headers of the (non-preflight) request to `url`: the ones sent, then `Origin`
    /// (this request's, which a redirect may have tainted to `null`) unless the request is a
    /// same-origin GET or HEAD, which carries none.
    #[must_use]
    pub fn actual_headers(&self, url: &str) -> Vec<(String, String)> {
        let mut headers = self.sent_headers();
        if self.is_cross_origin(url) || !matches!(self.wire_method().as_str(), "GET" | "HEAD") {
            headers.push(("Origin".to_string(), self.origin.clone()));
        }
        headers
    }

    /// The request a redirect with `status` leads to: a 301 or 302 turns POST into GET, a 303
    /// turns every method but GET and HEAD into GET, and a request changed to GET loses its
    /// body and the headers that describe it (`Content-Type`, `Content-Language`,
    /// `Content-Encoding`, `Content-Location`).
    #[must_use]
    pub fn redirected(&self, status: u16) -> FetchRequest {
        let method = self.wire_method();
        let to_get = (matches!(status, 301 | 302) && method == "POST")
            || (status == 303 && !matches!(method.as_str(), "GET" | "HEAD"));
        if !to_get {
            return self.clone();
        }
        FetchRequest {
            method: "GET".to_string(),
            headers: self
                .headers
                .iter()
                .filter(|(n, _)| {
                    !matches!(
                        n.to_ascii_lowercase().as_str(),
                        "content-type"
                            | "content-language"
                            | "content-encoding"
                            | "content-location"
                    )
                })
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    fn include(&self) -> bool {
        self.credentials == Credentials::Include
    }
}

/// What the browser decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `None` when allowed.
    pub blocked: Option<Blocked>,
    /// What the caller should know even when allowed.
    pub notes: Vec<Note>,
    /// Response headers the script can read, when allowed (lowercase).
    pub readable_headers: Vec<String>,
    /// Seconds Chromium caches a successful preflight, when there was one.
    pub preflight_cache_seconds: Option<u32>,
}

impl Verdict {
    /// True when the script gets the response.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.blocked.is_none()
    }
}

/// The CORS check (`CheckAccess`), in Chromium's order, on the actual response.
///
/// # Errors
/// The non-preflight [`CorsError`] Chromium reports.
pub fn check_access(
    origin: &str,
    credentials: Credentials,
    response: &Response,
) -> Result<(), Blocked> {
    let include = credentials == Credentials::Include;
    let Some(acao) = response.header("access-control-allow-origin") else {
        return Err(Blocked::new(CorsError::MissingAllowOriginHeader, ""));
    };
    if acao == "*" {
        return if include {
            Err(Blocked::new(CorsError::WildcardOriginNotAllowed, ""))
        } else {
            Ok(())
        };
    }
    if acao != origin {
        let error = if acao.contains([' ', ',']) {
            CorsError::MultipleAllowOriginValues
        } else if acao == "null" || crate::address::parse(&acao).is_ok() {
            CorsError::AllowOriginMismatch
        } else {
            CorsError::InvalidAllowOriginValue
        };
        return Err(Blocked::new(error, acao));
    }
    if include {
        let acac = response.header("access-control-allow-credentials");
        if acac.as_deref() != Some("true") {
            return Err(Blocked::new(
                CorsError::InvalidAllowCredentials,
                acac.unwrap_or_default(),
            ));
        }
    }
    Ok(())
}

/// Splits a comma-separated list header as Chromium does: trimmed, empty elements dropped, each
/// element an HTTP token; `None` when one is not.
fn parse_list(value: Option<&str>) -> Option<Vec<String>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    value
        .split(',')
        .map(|v| v.trim_matches(|c| c == ' ' || c == '\t'))
        .filter(|v| !v.is_empty())
        .map(|v| is_token(v).then(|| v.to_string()))
        .collect()
}

/// Chromium's preflight cache lifetime: `Access-Control-Max-Age` clamped to 0..=7200, 5 when
/// absent or not a number.
#[must_use]
pub fn preflight_cache_seconds(response: &Response) -> u32 {
    match response.header("access-control-max-age") {
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n < 0 => 0,
            Ok(n) => u32::try_from(n.min(7200)).unwrap_or(7200),
            Err(_) => 5,
        },
        None => 5,
    }
}

/// The CORS-preflight fetch's checks on the preflight response, in Chromium's order: redirect,
/// the CORS check (with the actual request's credentials mode), ok status, parsing of the two
/// lists, the method, then the headers.
///
/// # Errors
/// The [`CorsError`] Chromium reports.
pub fn check_preflight(request: &FetchRequest, response: &Response) -> Result<Vec<Note>, Blocked> {
    if response.redirect_location().is_some() {
        return Err(Blocked::new(CorsError::PreflightDisallowedRedirect, ""));
    }
    check_access(&request.origin, request.credentials, response).map_err(|b| Blocked {
        error: b.error.on_preflight(),
        hint: b.hint,
    })?;
    if !(200..=299).contains(&response.status) {
        return Err(Blocked::new(CorsError::PreflightInvalidStatus, ""));
    }
    let acam = response.header("access-control-allow-methods");
    let methods = parse_list(acam.as_deref())
        .ok_or_else(|| Blocked::new(CorsError::InvalidAllowMethodsPreflightResponse, ""))?;
    let acah = response.header("access-control-allow-headers");
    let names: Vec<String> = parse_list(acah.as_deref())
        .ok_or_else(|| Blocked::new(CorsError::InvalidAllowHeadersPreflightResponse, ""))?
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();

    let include = request.include();
    let method = request.wire_method();
    let method_ok = is_safelisted_method(&method)
        || methods.contains(&method)
        || (!include && methods.iter().any(|m| m == "*"));
    if !method_ok {
        return Err(Blocked::new(
            CorsError::MethodDisallowedByPreflightResponse,
            method,
        ));
    }

    let mut notes = Vec::new();
    let wildcard = !include && names.iter().any(|n| n == "*");
    for name in request.unsafe_header_names() {
        if names.contains(&name) {
            continue;
        }
        if !wildcard {
            return Err(Blocked::new(
                CorsError::HeaderDisallowedByPreflightResponse,
                name,
            ));
        }
        if name == "authorization" {
            let standard = Blocked::new(CorsError::HeaderDisallowedByPreflightResponse, name);
            notes.push(Note::AuthorizationByWildcard {
                standard_message: standard.console_message(
                    &request.url,
                    &request.url,
                    &request.origin,
                    request.initiator,
                ),
            });
        }
    }
    Ok(notes)
}

/// Response headers the script may read after the CORS check passed, lowercase and sorted.
#[must_use]
pub fn readable_headers(credentials: Credentials, response: &Response) -> Vec<String> {
    let exposed: Vec<String> =
        parse_list(response.header("access-control-expose-headers").as_deref())
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
    let all = credentials == Credentials::Omit && exposed.iter().any(|n| n == "*");
    let mut names: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| {
            !is_forbidden_response_header(n)
                && (all || is_safelisted_response_header(n) || exposed.contains(n))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The whole exchange: the preflight answer (`None` when the request is simple, or when the
/// caller has no answer because a preflight was not needed) and the actual response (`None`
/// when it was never sent).
#[must_use]
pub fn evaluate(
    request: &FetchRequest,
    preflight: Option<&Response>,
    actual: Option<&Response>,
) -> Verdict {
    let mut notes = request.request_notes();
    let mut cache = None;
    if let Some(answer) = preflight {
        match check_preflight(request, answer) {
            Ok(found) => {
                notes.extend(found);
                cache = Some(preflight_cache_seconds(answer));
            }
            Err(blocked) => return blocked_verdict(blocked, notes),
        }
    }
    let Some(actual) = actual else {
        return Verdict {
            blocked: None,
            notes,
            readable_headers: Vec::new(),
            preflight_cache_seconds: cache,
        };
    };
    match check_access(&request.origin, request.credentials, actual) {
        Ok(()) => Verdict {
            blocked: None,
            notes,
            readable_headers: readable_headers(request.credentials, actual),
            preflight_cache_seconds: cache,
        },
        Err(blocked) => blocked_verdict(blocked, notes),
    }
}

fn blocked_verdict(blocked: Blocked, notes: Vec<Note>) -> Verdict {
    Verdict {
        blocked: Some(blocked),
        notes,
        readable_headers: Vec::new(),
        preflight_cache_seconds: None,
    }
}

/// Checks a redirect of the actual request from `url` before the browser follows it: the
/// target must be http(s), may carry no credentials when it is cross-origin or the hop was, and
/// a cross-origin hop's redirect response must itself pass the CORS check.
///
/// # Errors
/// The [`CorsError`] Chromium reports for the redirect.
pub fn check_redirect(
    request: &FetchRequest,
    url: &str,
    response: &Response,
    location: &str,
) -> Result<(), Blocked> {
    let target = crate::address::parse(location).ok();
    if !target
        .as_ref()
        .is_some_and(|t| matches!(t.scheme(), "http" | "https"))
    {
        return Err(Blocked::new(CorsError::CorsDisabledScheme, ""));
    }
    let cors = request.is_cross_origin(url);
    if target
        .as_ref()
        .is_some_and(|t| !t.username().is_empty() || t.password().is_some())
        && (cors || request.is_cross_origin(location))
    {
        return Err(Blocked::new(
            CorsError::RedirectContainsCredentials,
            location,
        ));
    }
    if cors {
        check_access(&request.origin, request.credentials, response)
    } else {
        Ok(())
    }
}

/// The verdict on a response the page reads without CORS (a same-origin request): allowed,
/// every header readable but `Set-Cookie`.
#[must_use]
pub fn same_origin_verdict(request: &FetchRequest, response: &Response) -> Verdict {
    let mut readable: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !is_forbidden_response_header(n))
        .collect();
    readable.sort();
    readable.dedup();
    Verdict {
        blocked: None,
        notes: request.request_notes(),
        readable_headers: readable,
        preflight_cache_seconds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        check_access, check_preflight, check_redirect, evaluate, preflight_cache_seconds,
        readable_headers, Blocked, CorsError, Credentials, FetchRequest, Initiator, Note,
        PreflightReason, Response,
    };

    type Headers<'a> = &'a [(&'a str, &'a str)];

    const ORIGIN: &str = "https://rabbit.invalid";
    const URL: &str = "https://api.invalid/orders";

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                .collect(),
        }
    }

    fn request(method: &str, headers: &[(&str, &str)], credentials: Credentials) -> FetchRequest {
        FetchRequest {
            url: URL.into(),
            origin: ORIGIN.into(),
            method: method.into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                .collect(),
            credentials,
            initiator: Initiator::Fetch,
        }
    }

    fn actual_error(credentials: Credentials, headers: &[(&str, &str)]) -> Option<CorsError> {
        check_access(ORIGIN, credentials, &response(200, headers))
            .err()
            .map(|b| b.error)
    }

    #[test]
    fn the_fetch_standard_credentials_table() {
        use CorsError as E;
        use Credentials::{Include, Omit};
        let acao = "Access-Control-Allow-Origin";
        let acac = "Access-Control-Allow-Credentials";
        let rows: [(Credentials, Headers<'_>, Option<CorsError>); 7] = [
            (Omit, &[(acao, "*")], None),
            (Omit, &[(acao, "*"), (acac, "true")], None),
            (
                Omit,
                &[(acao, "https://rabbit.invalid/")],
                Some(E::AllowOriginMismatch),
            ),
            (Omit, &[(acao, ORIGIN)], None),
            (
                Include,
                &[(acao, "*"), (acac, "true")],
                Some(E::WildcardOriginNotAllowed),
            ),
            (Include, &[(acao, ORIGIN), (acac, "true")], None),
            (
                Include,
                &[(acao, ORIGIN), (acac, "True")],
                Some(E::InvalidAllowCredentials),
            ),
        ];
        for (credentials, headers, expected) in rows {
            assert_eq!(
                actual_error(credentials, headers),
                expected,
                "{credentials:?} {headers:?}"
            );
        }
    }

    #[test]
    fn acao_classification_follows_chromium_order() {
        use CorsError as E;
        let acao = "Access-Control-Allow-Origin";
        let cases: [(Headers<'_>, CorsError, &str); 7] = [
            (&[], E::MissingAllowOriginHeader, ""),
            (
                &[(acao, "https://a.com, https://b.com")],
                E::MultipleAllowOriginValues,
                "https://a.com, https://b.com",
            ),
            (
                &[(acao, ORIGIN), (acao, ORIGIN)],
                E::MultipleAllowOriginValues,
                "https://rabbit.invalid, https://rabbit.invalid",
            ),
            (&[(acao, "null")], E::AllowOriginMismatch, "null"),
            (
                &[(acao, "rabbit.invalid")],
                E::InvalidAllowOriginValue,
                "rabbit.invalid",
            ),
            (
                &[(acao, "https://RABBIT.invalid")],
                E::AllowOriginMismatch,
                "https://RABBIT.invalid",
            ),
            (&[(acao, "")], E::InvalidAllowOriginValue, ""),
        ];
        for (headers, error, hint) in cases {
            let got = check_access(ORIGIN, Credentials::Omit, &response(200, headers)).unwrap_err();
            assert_eq!(
                got,
                Blocked {
                    error,
                    hint: hint.into()
                },
                "{headers:?}"
            );
        }
        // Missing ACAC is reported with an empty hint.
        let got = check_access(
            ORIGIN,
            Credentials::Include,
            &response(200, &[(acao, ORIGIN)]),
        )
        .unwrap_err();
        assert_eq!(
            got,
            Blocked {
                error: E::InvalidAllowCredentials,
                hint: String::new()
            }
        );
    }

    #[test]
    fn which_requests_are_preflighted_and_why() {
        let simple = request(
            "get",
            &[
                ("Accept", "application/json"),
                ("Content-Type", "text/plain;charset=UTF-8"),
            ],
            Credentials::Omit,
        );
        assert!(simple.preflight_reasons().is_empty());
        assert_eq!(simple.wire_method(), "GET");
        assert_eq!(simple.preflight_headers(), None);

        let patch = request("patch", &[], Credentials::Omit);
        assert_eq!(
            patch.preflight_reasons(),
            vec![PreflightReason::Method {
                method: "patch".into()
            }]
        );

        let json = request(
            "POST",
            &[
                ("Content-Type", "application/json"),
                ("X-B", "1"),
                ("x-a", "2"),
                ("Authorization", "Bearer t"),
                ("Cookie", "a=b"),
            ],
            Credentials::Include,
        );
        assert_eq!(
            json.unsafe_header_names(),
            ["authorization", "content-type", "x-a", "x-b"]
        );
        let preflight = json.preflight_headers().unwrap();
        assert!(preflight.contains(&(
            "Access-Control-Request-Headers".into(),
            "authorization,content-type,x-a,x-b".into()
        )));
        assert!(preflight.contains(&("Access-Control-Request-Method".into(), "POST".into())));
        assert_eq!(
            json.request_notes(),
            vec![Note::ForbiddenHeaderDropped {
                name: "Cookie".into()
            }]
        );

        let long = request("GET", &[("Accept", &"a".repeat(129))], Credentials::Omit);
        assert_eq!(long.unsafe_header_names(), ["accept"]);
        let ranges = request("GET", &[("Range", "bytes=0-10")], Credentials::Omit);
        assert!(ranges.preflight_reasons().is_empty());
        let multi = request("GET", &[("Range", "bytes=0-1,3-4")], Credentials::Omit);
        assert_eq!(multi.unsafe_header_names(), ["range"]);
        let language = request(
            "GET",
            &[("Content-Language", "de-DE"), ("Accept-Language", "en\"")],
            Credentials::Omit,
        );
        assert_eq!(language.unsafe_header_names(), ["accept-language"]);
        let many: Vec<(String, String)> = (0..9)
            .map(|_| ("Accept".to_string(), "a".repeat(120)))
            .collect();
        let big = FetchRequest {
            headers: many,
            ..request("GET", &[], Credentials::Omit)
        };
        assert_eq!(big.unsafe_header_names(), ["accept"]);
    }

    fn preflight_error(
        req: &FetchRequest,
        status: u16,
        headers: &[(&str, &str)],
    ) -> Option<Blocked> {
        check_preflight(req, &response(status, headers)).err()
    }

    #[test]
    fn preflight_checks_in_chromium_order() {
        use CorsError as E;
        let acao = ("Access-Control-Allow-Origin", ORIGIN);
        let put = request("PUT", &[("X-Foo", "1")], Credentials::Omit);
        // A 403 without ACAO is reported as the missing header, not the status.
        assert_eq!(
            preflight_error(&put, 403, &[]).unwrap().error,
            E::PreflightMissingAllowOriginHeader
        );
        assert_eq!(
            preflight_error(&put, 400, &[acao]).unwrap().error,
            E::PreflightInvalidStatus
        );
        assert_eq!(
            preflight_error(&put, 301, &[("Location", "https://api.invalid/x")])
                .unwrap()
                .error,
            E::PreflightDisallowedRedirect
        );
        assert_eq!(
            preflight_error(&put, 204, &[("Access-Control-Allow-Origin", "*")]).unwrap(),
            Blocked {
                error: E::MethodDisallowedByPreflightResponse,
                hint: "PUT".into()
            }
        );
        assert_eq!(
            preflight_error(&put, 204, &[acao, ("Access-Control-Allow-Methods", "PUT")]).unwrap(),
            Blocked {
                error: E::HeaderDisallowedByPreflightResponse,
                hint: "x-foo".into()
            }
        );
        assert_eq!(
            preflight_error(
                &put,
                204,
                &[acao, ("Access-Control-Allow-Methods", "PUT, (bad)")]
            )
            .unwrap()
            .error,
            E::InvalidAllowMethodsPreflightResponse
        );
        assert_eq!(
            preflight_error(
                &put,
                204,
                &[
                    acao,
                    ("Access-Control-Allow-Methods", "PUT"),
                    ("Access-Control-Allow-Headers", "x foo")
                ]
            )
            .unwrap()
            .error,
            E::InvalidAllowHeadersPreflightResponse
        );
        assert_eq!(
            preflight_error(
                &put,
                200,
                &[
                    acao,
                    ("Access-Control-Allow-Methods", "GET,,PUT"),
                    ("Access-Control-Allow-Headers", "X-FOO")
                ]
            ),
            None
        );
        // Methods compare case-sensitively after normalization.
        let patch = request("patch", &[], Credentials::Omit);
        assert_eq!(
            preflight_error(
                &patch,
                204,
                &[acao, ("Access-Control-Allow-Methods", "PATCH")]
            )
            .unwrap()
            .hint,
            "patch"
        );
        // With credentials, the wildcards are literal names and the preflight needs ACAC.
        let cred = request("PUT", &[("X-Foo", "1")], Credentials::Include);
        let star = [
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", "*"),
        ];
        assert_eq!(
            preflight_error(&cred, 204, &star).unwrap().error,
            E::MethodDisallowedByPreflightResponse
        );
        assert_eq!(
            preflight_error(&cred, 204, &[acao, ("Access-Control-Allow-Methods", "PUT")]).unwrap(),
            Blocked {
                error: E::PreflightInvalidAllowCredentials,
                hint: String::new()
            }
        );
        assert_eq!(
            preflight_error(
                &cred,
                204,
                &[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Credentials", "true")
                ]
            )
            .unwrap()
            .error,
            E::PreflightWildcardOriginNotAllowed
        );
        assert_eq!(
            preflight_error(
                &cred,
                204,
                &[(
                    "Access-Control-Allow-Origin",
                    "https://a.com, https://b.com"
                )]
            )
            .unwrap()
            .error,
            E::PreflightMultipleAllowOriginValues
        );
        assert_eq!(
            preflight_error(&cred, 204, &[("Access-Control-Allow-Origin", "a.com")])
                .unwrap()
                .error,
            E::PreflightInvalidAllowOriginValue
        );
        assert_eq!(
            preflight_error(
                &cred,
                204,
                &[("Access-Control-Allow-Origin", "https://a.com")]
            )
            .unwrap()
            .error,
            E::PreflightAllowOriginMismatch
        );
        assert_eq!(
            preflight_error(
                &cred,
                204,
                &[
                    star[0],
                    star[1],
                    ("Access-Control-Allow-Methods", "PUT"),
                    ("Access-Control-Allow-Headers", "*")
                ]
            )
            .unwrap()
            .hint,
            "x-foo"
        );
        // Without credentials, `*` covers methods and headers.
        let star_omit = [
            acao,
            ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", "*"),
        ];
        assert_eq!(preflight_error(&put, 204, &star_omit), None);
    }

    #[test]
    fn wildcard_headers_cover_authorization_in_chromium_only() {
        let auth = request("GET", &[("Authorization", "Bearer t")], Credentials::Omit);
        let notes = check_preflight(
            &auth,
            &response(
                204,
                &[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Headers", "*"),
                ],
            ),
        )
        .unwrap();
        assert_eq!(notes, vec![Note::AuthorizationByWildcard {
            standard_message: format!("Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response.")
        }]);
        let listed = check_preflight(
            &auth,
            &response(
                204,
                &[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Headers", "*, Authorization"),
                ],
            ),
        )
        .unwrap();
        assert!(listed.is_empty());
    }

    #[test]
    fn every_message_has_chromium_wording() {
        use CorsError as E;
        let lead = format!(
            "Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: "
        );
        let p = "Response to preflight request doesn't pass access control check: ";
        let wild = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.";
        let missing =
            "No 'Access-Control-Allow-Origin' header is present on the requested resource.";
        let multiple = "The 'Access-Control-Allow-Origin' header contains multiple values 'a, b', but only one is allowed. Have the server send the header with a valid value.";
        let invalid = "The 'Access-Control-Allow-Origin' header contains the invalid value 'a.example'. Have the server send the header with a valid value.";
        let mismatch = "The 'Access-Control-Allow-Origin' header has a value 'https://a.example/' that is not equal to the supplied origin. Have the server send the header with a valid value.";
        let creds = "The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'.";
        let cases: Vec<(CorsError, &str, String)> = vec![
            (E::WildcardOriginNotAllowed, "", wild.into()),
            (E::PreflightWildcardOriginNotAllowed, "", format!("{p}{wild}")),
            (E::MissingAllowOriginHeader, "", missing.into()),
            (E::PreflightMissingAllowOriginHeader, "", format!("{p}{missing}")),
            (E::MultipleAllowOriginValues, "a, b", multiple.into()),
            (E::PreflightMultipleAllowOriginValues, "a, b", format!("{p}{multiple}")),
            (E::InvalidAllowOriginValue, "a.example", invalid.into()),
            (E::PreflightInvalidAllowOriginValue, "a.example", format!("{p}{invalid}")),
            (E::AllowOriginMismatch, "https://a.example/", mismatch.into()),
            (E::PreflightAllowOriginMismatch, "https://a.example/", format!("{p}{mismatch}")),
            (E::InvalidAllowCredentials, "True", creds.into()),
            (E::PreflightInvalidAllowCredentials, "True", format!("{p}{creds}")),
            (E::PreflightInvalidStatus, "", format!("{p}It does not have HTTP ok status.")),
            (E::PreflightDisallowedRedirect, "", format!("{p}Redirect is not allowed for a preflight request.")),
            (E::InvalidAllowMethodsPreflightResponse, "", "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".into()),
            (E::InvalidAllowHeadersPreflightResponse, "", "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".into()),
            (E::MethodDisallowedByPreflightResponse, "PUT", "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.".into()),
            (E::HeaderDisallowedByPreflightResponse, "x-foo", "Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.".into()),
            (E::RedirectContainsCredentials, "https://u:p@b.example/", "Redirect location 'https://u:p@b.example/' contains a username and password, which is disallowed for cross-origin requests.".into()),
            (E::CorsDisabledScheme, "", "Cross origin requests are only supported for protocol schemes: chrome, chrome-extension, chrome-untrusted, data, http, https, isolated-app.".into()),
        ];
        for (error, hint, text) in cases {
            let blocked = Blocked {
                error,
                hint: hint.into(),
            };
            assert_eq!(
                blocked.console_message(URL, URL, ORIGIN, Initiator::Fetch),
                format!("{lead}{text}"),
                "{error:?}"
            );
            assert_eq!(
                blocked.error.has_preflight_prefix(),
                text.starts_with(p),
                "{error:?}"
            );
        }
        // XHR words the kind differently, drops the no-cors advice and adds the withCredentials one.
        let xhr = Blocked {
            error: E::InvalidAllowCredentials,
            hint: String::new(),
        }
        .console_message(URL, URL, ORIGIN, Initiator::XmlHttpRequest);
        assert!(
            xhr.starts_with("Access to XMLHttpRequest at ")
                && xhr.ends_with("controlled by the withCredentials attribute."),
            "{xhr}"
        );
        let xhr = Blocked {
            error: E::AllowOriginMismatch,
            hint: "x:y".into(),
        }
        .text(Initiator::XmlHttpRequest);
        assert!(xhr.ends_with("supplied origin."), "{xhr}");
        // Hints are escaped like Chromium's EncodeHint.
        let odd = Blocked {
            error: E::AllowOriginMismatch,
            hint: "https://bücher.example\n".into(),
        }
        .text(Initiator::Fetch);
        assert!(
            odd.contains("'https://b\\u00FCcher.example\\u000A'"),
            "{odd}"
        );
    }

    #[test]
    fn exchange_verdicts_and_readable_headers() {
        let put = request("PUT", &[], Credentials::Include);
        let ok_preflight = response(
            204,
            &[
                ("Access-Control-Allow-Origin", ORIGIN),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Max-Age", "100000"),
            ],
        );
        let ok_actual = response(
            500,
            &[
                ("Access-Control-Allow-Origin", ORIGIN),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Expose-Headers", "X-Id, *"),
                ("X-Id", "1"),
                ("X-Other", "2"),
                ("Content-Type", "text/plain"),
                ("Set-Cookie", "a=b"),
            ],
        );
        let verdict = evaluate(&put, Some(&ok_preflight), Some(&ok_actual));
        assert!(verdict.allowed());
        assert_eq!(verdict.preflight_cache_seconds, Some(7200));
        assert_eq!(verdict.readable_headers, ["content-type", "x-id"]);
        let omit = readable_headers(Credentials::Omit, &ok_actual);
        assert_eq!(
            omit,
            [
                "access-control-allow-credentials",
                "access-control-allow-origin",
                "access-control-expose-headers",
                "content-type",
                "x-id",
                "x-other"
            ]
        );
        let blocked = evaluate(&put, Some(&ok_preflight), Some(&response(200, &[])));
        assert_eq!(
            blocked.blocked.unwrap().error,
            CorsError::MissingAllowOriginHeader
        );
        let blocked = evaluate(&put, Some(&response(204, &[])), Some(&ok_actual));
        assert_eq!(
            blocked.blocked.unwrap().error,
            CorsError::PreflightMissingAllowOriginHeader
        );
        for (acma, seconds) in [
            (None, 5),
            (Some("-1"), 0),
            (Some("abc"), 5),
            (Some("600"), 600),
        ] {
            let mut r = response(204, &[]);
            if let Some(v) = acma {
                r.headers.push(("Access-Control-Max-Age".into(), v.into()));
            }
            assert_eq!(preflight_cache_seconds(&r), seconds, "{acma:?}");
        }
    }

    #[test]
    fn redirects_and_urls() {
        let get = request("GET", &[], Credentials::Omit);
        let redirect = response(
            302,
            &[
                ("Location", "https://u:p@b.example/"),
                ("Access-Control-Allow-Origin", "*"),
            ],
        );
        assert_eq!(
            check_redirect(&get, URL, &redirect, "https://u:p@b.example/")
                .unwrap_err()
                .error,
            CorsError::RedirectContainsCredentials
        );
        assert_eq!(
            check_redirect(&get, URL, &redirect, "ftp://b.example/")
                .unwrap_err()
                .error,
            CorsError::CorsDisabledScheme
        );
        assert!(check_redirect(&get, URL, &redirect, "https://b.example/x").is_ok());
        let bare = response(302, &[("Location", "https://b.example/")]);
        assert_eq!(
            check_redirect(&get, URL, &bare, "https://b.example/")
                .unwrap_err()
                .error,
            CorsError::MissingAllowOriginHeader
        );
    }

    #[test]
    fn redirects_rewrite_the_method_as_fetch_does() {
        let post = request(
            "post",
            &[("Content-Type", "text/plain"), ("X-A", "1")],
            Credentials::Omit,
        );
        let to_get = post.redirected(303);
        assert_eq!(to_get.wire_method(), "GET");
        assert_eq!(to_get.headers, [("X-A".to_string(), "1".to_string())]);
        assert_eq!(post.redirected(302).wire_method(), "GET");
        assert_eq!(post.redirected(301).wire_method(), "GET");
        assert_eq!(post.redirected(307).wire_method(), "POST");
        assert_eq!(post.redirected(308).headers.len(), 2);
        let put = request("PUT", &[], Credentials::Omit);
        assert_eq!(put.redirected(302).wire_method(), "PUT");
        assert_eq!(put.redirected(303).wire_method(), "GET");
        assert_eq!(
            request("HEAD", &[], Credentials::Omit)
                .redirected(303)
                .wire_method(),
            "HEAD"
        );
        // A same-origin GET carries no Origin; any other method does; a cross-origin one always.
        let page = FetchRequest {
            origin: "https://api.invalid".into(),
            ..request("GET", &[], Credentials::Omit)
        };
        assert!(!page.actual_headers(URL).iter().any(|(n, _)| n == "Origin"));
        let delete = FetchRequest {
            method: "DELETE".into(),
            ..page.clone()
        };
        assert!(delete
            .actual_headers(URL)
            .iter()
            .any(|(n, _)| n == "Origin"));
        assert!(page
            .actual_headers("https://other.invalid/")
            .iter()
            .any(|(n, _)| n == "Origin"));
    }

    #[test]
    fn redirected_requests_name_the_final_and_the_first_url() {
        let blocked = Blocked {
            error: CorsError::MissingAllowOriginHeader,
            hint: String::new(),
        };
        assert_eq!(
            blocked.console_message("https://b.invalid/final", URL, ORIGIN, Initiator::Fetch),
            format!("Access to fetch at 'https://b.invalid/final' (redirected from '{URL}') from origin '{ORIGIN}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
        );
    }

    /// The exception for `request` made with `fetch()` and with XHR.
    fn thrown(method: &str, headers: &[(&str, &str)]) -> Option<(String, String)> {
        let fetch = request(method, headers, Credentials::Omit);
        let xhr = FetchRequest {
            initiator: Initiator::XmlHttpRequest,
            ..fetch.clone()
        };
        let message = |r: &FetchRequest| {
            r.script_exception()
                .map(|b| b.console_message(URL, URL, ORIGIN, r.initiator))
        };
        Some((message(&fetch)?, message(&xhr)?))
    }

    #[test]
    fn scripts_throw_before_any_request_in_chromium_order() {
        // Chromium 156's exceptions, measured.
        let fetch = "TypeError: Failed to execute 'fetch' on 'Window': ";
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], String, String);
        let cases: [Case<'_>; 8] = [
            (
                "CONNECT",
                &[],
                format!("{fetch}'CONNECT' HTTP method is unsupported."),
                "SecurityError: Failed to execute 'open' on 'XMLHttpRequest': 'CONNECT' HTTP method is unsupported.".into(),
            ),
            (
                "GE T",
                &[],
                format!("{fetch}'GE T' is not a valid HTTP method."),
                "SyntaxError: Failed to execute 'open' on 'XMLHttpRequest': 'GE T' is not a valid HTTP method.".into(),
            ),
            (
                "",
                &[],
                format!("{fetch}'' is not a valid HTTP method."),
                "SyntaxError: Failed to execute 'open' on 'XMLHttpRequest': '' is not a valid HTTP method.".into(),
            ),
            (
                "G\u{101}T",
                &[("Bad Name", "1")],
                format!("{fetch}Failed to read the 'method' property from 'RequestInit': String contains non ISO-8859-1 code point."),
                "TypeError: Failed to execute 'open' on 'XMLHttpRequest': String contains non ISO-8859-1 code point.".into(),
            ),
            (
                "GET",
                &[("Bad Name", "x")],
                format!("{fetch}Invalid name"),
                "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'Bad Name' is not a valid HTTP header field name.".into(),
            ),
            (
                "GET",
                &[("X-A", "  a\nb "), ("Bad Name", "1")],
                format!("{fetch}Invalid value"),
                "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'a\nb' is not a valid HTTP header field value.".into(),
            ),
            (
                "GET",
                &[("X-\u{e9}", "1")],
                format!("{fetch}Invalid name"),
                "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'X-\u{e9}' is not a valid HTTP header field name.".into(),
            ),
            (
                // fetch() converts the headers before the method; XHR's open() comes first.
                "CONNECT",
                &[("X-A", "\u{101}")],
                format!("{fetch}Failed to read the 'headers' property from 'RequestInit': String contains non ISO-8859-1 code point."),
                "SecurityError: Failed to execute 'open' on 'XMLHttpRequest': 'CONNECT' HTTP method is unsupported.".into(),
            ),
        ];
        for (method, headers, by_fetch, by_xhr) in cases {
            assert_eq!(
                thrown(method, headers),
                Some((by_fetch, by_xhr)),
                "{method:?} {headers:?}"
            );
            let r = request(method, headers, Credentials::Omit);
            assert!(r.throws() && r.preflight_headers().is_none());
        }
        let with_credentials = FetchRequest {
            url: "https://u:p@api.invalid/orders".into(),
            ..request("GE T", &[], Credentials::Omit)
        };
        assert_eq!(
            with_credentials.script_exception().map(|b| b.console_message(URL, URL, ORIGIN, Initiator::Fetch)),
            Some(format!("{fetch}Request cannot be constructed from a URL that includes credentials: https://u:p@api.invalid/orders"))
        );
        for method in ["trace", "Track", "get", "patch", "PURGE", "M-SEARCH", "x~y"] {
            let forbidden = method.eq_ignore_ascii_case("trace") || method == "Track";
            assert_eq!(thrown(method, &[]).is_some(), forbidden, "{method}");
        }
        // Latin-1 values and a value the browser trims are fine.
        assert_eq!(
            thrown("GET", &[("X-A", "caf\u{e9}"), ("X-B", " v\t")]),
            None
        );
    }

    #[test]
    fn headers_as_the_browser_sends_them() {
        // Trimmed, forbidden ones dropped, a repeated name joined under its first spelling.
        let r = request(
            "PUT",
            &[
                ("X-A", " 1 "),
                ("Cookie", "a=b"),
                ("x-a", "2"),
                ("Accept-Language", "en"),
                ("accept-language", "fr"),
            ],
            Credentials::Omit,
        );
        // Accept: */* unless the script set Accept; the actual request adds Origin.
        assert_eq!(
            FetchRequest {
                origin: "null".into(),
                ..r.clone()
            }
            .actual_headers(URL),
            [
                ("X-A".to_string(), "1, 2".to_string()),
                ("Accept-Language".to_string(), "en, fr".to_string()),
                ("Accept".to_string(), "*/*".to_string()),
                ("Origin".to_string(), "null".to_string())
            ]
        );
        assert_eq!(r.unsafe_header_names(), ["x-a"]);
        // Two values that are each safelisted can make a value that is not.
        let joined = request(
            "POST",
            &[
                ("Content-Type", "text/plain"),
                ("Content-Type", "text/plain"),
            ],
            Credentials::Omit,
        );
        assert_eq!(joined.unsafe_header_names(), ["content-type"]);
        assert!(joined.preflight_reasons()[0].to_string().ends_with(
            "(the script set it more than once, and the browser joins the values with `, `)"
        ));
        let accept = request(
            "GET",
            &[("Accept", &"a".repeat(100)), ("Accept", &"b".repeat(100))],
            Credentials::Omit,
        );
        assert_eq!(accept.unsafe_header_names(), ["accept"]);
        // 128 bytes: a Latin-1 character is one byte.
        let latin1 = "\u{e9}".repeat(128);
        assert!(request("GET", &[("Accept", &latin1)], Credentials::Omit)
            .preflight_reasons()
            .is_empty());
    }

    #[test]
    fn chromium_safelists_client_hints_and_counts_the_total() {
        let simple = |headers: &[(&str, &str)]| {
            request("GET", headers, Credentials::Omit)
                .preflight_reasons()
                .is_empty()
        };
        for (name, good, bad) in [
            ("DPR", "2.5", "2."),
            ("Device-Memory", "8", "eight"),
            ("Downlink", "10.25", ".5"),
            ("Width", "100", "1.5"),
            ("Viewport-Width", "800", ""),
            ("RTT", "50", "-1"),
            ("ECT", "4g", "5g"),
            ("Save-Data", "ON", "off"),
            ("Range", "Bytes=0-99", "bytes=-5"),
            (
                "Range",
                "bytes=9223372036854775807-",
                "bytes=9223372036854775808-",
            ),
            (
                "Range",
                "bytes=5-9223372036854775807",
                "bytes=99999999999999999999-5",
            ),
            ("Range", "bytes=5-5", "bytes=5-4"),
            ("Intervention", "<anything>", &"x".repeat(129)),
        ] {
            assert!(simple(&[(name, good)]), "{name}: {good}");
            assert!(!simple(&[(name, bad)]), "{name}: {bad}");
        }
        let hinted = request("GET", &[("DPR", "2"), ("Accept", "a")], Credentials::Omit);
        assert_eq!(
            hinted.request_notes(),
            [Note::SafelistedByChromiumOnly {
                names: vec!["dpr".into()]
            }]
        );
        // Nine safelisted values of 128 bytes pass 1024 together: all nine are then unsafe;
        // eight (exactly 1024) are not.
        let digits = "1".repeat(128);
        let nine: Vec<(&str, &str)> = [
            "DPR",
            "Width",
            "Viewport-Width",
            "Device-Memory",
            "RTT",
            "Downlink",
            "Intervention",
            "Accept",
        ]
        .iter()
        .map(|n| (*n, digits.as_str()))
        .chain([("Content-Language", digits.as_str())])
        .collect();
        assert!(simple(&nine[1..]));
        let all = request("GET", &nine, Credentials::Omit);
        assert_eq!(all.unsafe_header_names().len(), 9);
        assert!(all.preflight_reasons()[0]
            .to_string()
            .contains("together are 1152 bytes, more than 1024"));
        // The browser's own `Accept: */*` counts: eight other 128-byte values and it make 1,027
        // bytes, and accept is named too (measured in Chromium 156).
        let without_accept: Vec<(&str, &str)> = nine
            .iter()
            .filter(|(n, _)| *n != "Accept")
            .copied()
            .collect();
        let eight = request("GET", &without_accept, Credentials::Omit);
        assert_eq!(eight.unsafe_header_names().len(), 9);
        assert!(eight.unsafe_header_names().contains(&"accept".to_string()));
    }
}
