//! The exchange for people and for tools.

use super::{Difference, Exchange, Leg};
use crate::browser::Credentials;

/// The exchanges of one request in each engine judged (at least one; the first is shown in
/// full) for people: each request and response, the verdict in each engine, every console
/// line of an engine that blocks (or warns), and the fixes.
#[must_use]
pub fn human(exchanges: &[Exchange], answered_by: &str) -> String {
    let mut out = String::new();
    let exchange = &exchanges[0];
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
    push_legs(&mut out, exchange);
    // Engines that send other requests (another preflight decision, other header bytes,
    // another redirect) show them too, those that send the same ones together.
    let sent = |e: &Exchange| {
        e.preflight
            .iter()
            .chain(&e.actual)
            .map(|l| (l.method.clone(), l.url.clone(), l.request_headers.clone()))
            .collect::<Vec<_>>()
    };
    let mut groups: Vec<Vec<&Exchange>> = Vec::new();
    for other in exchanges[1..].iter().filter(|e| sent(e) != sent(exchange)) {
        match groups.iter_mut().find(|g| sent(g[0]) == sent(other)) {
            Some(group) => group.push(other),
            None => groups.push(vec![other]),
        }
    }
    for group in groups {
        let first = group[0];
        let names =
            crate::report::and_list(group.iter().map(|e| e.request.engine.name().to_string()));
        let why = if first.preflight_reasons == exchange.preflight_reasons {
            String::new()
        } else if first.preflight_reasons.is_empty() {
            " (no preflight)".to_string()
        } else {
            format!(
                " (a preflight, because {})",
                first.preflight_reasons.join("; ")
            )
        };
        out.push_str(&format!(
            "\n{names} {} other requests than {}{why}:\n",
            if group.len() == 1 { "sends" } else { "send" },
            r.engine
        ));
        push_legs(&mut out, first);
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
    let (blocked, allowed): (Vec<&Exchange>, Vec<&Exchange>) =
        exchanges.iter().partition(|e| !e.verdict.allowed());
    let names = |list: &[&Exchange]| {
        crate::report::and_list(list.iter().map(|e| e.request.engine.name().to_string()))
    };
    if allowed.is_empty() {
        out.push_str("verdict: blocked\n");
    } else if blocked.is_empty() {
        out.push_str("verdict: allowed\n");
    } else {
        out.push_str(&format!(
            "verdict: blocked in {}; allowed in {}\n",
            names(&blocked),
            names(&allowed)
        ));
    }
    for e in exchanges {
        // Chromium's one line is its message; the other engines print several.
        for line in &e.console {
            out.push_str(&format!("{}: {line}\n", e.request.engine));
        }
    }
    if let Some(first) = allowed.first() {
        if !first.verdict.readable_headers.is_empty() {
            out.push_str(&format!(
                "readable response headers: {}\n",
                first.verdict.readable_headers.join(", ")
            ));
        }
    }
    for e in &allowed {
        if let Some(seconds) = e.verdict.preflight_cache_seconds {
            out.push_str(&format!(
                "{} caches this preflight for {seconds} s\n",
                e.request.engine
            ));
        }
    }
    let notes = distinct(exchanges.iter().flat_map(|e| &e.verdict.notes));
    for note in notes {
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
    let fixes = distinct(exchanges.iter().flat_map(|e| &e.fixes));
    for fix in fixes {
        out.push_str(&format!("fix: {fix}\n"));
    }
    // URLs, origins and live headers never reach the terminal as controls.
    crate::report::printable(&out).into_owned()
}

/// The items in order, each once (what several engines share is said once).
fn distinct<'a, T: PartialEq>(items: impl Iterator<Item = &'a T>) -> Vec<&'a T> {
    let mut out: Vec<&T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The preflight and every request after it.
fn push_legs(out: &mut String, exchange: &Exchange) {
    if let Some(leg) = &exchange.preflight {
        push_leg(out, leg);
    }
    if exchange.actual.is_empty() && !exchange.request.throws() {
        out.push_str("\nactual request: not sent\n");
    }
    for (i, leg) in exchange.actual.iter().enumerate() {
        out.push_str(if i == 0 {
            "\nactual request:\n"
        } else {
            "\nafter the redirect:\n"
        });
        push_leg(out, leg);
    }
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

/// The exchanges as one JSON document: the first engine's exchange at the top level (Chromium's
/// unless `--browser` left it out; `browser` names it), and each engine's verdict, console
/// lines and requests under `engines`.
#[must_use]
pub fn json(exchanges: &[Exchange], differences: &[Difference]) -> String {
    let exchange = &exchanges[0];
    let engines: serde_json::Map<String, serde_json::Value> = exchanges
        .iter()
        .map(|e| {
            (
                e.request.engine.key().to_string(),
                serde_json::json!({
                    "verdict": if e.verdict.allowed() { "allowed" } else { "blocked" },
                    "message": e.message,
                    "console": e.console,
                    "blocked": e.verdict.blocked.as_ref().map(|b| serde_json::json!({
                        "error": b.error,
                        "hint": b.hint,
                        "preflight": b.error.is_preflight(),
                    })),
                    "preflight_reasons": e.preflight_reasons,
                    "requests": e.preflight.iter().chain(&e.actual).map(|l| serde_json::json!({
                        "method": l.method,
                        "url": l.url,
                        "request_headers": l.request_headers,
                        "status": l.response.status,
                    })).collect::<Vec<_>>(),
                    "notes": e.verdict.notes.iter().map(|n| serde_json::json!({"note": n, "text": n.to_string()})).collect::<Vec<_>>(),
                    "readable_headers": e.verdict.readable_headers,
                    "preflight_cache_seconds": e.verdict.preflight_cache_seconds,
                    "fixes": e.fixes,
                }),
            )
        })
        .collect();
    let fixes = distinct(exchanges.iter().flat_map(|e| &e.fixes));
    let blocked_in: Vec<&str> = exchanges
        .iter()
        .filter(|e| !e.verdict.allowed())
        .map(|e| e.request.engine.key())
        .collect();
    crate::report::document(&serde_json::json!({
        "browser": exchange.request.engine.key(),
        "blocked_in": blocked_in,
        "engines": engines,
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
        "fixes": fixes,
        "differences": differences,
        "gateway_responses": exchange.gateway_responses,
        "targets_differ": exchange.targets_differ,
    }))
}
