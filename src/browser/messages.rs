//! Chromium's CORS errors and their console messages, word for word, and the exceptions a
//! script's call throws.

use serde::Serialize;

use super::Initiator;

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

/// A blocked request: Chromium's error and its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The error.
    pub error: CorsError,
    /// `CorsErrorStatus.failed_parameter`: the value or name the message quotes.
    pub hint: String,
}

impl Blocked {
    pub(super) fn new(error: CorsError, hint: impl Into<String>) -> Self {
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
