//! The CORS errors and their console messages, word for word, in each engine, and the
//! exceptions a script's call throws.

use serde::Serialize;

use super::request::utf8_lossy;
use super::{Engine, FetchRequest, Initiator, Note, Verdict};

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
    /// Not a CORS error: the network error for a redirect to a scheme that is not http(s)
    /// (measured: a `data:` URL; the script sees `TypeError: Failed to fetch`).
    UnsafeRedirect,
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

    /// True for the network errors Chromium reports as a failed load, not a CORS error.
    #[must_use]
    pub fn is_network_error(self) -> bool {
        matches!(
            self,
            CorsError::TooManyRedirects | CorsError::UnsafeRedirect
        )
    }

    /// The same check failing on the preflight response (`kX` → `kPreflightX`).
    pub(super) fn on_preflight(self) -> CorsError {
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

/// A blocked request: the error (named after Chromium's) and what the messages quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The error.
    pub error: CorsError,
    /// The value or name the engine's message quotes (Chromium's
    /// `CorsErrorStatus.failed_parameter`).
    pub hint: String,
    /// The status of the response that failed the check; 0 when none did.
    pub status: u16,
    /// The origin the failing request carried (`null` once a redirect left for another
    /// origin); empty when no response was checked.
    pub origin: String,
    /// Where the refused redirect led, when a redirect was refused.
    pub redirect_to: Option<String>,
}

impl Blocked {
    /// The error with the value or name its message quotes.
    pub fn new(error: CorsError, hint: impl Into<String>) -> Self {
        Blocked {
            error,
            hint: hint.into(),
            status: 0,
            origin: String::new(),
            redirect_to: None,
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
            E::UnsafeRedirect => "net::ERR_UNSAFE_REDIRECT".to_string(),
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
        if self.error.is_network_error() {
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

/// WebKit's messages (`CrossOriginAccessControl.cpp`), written by its console lines and read
/// back by [`read_webkit_message`]: the fixed ones, and those around a value (before, after).
const WEBKIT_MULTIPLE: &str = "Access-Control-Allow-Origin cannot contain more than one origin.";
const WEBKIT_WILDCARD: &str =
    "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.";
const WEBKIT_CREDENTIALS: &str =
    "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\".";
const WEBKIT_STATUS: &str = "Preflight response is not successful. Status code: ";
const WEBKIT_ORIGIN: (&str, &str) = (
    "Origin ",
    " is not allowed by Access-Control-Allow-Origin. Status code: ",
);
const WEBKIT_REDIRECT: (&str, &str) = (
    "Cross-origin redirection to ",
    " denied by Cross-Origin Resource Sharing policy: ",
);
const WEBKIT_HINTED: [(CorsError, &str, &str); 4] = [
    (
        CorsError::InvalidAllowMethodsPreflightResponse,
        "Header Access-Control-Allow-Methods has an invalid value: ",
        "",
    ),
    (
        CorsError::InvalidAllowHeadersPreflightResponse,
        "Header Access-Control-Allow-Headers has an invalid value: ",
        "",
    ),
    (
        CorsError::MethodDisallowedByPreflightResponse,
        "Method ",
        " is not allowed by Access-Control-Allow-Methods.",
    ),
    (
        CorsError::HeaderDisallowedByPreflightResponse,
        "Request header field ",
        " is not allowed by Access-Control-Allow-Headers.",
    ),
];

/// Firefox's console lines begin so (`security.properties`).
const FIREFOX_BLOCKED: &str =
    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ";

/// Every console line `engine` prints for a request, in order: the lines before the request
/// (WebKit refusing a forbidden header XHR sets), then the failure's, or for an allowed
/// request its warnings (Firefox's about `*` covering `Authorization`) and Chromium's line
/// for an error status. `url` is the URL of the request that failed (after redirects),
/// `status` the last answer's status, `request` the script's (its URL the one it fetched).
#[must_use]
pub fn console_lines(
    request: &FetchRequest,
    verdict: &Verdict,
    url: &str,
    status: Option<u16>,
) -> Vec<String> {
    let mut lines = Vec::new();
    if request.engine == Engine::Webkit && request.initiator == Initiator::XmlHttpRequest {
        for note in &verdict.notes {
            if let Note::ForbiddenHeaderDropped { name } = note {
                lines.push(format!("Refused to set unsafe header \"{name}\""));
            }
        }
    }
    match &verdict.blocked {
        Some(blocked) => lines.extend(blocked.lines(request, url)),
        None => {
            let authorization = verdict
                .notes
                .iter()
                .any(|n| matches!(n, Note::AuthorizationByWildcard { .. }));
            if let (Engine::Chromium, Some(status @ 400..)) = (request.engine, status) {
                // Measured: `(Internal Server Error)` for a 500, the reason phrase.
                let reason = ureq::http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("");
                lines.push(format!(
                    "Failed to load resource: the server responded with a status of {status} ({reason})"
                ));
            }
            if request.engine == Engine::Firefox && authorization {
                lines.push(format!("Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at {url} soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`)."));
            }
        }
    }
    lines
}

impl Blocked {
    /// The console lines of this failure in the request's engine.
    #[must_use]
    pub fn lines(&self, request: &FetchRequest, url: &str) -> Vec<String> {
        if self.error.is_script_exception() {
            return vec![self.engine_exception(request)];
        }
        match request.engine {
            // The CORS error, then the failed load (measured: every CORS failure logs both;
            // too many redirects logs only the load).
            Engine::Chromium if self.error.is_network_error() => {
                vec![self.console_message(url, &request.url, &request.origin, request.initiator)]
            }
            Engine::Chromium => vec![
                self.console_message(url, &request.url, &request.origin, request.initiator),
                "Failed to load resource: net::ERR_FAILED".to_string(),
            ],
            Engine::Firefox => self.firefox_lines(url),
            Engine::Webkit => self.webkit_lines(request, url),
        }
    }

    fn firefox_lines(&self, url: &str) -> Vec<String> {
        use CorsError as E;
        // Firefox prints a header value's bytes read as UTF-8 (measured: the bytes of
        // `bücher` print as `bücher`).
        let hint = utf8_lossy(&self.hint);
        let line = |reason: &str| format!("{FIREFOX_BLOCKED}{url}. (Reason: {reason}).");
        let with_status = |reason: &str| format!("{} Status code: {}.", line(reason), self.status);
        let mut lines = match self.error {
            E::MissingAllowOriginHeader | E::PreflightMissingAllowOriginHeader => vec![
                with_status("CORS header ‘Access-Control-Allow-Origin’ missing"),
            ],
            E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues => vec![line(
                "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed",
            )],
            E::InvalidAllowOriginValue
            | E::PreflightInvalidAllowOriginValue
            | E::AllowOriginMismatch
            | E::PreflightAllowOriginMismatch => vec![line(&format!(
                "CORS header ‘Access-Control-Allow-Origin’ does not match ‘{hint}’"
            ))],
            E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => vec![format!(
                "{FIREFOX_BLOCKED}‘{url}’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’)."
            )],
            E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials => vec![line(
                "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’",
            )],
            E::PreflightInvalidStatus => {
                vec![with_status("CORS preflight response did not succeed")]
            }
            E::PreflightDisallowedRedirect => vec![
                line("CORS request external redirect not allowed"),
                with_status("CORS preflight response did not succeed"),
            ],
            E::InvalidAllowMethodsPreflightResponse => vec![line(&format!(
                "invalid token ‘{}’ in CORS header ‘Access-Control-Allow-Methods’",
                self.hint
            ))],
            E::InvalidAllowHeadersPreflightResponse => vec![line(&format!(
                "invalid token ‘{}’ in CORS header ‘Access-Control-Allow-Headers’",
                self.hint
            ))],
            E::MethodDisallowedByPreflightResponse => vec![line(
                "Did not find method in CORS header ‘Access-Control-Allow-Methods’",
            )],
            E::HeaderDisallowedByPreflightResponse => vec![line(&format!(
                "header ‘{}’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response",
                self.hint
            ))],
            // Firefox names no reason for these: the request just fails.
            E::RedirectContainsCredentials | E::UnsafeRedirect | E::TooManyRedirects => {
                Vec::new()
            }
            E::NonLatin1Header
            | E::NonLatin1Method
            | E::UrlWithCredentials
            | E::InvalidMethod
            | E::ForbiddenMethod
            | E::InvalidHeaderName
            | E::InvalidHeaderValue => Vec::new(),
        };
        // A failed preflight or redirect fails the request itself too, with no status.
        if self.error.is_preflight() || self.redirect_to.is_some() || lines.is_empty() {
            lines.push(format!(
                "{} Status code: (null).",
                line("CORS request did not succeed")
            ));
        }
        lines
    }

    fn webkit_lines(&self, request: &FetchRequest, url: &str) -> Vec<String> {
        use CorsError as E;
        let reason = match self.error {
            E::MissingAllowOriginHeader
            | E::PreflightMissingAllowOriginHeader
            | E::InvalidAllowOriginValue
            | E::PreflightInvalidAllowOriginValue
            | E::AllowOriginMismatch
            | E::PreflightAllowOriginMismatch => Some(format!(
                "{}{}{}{}",
                WEBKIT_ORIGIN.0, self.origin, WEBKIT_ORIGIN.1, self.status
            )),
            E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues => {
                Some(WEBKIT_MULTIPLE.to_string())
            }
            E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => {
                Some(WEBKIT_WILDCARD.to_string())
            }
            E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials => {
                Some(WEBKIT_CREDENTIALS.to_string())
            }
            E::PreflightInvalidStatus | E::PreflightDisallowedRedirect => {
                Some(format!("{WEBKIT_STATUS}{}", self.status))
            }
            E::InvalidAllowMethodsPreflightResponse
            | E::InvalidAllowHeadersPreflightResponse
            | E::MethodDisallowedByPreflightResponse
            | E::HeaderDisallowedByPreflightResponse => WEBKIT_HINTED
                .iter()
                .find(|(error, _, _)| *error == self.error)
                .map(|(_, before, after)| format!("{before}{}{after}", self.hint)),
            E::RedirectContainsCredentials => Some(format!(
                "redirection URL {} has credentials",
                self.redirect_to.as_deref().unwrap_or_default()
            )),
            E::UnsafeRedirect => Some(
                "not allowed to follow a cross-origin CORS redirection with non CORS scheme"
                    .to_string(),
            ),
            E::TooManyRedirects => Some("Load cannot follow more than 20 redirections".to_string()),
            E::NonLatin1Header
            | E::NonLatin1Method
            | E::UrlWithCredentials
            | E::InvalidMethod
            | E::ForbiddenMethod
            | E::InvalidHeaderName
            | E::InvalidHeaderValue => None,
        };
        let mut lines = Vec::new();
        if let Some(reason) = reason {
            lines.push(match &self.redirect_to {
                Some(to) => format!(
                    "{}{}{}{reason}",
                    WEBKIT_REDIRECT.0,
                    without_userinfo(to),
                    WEBKIT_REDIRECT.1
                ),
                None => reason,
            });
        }
        let api = match request.initiator {
            Initiator::Fetch => "Fetch API",
            Initiator::XmlHttpRequest => "XMLHttpRequest",
        };
        lines.push(format!(
            "{api} cannot load {url} due to access control checks."
        ));
        lines
    }

    /// The exception the script's call throws, as the request's engine prints it.
    fn engine_exception(&self, request: &FetchRequest) -> String {
        use CorsError as E;
        let fetch = request.initiator == Initiator::Fetch;
        // Firefox prints a ByteString's bytes read as UTF-8.
        let lossy = utf8_lossy;
        let over_255 = |text: &str| {
            text.chars()
                .enumerate()
                .find(|(_, c)| u32::from(*c) > 0xFF)
                .map(|(i, c)| {
                    format!(
                        "because the character at index {i} has value {} which is greater than 255.",
                        u32::from(c)
                    )
                })
                .unwrap_or_default()
        };
        let at_fault = request.header_at_fault();
        match request.engine {
            Engine::Chromium => self.exception(request.initiator),
            Engine::Firefox => match (self.error, fetch) {
                (E::NonLatin1Header, true) => format!(
                    "TypeError: Window.fetch: Cannot convert element of element of sequence<sequence<ByteString>> branch of (sequence<sequence<ByteString>> or record<ByteString, ByteString>) to ByteString {}",
                    at_fault.map(|(n, v, _)| over_255(if over_255(n).is_empty() { v } else { n })).unwrap_or_default()
                ),
                (E::NonLatin1Header, false) => {
                    let (argument, text) = match at_fault {
                        Some((n, _, _)) if !over_255(n).is_empty() => (1, n),
                        Some((_, v, _)) => (2, v),
                        None => (1, ""),
                    };
                    format!(
                        "TypeError: XMLHttpRequest.setRequestHeader: Cannot convert argument {argument} to ByteString {}",
                        over_255(text)
                    )
                }
                (E::NonLatin1Method, true) => format!(
                    "TypeError: Window.fetch: Cannot convert 'method' member of RequestInit to ByteString {}",
                    over_255(&request.method)
                ),
                (E::NonLatin1Method, false) => format!(
                    "TypeError: XMLHttpRequest.open: Cannot convert argument 1 to ByteString {}",
                    over_255(&request.method)
                ),
                (E::InvalidMethod | E::ForbiddenMethod, true) => format!(
                    "TypeError: Window.fetch: Invalid request method {}.",
                    lossy(&request.method)
                ),
                (E::InvalidMethod, false) => {
                    "SyntaxError: An invalid or illegal string was specified".to_string()
                }
                (E::ForbiddenMethod, false) => "SecurityError: The operation is insecure.".to_string(),
                (E::InvalidHeaderName, true) => format!(
                    "TypeError: Window.fetch: {} is an invalid header name.",
                    lossy(&self.hint.to_ascii_lowercase())
                ),
                (E::InvalidHeaderValue, true) => format!(
                    "TypeError: Window.fetch: {} is an invalid header value.",
                    lossy(&self.hint)
                ),
                // Measured: XHR reports a bad value as a bad name too.
                (E::InvalidHeaderName | E::InvalidHeaderValue, false) => {
                    "SyntaxError: Invalid header name.".to_string()
                }
                (E::UrlWithCredentials, _) => format!(
                    "TypeError: Window.fetch: {} is an url with embedded credentials.",
                    request.url
                ),
                _ => self.exception(request.initiator),
            },
            Engine::Webkit => match (self.error, fetch) {
                (E::NonLatin1Header | E::NonLatin1Method, _) => "TypeError: Type error".to_string(),
                (E::InvalidMethod, true) => "TypeError: Method is not a valid HTTP token.".to_string(),
                (E::ForbiddenMethod, true) => "TypeError: Method is forbidden.".to_string(),
                (E::ForbiddenMethod, false) => "SecurityError: The operation is insecure.".to_string(),
                (E::InvalidHeaderName, true) => {
                    format!("TypeError: Invalid header name: '{}'", self.hint)
                }
                (E::InvalidHeaderValue, true) => format!(
                    "TypeError: Header '{}' has invalid value: '{}'",
                    at_fault.map(|(n, _, _)| n).unwrap_or_default(),
                    self.hint
                ),
                (E::InvalidMethod | E::InvalidHeaderName | E::InvalidHeaderValue, false) => {
                    "SyntaxError: The string did not match the expected pattern.".to_string()
                }
                (E::UrlWithCredentials, _) => {
                    "TypeError: URL is not valid or contains user credentials.".to_string()
                }
                _ => self.exception(request.initiator),
            },
        }
    }
}

/// The failure a WebKit console message reports (the inverse of its messages above), for a
/// capture that records the message but not the answer that caused it (Safari's Web
/// Inspector lists no preflights). `preflight`: the request got no answer of its own, so an
/// `Access-Control-Allow-Origin` failure was the preflight's.
#[must_use]
pub fn read_webkit_message(text: &str, preflight: bool) -> Option<Blocked> {
    use CorsError as E;
    if let Some(rest) = text.strip_prefix(WEBKIT_REDIRECT.0) {
        let (to, reason) = rest.split_once(WEBKIT_REDIRECT.1)?;
        return read_webkit_message(reason, false).map(|b| Blocked {
            redirect_to: Some(to.to_string()),
            ..b
        });
    }
    let status = |n: &str| n.trim().parse::<u16>().ok();
    let pick = |actual: CorsError| {
        if preflight {
            actual.on_preflight()
        } else {
            actual
        }
    };
    if let Some(rest) = text.strip_prefix(WEBKIT_ORIGIN.0) {
        let (origin, code) = rest.split_once(WEBKIT_ORIGIN.1)?;
        return Some(Blocked {
            status: status(code)?,
            origin: origin.to_string(),
            ..Blocked::new(pick(E::AllowOriginMismatch), "")
        });
    }
    if let Some(code) = text.strip_prefix(WEBKIT_STATUS) {
        let code = status(code)?;
        let error = if (300..400).contains(&code) {
            E::PreflightDisallowedRedirect
        } else {
            E::PreflightInvalidStatus
        };
        return Some(Blocked {
            status: code,
            ..Blocked::new(error, "")
        });
    }
    let fixed = [
        (WEBKIT_MULTIPLE, E::MultipleAllowOriginValues),
        (WEBKIT_WILDCARD, E::WildcardOriginNotAllowed),
        (WEBKIT_CREDENTIALS, E::InvalidAllowCredentials),
    ];
    if let Some((_, error)) = fixed.iter().find(|(message, _)| *message == text) {
        return Some(Blocked::new(pick(*error), ""));
    }
    WEBKIT_HINTED.iter().find_map(|(error, before, after)| {
        let hint = text.strip_prefix(before)?.strip_suffix(after)?;
        Some(Blocked::new(*error, hint))
    })
}

/// A URL without its user name and password (WebKit names a redirect's target so).
fn without_userinfo(url: &str) -> String {
    match crate::address::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
