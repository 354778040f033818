//! PROBE: the real preflight and actual request against a live endpoint, judged by the browser
//! model; with a policy, where the live answers differ from what the policy requires.
//!
//! Input: a [`FetchRequest`] (its URL is the endpoint) and a timeout. Output: an [`Exchange`]
//! built from what the server really answered, by the same driver `check` runs on the engine
//! ([`crate::check::exchange`]: redirects followed the way the browser follows them, and
//! refused where it refuses them); [`crate::check::differences`] compares it with the policy.
//! Guarantee: the requests are the ones a browser sends (any token method, as normalized;
//! `Origin`, the preflight's `Access-Control-Request-*`, the script's headers as ISO-8859-1
//! bytes, framing without chunks); a request the script's call refuses is never sent; network
//! failures (refused, DNS, timed out, TLS, not HTTP) are errors naming the request and the
//! cause, never a verdict.

use std::time::Duration;

use anyhow::Context as _;

use crate::browser::{Engine, FetchRequest, Response};
use crate::check::{Exchange, Leg};
use crate::Failure;

/// Sends `request` for real as each of `engines` makes it and judges the answers in that
/// engine, in order. A request two engines send alike (method, URL and headers) is sent once:
/// the kth time an engine sends it, an earlier engine's kth answer to it stands.
/// A request the browser never sends (the script's call throws: a forbidden or malformed
/// method, an invalid header) is not sent either: its verdict is the script's exception.
///
/// # Errors
/// A usage failure for a header value browsers send and the HTTP client cannot (a control
/// character other than tab; in `Authorization`, a character outside ASCII); an I/O failure
/// naming the request and its cause for a network failure (connection refused, DNS, time-out,
/// TLS, an answer that is not HTTP).
pub fn probe(
    request: &FetchRequest,
    engines: &[Engine],
    timeout: Duration,
) -> Result<Vec<Exchange>, Failure> {
    if !request.throws() {
        if let Some((name, _)) = request
            .sent_headers()
            .into_iter()
            .find(|(name, value)| wire_value(name, value).is_none())
        {
            return Err(Failure::usage(format!(
                "--header `{name}`: browsers send this value, but probe's HTTP client cannot (a control character other than tab, or in Authorization a character outside ASCII); `corsgen check` models the request"
            )));
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        // Browsers send any token method that is not forbidden: PURGE, PROPFIND, `patch`.
        .allow_non_standard_methods(true)
        .user_agent("corsgen-probe")
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into();
    // Each answer with the request it answered and how many times the engine had sent that
    // request before.
    let mut answered: Vec<(Leg, usize, Response)> = Vec::new();
    let same = |a: &Leg, b: &Leg| {
        a.method == b.method && a.url == b.url && a.request_headers == b.request_headers
    };
    engines
        .iter()
        .map(|&engine| {
            let request = FetchRequest {
                engine,
                ..request.clone()
            };
            let mut sent: Vec<Leg> = Vec::new();
            crate::check::exchange(request, |leg| {
                let before = sent.iter().filter(|s| same(s, leg)).count();
                sent.push(leg.clone());
                if let Some((_, _, response)) = answered
                    .iter()
                    .find(|(l, k, _)| *k == before && same(l, leg))
                {
                    return Ok(response.clone());
                }
                let response = send(&agent, leg, timeout)?;
                answered.push((leg.clone(), before, response.clone()));
                Ok(response)
            })
            .map_err(Failure::io)
        })
        .collect()
}

fn send(agent: &ureq::Agent, leg: &Leg, timeout: Duration) -> anyhow::Result<Response> {
    let (method, url) = (&leg.method, &leg.url);
    // The fragment stays in the browser; the request line never carries it.
    let wire_url = url.split('#').next().unwrap_or(url);
    let mut builder = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(wire_url);
    for (name, value) in &leg.request_headers {
        // `probe` refused the values this cannot send before the first request.
        let value = wire_value(name, value)
            .with_context(|| format!("{method} {url}: header {name} cannot be sent"))?;
        builder = builder.header(name.as_str(), value);
    }
    // No body, framed as Chromium frames it: a length of 0 for POST and PUT, otherwise nothing
    // (never chunked).
    if crate::browser::sends_empty_content_length(method) {
        builder = builder.header("content-length", "0");
    }
    let http_request = builder
        .body(())
        .with_context(|| format!("{method} {url}: cannot build the request"))?;
    let response = agent
        .run(http_request)
        .map_err(|error| anyhow::anyhow!("{method} {url}: {}", cause(&error, url, timeout)))?;
    let mut headers = Vec::new();
    for (name, value) in response.headers() {
        headers.push((
            canonical_name(name.as_str()),
            // Header bytes as the browser reads them: one character each (ISO-8859-1).
            value.as_bytes().iter().copied().map(char::from).collect(),
        ));
    }
    Ok(Response {
        status: response.status().as_u16(),
        headers,
    })
}

/// A header value as the browser puts it on the wire, each character one byte (ISO-8859-1);
/// `None` for what the HTTP client cannot send: a control character other than tab, DEL, and
/// in `Authorization` anything but visible ASCII.
fn wire_value(name: &str, value: &str) -> Option<ureq::http::HeaderValue> {
    let value = crate::browser::latin1_bytes(value)
        .and_then(|bytes| ureq::http::HeaderValue::from_bytes(&bytes).ok())?;
    (!name.eq_ignore_ascii_case("authorization") || value.to_str().is_ok()).then_some(value)
}

/// Why a request got no answer, in words: the time-out, DNS, the connection, TLS, or an
/// answer that is not HTTP/1.1.
pub(crate) fn cause(error: &ureq::Error, url: &str, timeout: Duration) -> String {
    match error {
        ureq::Error::Timeout(_) => {
            format!("no answer within {} s (--timeout)", timeout.as_secs_f64())
        }
        ureq::Error::HostNotFound => "host not found (DNS)".to_string(),
        ureq::Error::Io(io) => {
            use std::io::ErrorKind as K;
            // The resolver's failure reaches here as an I/O error with std's wording.
            if io
                .to_string()
                .starts_with("failed to lookup address information")
            {
                format!("host not found (DNS): {io}")
            } else if io.kind() == K::InvalidData && url.starts_with("https:") {
                format!("TLS failed: {io}")
            } else if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::AddrNotAvailable
                    | K::NetworkUnreachable
                    | K::HostUnreachable
            ) {
                format!("cannot connect: {io}")
            } else {
                format!("network error: {io}")
            }
        }
        ureq::Error::ConnectionFailed => format!("cannot connect: {error}"),
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) | ureq::Error::TlsRequired => {
            format!("TLS failed: {error}")
        }
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
            format!("HTTP/1.1 protocol error: {error}")
        }
        other => format!("the request failed: {other}"),
    }
}

/// `access-control-allow-origin` → `Access-Control-Allow-Origin`, for display (HTTP/2 and the
/// client lowercase names; the browser compares them case-insensitively).
fn canonical_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::canonical_name;

    #[test]
    fn names() {
        assert_eq!(
            canonical_name("access-control-allow-origin"),
            "Access-Control-Allow-Origin"
        );
    }
}
