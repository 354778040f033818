//! BROWSER: what a browser engine does with one cross-origin `fetch()`, from the request the
//! script makes to the verdict and the exact console lines.
//!
//! Input: a [`FetchRequest`] (made in Chromium, Firefox or WebKit: [`Engine`]) and the
//! responses a server gave (the preflight's, the actual request's). Output: whether a
//! preflight is sent and why, the preflight request itself, and a [`Verdict`]: allowed, or
//! blocked with a [`CorsError`] (named after Chromium's) and the engine's console lines.
//! Guarantee: the rules are the Fetch standard's CORS-preflight fetch and CORS check in the
//! order each engine runs them (Chromium's network service `CheckAccess`, `CheckPreflightAccess`,
//! `PreflightResult`; Firefox's `nsCORSListenerProxy`; WebKit's `CrossOriginAccessControl`), with
//! each engine's wording; where engines and the standard part ways the verdict follows the
//! engine and a [`Note`] says so. Every rule here is checked against headless Chromium, Firefox
//! ESR and WebKitGTK by the integration tests.
//!
//! The model knows nothing about policies: `check` feeds it the engine's answers, `probe` a live
//! server's and `doctor` a HAR capture's.
//!
//! Here: the types. Apart: `engine` (the engines and their caps), `request` (what the script's
//! call throws, what the browser sends and whether it preflights), `response` (the checks on
//! the answers, the verdict), `messages` (each engine's errors and console lines); `tests`
//! checks each rule.

mod engine;
mod messages;
mod request;
mod response;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use engine::Engine;
pub use messages::{console_lines, read_webkit_message, Blocked, CorsError};
pub use request::{latin1_bytes, sends_empty_content_length};
pub use response::{
    check_access, check_preflight, check_redirect, evaluate, preflight_cache_seconds,
    readable_headers, same_origin_verdict, Verdict,
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
    /// The engine that makes the request (reports name it apart).
    #[serde(skip)]
    pub engine: Engine,
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
    /// one), ready for the URL parser. Header values are bytes (one character each, as
    /// ISO-8859-1). Chromium and Firefox percent-encode each byte above 0x7F on its own
    /// (`caf\xE9` becomes `caf%E9`, the UTF-8 `caf\xC3\xA9` becomes `caf%C3%A9`); WebKitGTK
    /// reads the bytes as UTF-8 (an invalid sequence becoming U+FFFD), then each byte of that
    /// UTF-8 as a character of its own, and percent-encodes that character's UTF-8 (`caf\xE9`
    /// becomes `caf%C3%AF%C2%BF%C2%BD`). All measured.
    #[must_use]
    pub fn redirect_location(&self, engine: Engine) -> Option<String> {
        let location = matches!(self.status, 301 | 302 | 303 | 307 | 308)
            .then(|| self.header("location"))
            .flatten()?;
        let percent = |c: char| {
            let mut buffer = [0u8; 4];
            c.encode_utf8(&mut buffer)
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        };
        Some(match engine {
            Engine::Chromium | Engine::Firefox => location
                .chars()
                .map(|c| match u8::try_from(u32::from(c)) {
                    Ok(byte) if byte > 0x7F => format!("%{byte:02X}"),
                    _ => c.to_string(),
                })
                .collect(),
            Engine::Webkit => request::utf8_lossy(&location)
                .bytes()
                .map(|b| {
                    if b > 0x7F {
                        percent(char::from(b))
                    } else {
                        char::from(b).to_string()
                    }
                })
                .collect(),
        })
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
    /// Chromium's Local Network Access (from Chromium's documentation; not measured, since a
    /// page on loopback cannot show it): a page on a more public address space fetches a
    /// private or loopback one, and Chromium asks the user first.
    LocalNetworkAccess {
        /// The page's address space (`public`, `private`).
        from: &'static str,
        /// The URL's (`private`, `loopback`).
        to: &'static str,
    },
}

impl Note {
    /// True for a note about the script's request itself (not about an answer): the same
    /// wherever the request goes.
    #[must_use]
    pub fn is_about_the_request(&self) -> bool {
        !matches!(self, Note::AuthorizationByWildcard { .. })
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::AuthorizationByWildcard { standard_message } => write!(
                f,
                "`Access-Control-Allow-Headers: *` covered Authorization: {} allow that without credentials (Firefox warns it will stop soon), but the Fetch standard does not, and an engine that follows it reports: {standard_message}",
                Engine::all_measured()
            ),
            Note::ForbiddenHeaderDropped { name } => write!(
                f,
                "scripts cannot set the forbidden header {name}; the browser drops it"
            ),
            Note::LocalNetworkAccess { from, to } => write!(
                f,
                "a page on a {from} address fetches a {to} one: Chromium (Local Network Access, from Chromium 142) asks the user first, and until the user allows it the request fails before any CORS check; Firefox and Safari do not ask"
            ),
            Note::SafelistedByChromiumOnly { names } => write!(
                f,
                "Chromium sends {} without a preflight, but the Fetch standard does not safelist {}: Firefox and Safari preflight this request, so list {} in allow-headers for them",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" },
                if names.len() == 1 { "it" } else { "them" }
            ),
        }
    }
}
