//! The exchange for people and for tools.

use super::{Difference, Exchange, Leg};
use crate::browser::Credentials;

/// The exchange for people: each request and response, the verdict, the message and the fixes.
#[must_use]
pub fn human(exchange: &Exchange, answered_by: &str) -> String {
    let mut out = String::new();
    let r = &exchange.request;
    let credentials = match r.credentials {
        Credentials::Include => "include",
        Credentials::Omit => "omit",
    };
    out.push_str(&format!(
        "{} {} from {} (credentials: {credentials})\n",
        r.wire_method(),
        r.url,
        r.origin
    ));
    out.push_str(&format!("answered by: {answered_by}\n\n"));
    if r.throws() {
        out.push_str("nothing is sent: the script's call throws before any request is made\n");
    } else if !r.is_cross_origin(&r.url) && exchange.preflight.is_none() {
        out.push_str("preflight: none (a same-origin request: the browser runs no CORS check)\n");
    } else if exchange.preflight_reasons.is_empty() {
        out.push_str("preflight: none (a simple request)\n");
    } else {
        out.push_str("preflight: sent, because\n");
        for reason in &exchange.preflight_reasons {
            out.push_str(&format!("  - {reason}\n"));
        }
    }
    if let Some(leg) = &exchange.preflight {
        push_leg(&mut out, leg);
    }
    if exchange.actual.is_empty() && !r.throws() {
        out.push_str("\nactual request: not sent\n");
    }
    for (i, leg) in exchange.actual.iter().enumerate() {
        out.push_str(if i == 0 {
            "\nactual request:\n"
        } else {
            "\nafter the redirect:\n"
        });
        push_leg(&mut out, leg);
    }
    if !exchange.gateway_responses.is_empty() {
        out.push_str("\nAPI Gateway's own errors (gateway responses):\n");
        for case in &exchange.gateway_responses {
            let carried = case.applies.map_or_else(
                || "carries no CORS headers (none of them is in gateway-responses)".to_string(),
                |t| format!("carries {t}'s CORS headers"),
            );
            out.push_str(&format!(
                "  - {} ({}): API Gateway uses {}; {carried}; {}\n",
                case.response_type,
                case.status,
                case.chain.join(", else "),
                if !case.reached {
                    "not reached: the preflight is blocked first"
                } else if case.allowed {
                    "the page can read it"
                } else {
                    "the page sees a CORS error"
                }
            ));
        }
    }
    out.push('\n');
    match &exchange.message {
        None => {
            out.push_str("verdict: allowed\n");
            if !exchange.verdict.readable_headers.is_empty() {
                out.push_str(&format!(
                    "readable response headers: {}\n",
                    exchange.verdict.readable_headers.join(", ")
                ));
            }
            if let Some(seconds) = exchange.verdict.preflight_cache_seconds {
                out.push_str(&format!("Chromium caches this preflight for {seconds} s\n"));
            }
        }
        Some(message) => {
            out.push_str("verdict: blocked\n");
            out.push_str(&format!("Chromium: {message}\n"));
        }
    }
    for note in &exchange.verdict.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for other in &exchange.targets_differ {
        match &other.message {
            Some(message) => out.push_str(&format!(
                "{} (--target {}) answers otherwise: blocked: {message}\n",
                other.what, other.target
            )),
            None => out.push_str(&format!(
                "{} (--target {}) answers otherwise: allowed\n",
                other.what, other.target
            )),
        }
    }
    for fix in &exchange.fixes {
        out.push_str(&format!("fix: {fix}\n"));
    }
    // URLs, origins and live headers never reach the terminal as controls.
    crate::report::printable(&out).into_owned()
}

fn push_leg(out: &mut String, leg: &Leg) {
    // One line per header, whatever a value holds.
    let line = crate::report::printable_line;
    out.push_str(&format!("  > {} {}\n", line(&leg.method), line(&leg.url)));
    for (name, value) in &leg.request_headers {
        out.push_str(&format!("  > {}: {}\n", line(name), line(value)));
    }
    out.push_str(&format!("  < {}\n", leg.response.status));
    for (name, value) in &leg.response.headers {
        out.push_str(&format!("  < {}: {}\n", line(name), line(value)));
    }
}

/// The exchange as one JSON document.
#[must_use]
pub fn json(exchange: &Exchange, differences: &[Difference]) -> String {
    crate::report::document(&serde_json::json!({
        "verdict": if exchange.verdict.allowed() { "allowed" } else { "blocked" },
        "request": exchange.request,
        "preflight_reasons": exchange.preflight_reasons,
        "preflight": exchange.preflight,
        "actual": exchange.actual,
        "blocked": exchange.verdict.blocked.as_ref().map(|b| serde_json::json!({
            "error": b.error,
            "hint": b.hint,
            "preflight": b.error.is_preflight(),
        })),
        "message": exchange.message,
        "notes": exchange.verdict.notes.iter().map(|n| serde_json::json!({"note": n, "text": n.to_string()})).collect::<Vec<_>>(),
        "readable_headers": exchange.verdict.readable_headers,
        "preflight_cache_seconds": exchange.verdict.preflight_cache_seconds,
        "fixes": exchange.fixes,
        "differences": differences,
        "gateway_responses": exchange.gateway_responses,
        "targets_differ": exchange.targets_differ,
    }))
}
