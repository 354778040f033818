//! The upstream side of the proxy: each request that is not a preflight, sent on with its
//! method, target, headers and streamed body; `Host` becomes the upstream's.

use std::io::Read;
use std::time::Duration;

use ureq::config::AutoHeaderValue;
use ureq::http;

use super::wire::{Framing, Head};

/// Headers that belong to one connection (RFC 9110 §7.6.1) and are never passed on, either way.
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Request headers the proxy sets itself (or answers, `Expect`), never passed on as sent.
const SET_HERE: [&str; 5] = [
    "host",
    "content-length",
    "expect",
    "x-forwarded-host",
    "x-forwarded-proto",
];

/// Whether header `name` (lowercase) of a message whose `Connection` header is `connection`
/// belongs to that one connection: a hop-by-hop header, or one `Connection` lists.
pub(crate) fn hop_by_hop(name: &str, connection: &str) -> bool {
    HOP_BY_HOP.contains(&name)
        || connection
            .split(',')
            .any(|token| token.trim().eq_ignore_ascii_case(name))
}

/// The HTTP client the proxy forwards with: no redirects followed (the browser follows them),
/// every status an answer, any token method, no header of its own, the system's trust store.
/// `timeout` bounds connecting and the wait for the response head, never a streamed body.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into()
}

/// Why the upstream gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failed {
    /// No response head within the time-out: API Gateway's INTEGRATION_TIMEOUT (504).
    Timeout(String),
    /// Refused, unreachable, not HTTP, a TLS failure: API Gateway's INTEGRATION_FAILURE,
    /// answered 502.
    Unreachable(String),
}

impl Failed {
    /// The cause, in words.
    pub(crate) fn cause(&self) -> &str {
        match self {
            Failed::Timeout(why) | Failed::Unreachable(why) => why,
        }
    }
}

/// The upstream URL of `target`: the upstream's base URL (without a trailing slash) then the
/// target's path and query, with every byte a URI may not hold raw (`"`, `<`, `\`, a space…)
/// percent-encoded, as a browser would have sent it.
pub(crate) fn url(base: &url::Url, target: &str) -> String {
    let mut encoded = String::with_capacity(target.len());
    for byte in target.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{}{encoded}", base.as_str().trim_end_matches('/'))
}

/// Sends `head` with `body` to `base`, adding the `X-Forwarded-*` headers of `client` and the
/// browser's `Host`.
pub(crate) fn forward(
    agent: &ureq::Agent,
    base: &url::Url,
    head: &Head,
    framing: Framing,
    body: &mut dyn Read,
    client: Option<std::net::IpAddr>,
    timeout: Duration,
) -> Result<http::Response<ureq::Body>, Failed> {
    let url = url(base, &head.target);
    let connection = head.header("connection").unwrap_or_default();
    let mut builder = http::Request::builder()
        .method(head.method.as_str())
        .uri(url.as_str());
    let mut forwarded_for = None;
    for (name, value) in &head.headers {
        let lower = name.to_ascii_lowercase();
        if hop_by_hop(&lower, &connection) || SET_HERE.contains(&lower.as_str()) {
            continue;
        }
        if lower == "x-forwarded-for" {
            forwarded_for = Some(String::from_utf8_lossy(value).into_owned());
            continue;
        }
        builder = builder.header(name.as_str(), value.as_slice());
    }
    if let Some(ip) = client {
        let chain = match forwarded_for {
            Some(before) => format!("{before}, {ip}"),
            None => ip.to_string(),
        };
        builder = builder.header("X-Forwarded-For", chain);
    }
    if let Some(host) = head.header("host") {
        builder = builder.header("X-Forwarded-Host", host.into_bytes());
    }
    builder = builder.header("X-Forwarded-Proto", "http");
    let length = match framing {
        Framing::Length(n) => Some(n),
        Framing::None if head.header("content-length").is_some() => Some(0),
        Framing::None | Framing::Chunked => None,
    };
    if let Some(n) = length {
        builder = builder.header("Content-Length", n);
    }
    let sent = match framing {
        Framing::None => builder.body(()).map(|r| agent.run(r)),
        Framing::Length(_) | Framing::Chunked => builder
            .body(ureq::SendBody::from_reader(body))
            .map(|r| agent.run(r)),
    };
    let sent =
        sent.map_err(|e| Failed::Unreachable(format!("the request cannot be sent on: {e}")))?;
    sent.map_err(|error| {
        let why = format!("{url}: {}", crate::probe::cause(&error, &url, timeout));
        match error {
            ureq::Error::Timeout(_) => Failed::Timeout(why),
            _ => Failed::Unreachable(why),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{hop_by_hop, url};

    #[test]
    fn targets_go_on_as_a_browser_would_send_them() {
        let base = url::Url::parse("http://127.0.0.1:3000/dev/").unwrap();
        assert_eq!(
            url(&base, "/a%20b?x=1&y=é"),
            "http://127.0.0.1:3000/dev/a%20b?x=1&y=%C3%A9"
        );
        assert_eq!(
            url(&base, "/\"<>`{}\\ |"),
            "http://127.0.0.1:3000/dev/%22%3C%3E%60%7B%7D%5C%20%7C"
        );
    }

    #[test]
    fn connection_headers_stay_on_their_connection() {
        assert!(hop_by_hop("keep-alive", ""));
        assert!(hop_by_hop("x-secret", "close, X-Secret"));
        assert!(!hop_by_hop("x-request-id", "close"));
    }
}
