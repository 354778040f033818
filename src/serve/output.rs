//! The proxy's log: one entry per request, for people (a line, then Chromium's message and
//! the fix when the browser blocks it) or for tools (one JSON document per line).

use super::{Event, Judged, Source};
use crate::report::printable_line;

/// `event` for people: `TIME METHOD URL → STATUS (who answered) from ORIGIN: verdict`, then
/// Chromium's message and the fixes, indented.
#[must_use]
pub fn human(event: &Event) -> String {
    if event.source == Source::BadRequest {
        return format!(
            "{} 400 bad request: {}\n",
            event.time,
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
        event.time, event.method, event.url, event.status
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

/// `event` as one JSON document on one line, with `schema_version`.
#[must_use]
pub fn json(event: &Event) -> String {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("schema_version".into(), 1.into());
        object.insert("event".into(), "request".into());
    }
    format!("{value}\n")
}

/// Each line made printable: a header value never reaches the terminal as a control sequence.
fn printable(text: &str) -> String {
    text.lines()
        .map(|line| format!("{}\n", printable_line(line)))
        .collect()
}
