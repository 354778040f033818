//! The request side: what the script's call throws, the headers and method the browser sends,
//! whether and why it preflights, and how a redirect changes the request.

use super::response::blocked_verdict;
use super::{
    Blocked, CorsError, Credentials, Engine, FetchRequest, Initiator, Note, PreflightReason,
    Verdict,
};
use crate::fetch::{
    is_forbidden_method, is_forbidden_request_header, is_safelisted_method,
    is_safelisted_request_header_name, is_token, normalize_method,
};

/// True when Chromium frames a request without a body with `Content-Length: 0`: POST and PUT
/// (net's `HttpNetworkTransaction`); every other method goes with neither a length nor chunks.
#[must_use]
pub fn sends_empty_content_length(wire_method: &str) -> bool {
    matches!(wire_method, "POST" | "PUT")
}

/// A header value as `Headers` stores it: leading and trailing HTTP whitespace removed.
#[must_use]
pub(super) fn normalize_header_value(value: &str) -> &str {
    value.trim_matches([' ', '\t', '\r', '\n'])
}

/// True when every character fits a WebIDL `ByteString` (U+0000..=U+00FF): the browser sends
/// each as one byte (ISO-8859-1).
#[must_use]
pub(super) fn is_latin1(text: &str) -> bool {
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

/// Text whose characters are bytes (ISO-8859-1) read as UTF-8, an invalid sequence becoming
/// U+FFFD: how Firefox prints header values and `ByteString`s, and WebKitGTK reads `Location`.
#[must_use]
pub(super) fn utf8_lossy(text: &str) -> String {
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
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
/// `Intervention` and the legacy client hints), with their value checks. Firefox and WebKit
/// preflight them (measured).
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

/// An address space, most private first (Chromium's Local Network Access).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AddressSpace {
    Loopback,
    Private,
    Public,
}

impl AddressSpace {
    fn name(self) -> &'static str {
        match self {
            AddressSpace::Loopback => "loopback",
            AddressSpace::Private => "private",
            AddressSpace::Public => "public",
        }
    }
}

/// The address space of a URL's host: loopback (`localhost`, 127.0.0.0/8, `::1`), private
/// (RFC 1918, link-local, unique-local IPv6, `.local`), else public.
fn address_space(host: &url::Host<String>) -> AddressSpace {
    use std::net::IpAddr;
    let ip = match host {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            return if name == "localhost" || name.ends_with(".localhost") {
                AddressSpace::Loopback
            } else if name.ends_with(".local") {
                AddressSpace::Private
            } else {
                AddressSpace::Public
            };
        }
        url::Host::Ipv4(v4) => IpAddr::V4(*v4),
        url::Host::Ipv6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(*v6), IpAddr::V4),
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => AddressSpace::Loopback,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => AddressSpace::Private,
        IpAddr::V6(v6) if v6.is_loopback() => AddressSpace::Loopback,
        IpAddr::V6(v6) if v6.is_unique_local() || v6.is_unicast_link_local() => {
            AddressSpace::Private
        }
        _ => AddressSpace::Public,
    }
}

/// `1*DIGIT [ "." 1*DIGIT ]`.
fn is_decimal(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match value.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(value),
    }
}

/// Why `(name, value)` (a normalized value) is not a CORS-safelisted request header in
/// `engine`, or `None` when it is.
fn unsafe_because(engine: Engine, name: &str, value: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let known = is_safelisted_request_header_name(&lower)
        || (engine == Engine::Chromium && CHROMIUM_ONLY_SAFELISTED.contains(&lower.as_str()));
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
        let header = self.header_at_fault().map(|(name, value, error)| {
            let hint = match error {
                CorsError::InvalidHeaderValue => normalize_header_value(value),
                _ => name,
            };
            Blocked::new(error, hint)
        });
        match self.initiator {
            Initiator::Fetch => {
                if let Some(blocked) = header
                    .as_ref()
                    .filter(|b| b.error == CorsError::NonLatin1Header)
                {
                    return Some(blocked.clone());
                }
                if !is_latin1(&self.method) {
                    return method();
                }
                let credentials = crate::address::parse(&self.url)
                    .is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
                if credentials {
                    return Some(Blocked::new(CorsError::UrlWithCredentials, &self.url));
                }
                method().or(header)
            }
            Initiator::XmlHttpRequest => method().or(header),
        }
    }

    /// The header the script's call refuses and why: for `fetch()` the first one outside
    /// ISO-8859-1, else the first with a bad name or value; for XHR the first failing any of
    /// those.
    #[must_use]
    pub(super) fn header_at_fault(&self) -> Option<(&str, &str, CorsError)> {
        let error = |(name, value): &(String, String)| {
            if !is_latin1(name) || !is_latin1(value) {
                Some(CorsError::NonLatin1Header)
            } else if !is_token(name) {
                Some(CorsError::InvalidHeaderName)
            } else if normalize_header_value(value).contains(['\0', '\r', '\n']) {
                Some(CorsError::InvalidHeaderValue)
            } else {
                None
            }
        };
        let faults = self
            .headers
            .iter()
            .filter_map(|h| error(h).map(|e| (h.0.as_str(), h.1.as_str(), e)));
        match self.initiator {
            Initiator::Fetch => {
                let faults: Vec<_> = faults.collect();
                faults
                    .iter()
                    .find(|(_, _, e)| *e == CorsError::NonLatin1Header)
                    .or(faults.first())
                    .copied()
            }
            Initiator::XmlHttpRequest => faults.into_iter().next(),
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
    /// spelling (as the header map combines them; but Firefox's `fetch()` keeps only the last
    /// Content-Type, measured), and `Accept: */*` unless the script set Accept (added before
    /// the CORS checks, so it counts toward the 1,024 bytes).
    #[must_use]
    pub fn sent_headers(&self) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = Vec::new();
        let last_wins = |name: &str| {
            self.engine == Engine::Firefox
                && self.initiator == Initiator::Fetch
                && name.eq_ignore_ascii_case("content-type")
        };
        for (name, value) in &self.headers {
            let value = normalize_header_value(value);
            if is_forbidden_request_header(name, value) {
                continue;
            }
            match sent.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some((_, kept)) if last_wins(name) => *kept = value.to_string(),
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

    /// Notes about the request itself: forbidden headers the browser drops, and (in Chromium)
    /// headers only Chromium sends without a preflight.
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
        if self.engine != Engine::Chromium {
            return notes;
        }
        // Chromium alone: a fetch into a more private address space, and the headers it
        // safelists beyond the standard.
        let space = |url: &str| {
            crate::address::parse(url)
                .ok()
                .and_then(|u| u.host().map(|h| address_space(&h.to_owned())))
        };
        if let (Some(from), Some(to)) = (space(&self.origin), space(&self.url)) {
            if to < from {
                notes.push(Note::LocalNetworkAccess {
                    from: from.name(),
                    to: to.name(),
                });
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
            match unsafe_because(self.engine, name, value) {
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
    /// same-origin GET or HEAD, which carries none. Each value holds one character per byte
    /// on the wire: Chromium and Firefox send a character up to U+00FF as one byte, WebKitGTK
    /// sends the value's UTF-8 (measured: `caf\u{e9}` goes out as `caf\xC3\xA9`).
    #[must_use]
    pub fn actual_headers(&self, url: &str) -> Vec<(String, String)> {
        let mut headers = self.sent_headers();
        if self.engine == Engine::Webkit {
            for (_, value) in &mut headers {
                *value = value.bytes().map(char::from).collect();
            }
        }
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
        if !self.changes_to_get(status) {
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

    /// True when a redirect with `status` makes this request a GET.
    fn changes_to_get(&self, status: u16) -> bool {
        let method = self.wire_method();
        (matches!(status, 301 | 302) && method == "POST")
            || (status == 303 && !matches!(method.as_str(), "GET" | "HEAD"))
    }

    /// The request whose preflight goes before the one a redirect with `status` leads to:
    /// that request, but in WebKit a request changed to GET still names the body's headers
    /// it dropped in the preflight's `Access-Control-Request-Headers` (measured: a JSON POST
    /// redirected by a 302 is preflighted as a GET with `content-type`, then sent without it).
    #[must_use]
    pub fn redirected_preflight(&self, status: u16) -> FetchRequest {
        if self.engine == Engine::Webkit && self.changes_to_get(status) {
            FetchRequest {
                method: "GET".to_string(),
                ..self.clone()
            }
        } else {
            self.redirected(status)
        }
    }

    pub(super) fn include(&self) -> bool {
        self.credentials == Credentials::Include
    }
}
