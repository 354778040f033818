//! The proxy's log: one entry per request, for people (a line, then Chromium's message and
//! the fix when the browser blocks it) or for tools (one JSON document per line).

use super::{Entry, Event, Judged, PolicyChange, Source};
use crate::report::printable_line;

/// `entry` for people: a request as `TIME METHOD URL → STATUS (who answered) from ORIGIN:
/// verdict`, then Chromium's message and the fixes, indented; a policy change as `TIME FILE
/// changed: …` with its diagnostics.
#[must_use]
pub fn human(entry: &Entry) -> String {
    match entry {
        Entry::Request(event) => request(event),
        Entry::Policy(change) => policy(change),
    }
}

fn policy(change: &PolicyChange) -> String {
    let what = if change.valid {
        "read again; it answers from now on"
    } else {
        "changed, and is not valid: the previous policy goes on answering"
    };
    let mut text = format!(
        "{} {} {what} ({})\n",
        clock(&change.time),
        change.file,
        change.summary
    );
    for line in change.diagnostics.lines() {
        text.push_str(&format!("    {line}\n"));
    }
    printable(&text)
}

fn request(event: &Event) -> String {
    if event.source == Source::BadRequest {
        return format!(
            "{} 400 bad request: {}\n",
            clock(&event.time),
            printable_line(event.problem.as_deref().unwrap_or_default())
        );
    }
    let asked = match &event.preflight_method {
        Some(method) if event.preflight_headers.is_empty() => format!(" (preflight for {method})"),
        Some(method) => format!(
            " (preflight for {method} with {})",
            event.preflight_headers.join(", ")
        ),
        None => String::new(),
    };
    let by = match (&event.source, &event.gateway_response) {
        (Source::Preflight, _) => " answered by corsgen".to_string(),
        (_, Some(g)) => format!(
            " with the {} gateway response's headers ({})",
            g.response_type,
            g.applies.map_or_else(
                || "not configured: none".to_string(),
                |a| format!("{a} configured")
            )
        ),
        _ => String::new(),
    };
    let from = event
        .origin
        .as_deref()
        .map(|o| format!(" from {o}"))
        .unwrap_or_default();
    let verdict = match event.verdict {
        Judged::Allowed => "allowed",
        Judged::Blocked => "BLOCKED",
        Judged::SameOrigin => "same-origin",
        Judged::NoOrigin => "no Origin",
    };
    let mut text = format!(
        "{} {} {}{asked} → {}{by}{from}: {verdict}\n",
        clock(&event.time),
        event.method,
        event.url,
        event.status
    );
    if let Some(problem) = &event.problem {
        text.push_str(&format!("    upstream: {problem}\n"));
    }
    if let Some(message) = &event.message {
        text.push_str(&format!("    {message}\n"));
        text.push_str(&format!("    rule: {}\n", event.rule));
    }
    if let Some(other) = &event.message_with_credentials {
        let wording = if event.message.is_some() {
            "with credentials: 'include' instead"
        } else {
            "but with credentials: 'include'"
        };
        text.push_str(&format!("    {wording}: {other}\n"));
    }
    for fix in &event.fixes {
        text.push_str(&format!("    fix: {fix}\n"));
    }
    printable(&text)
}

/// `entry` as one JSON document on one line, with `schema_version` and `event` (`request`,
/// `policy`).
#[must_use]
pub fn json(entry: &Entry) -> String {
    let (value, kind) = match entry {
        Entry::Request(event) => (serde_json::to_value(event), "request"),
        Entry::Policy(change) => (serde_json::to_value(change), "policy"),
    };
    let mut value = value.unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("schema_version".into(), 1.into());
        object.insert("event".into(), kind.into());
    }
    format!("{value}\n")
}

/// `HH:MM:SS` of an RFC 3339 time.
fn clock(time: &str) -> &str {
    time.get(11..19).unwrap_or(time)
}

/// Each line made printable: a header value never reaches the terminal as a control sequence.
fn printable(text: &str) -> String {
    text.lines()
        .map(|line| format!("{}\n", printable_line(line)))
        .collect()
}
