//! The audit report for people, as one JSON document, and as SARIF 2.1.0 for code scanning.

use std::fmt::Write as _;

use serde_json::json;

use super::findings::CODES;
use super::{Finding, Report, Severity};
use crate::report::{document, printable_line};

fn counts(report: &Report) -> [(Severity, usize); 4] {
    [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Note,
    ]
    .map(|s| {
        (
            s,
            report.findings.iter().filter(|f| f.severity == s).count(),
        )
    })
}

fn headers(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn finding_text(f: &Finding, text: &mut String) {
    let _ = writeln!(
        text,
        "{}[{}]: {}",
        f.severity,
        f.code,
        printable_line(&f.message)
    );
    let _ = writeln!(
        text,
        "  --> {} ({})",
        f.location,
        printable_line(&f.location.path)
    );
    let _ = writeln!(text, "  surface: {}", printable_line(&f.surface));
    if let Some(r) = &f.request {
        let _ = writeln!(
            text,
            "  request: {} {} | {}",
            r.method,
            printable_line(&r.path),
            printable_line(&headers(&r.headers))
        );
        let _ = writeln!(
            text,
            "  answer:  {} | {}",
            r.status,
            printable_line(&headers(&r.response_headers))
        );
        let _ = writeln!(
            text,
            "  chromium: {}",
            f.chromium.as_deref().map_or(
                "no console message: the browser lets the page read it".into(),
                printable_line
            )
        );
    }
    let _ = writeln!(text, "  fix: {}", printable_line(&f.fix));
}

/// The report for people.
#[must_use]
pub fn human(report: &Report) -> String {
    let mut text = String::new();
    for f in &report.findings {
        finding_text(f, &mut text);
        text.push('\n');
    }
    for surface in &report.surfaces {
        let _ = writeln!(text, "surface: {}", printable_line(surface));
    }
    let summary: Vec<String> = counts(report)
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = writeln!(
        text,
        "audited {} surface{} in {} input{}: {}",
        report.surfaces.len(),
        if report.surfaces.len() == 1 { "" } else { "s" },
        report.inputs.len(),
        if report.inputs.len() == 1 { "" } else { "s" },
        if summary.is_empty() {
            "no findings".to_string()
        } else {
            summary.join(", ")
        }
    );
    text
}

/// The report as one JSON document.
#[must_use]
pub fn json(report: &Report) -> String {
    let counts: serde_json::Map<String, serde_json::Value> = counts(report)
        .iter()
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    document(&json!({
        "inputs": report.inputs,
        "surfaces": report.surfaces,
        "findings": report.findings,
        "counts": counts,
    }))
}

/// A run that could not read its inputs, as SARIF 2.1.0: no results, and the failure as a
/// tool execution notification, so that a code-scanning upload shows it.
#[must_use]
pub fn sarif_failure(message: &str) -> String {
    let mut text = serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "corsgen", "version": env!("CARGO_PKG_VERSION")}},
            "invocations": [{
                "executionSuccessful": false,
                "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}],
            }],
            "results": [],
        }],
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}

/// The report as SARIF 2.1.0: one run, a rule per finding code, a result per finding.
#[must_use]
pub fn sarif(report: &Report) -> String {
    let rules: Vec<serde_json::Value> = CODES
        .iter()
        .map(|(code, what)| {
            json!({
                "id": code,
                "shortDescription": {"text": what},
                "helpUri": format!("https://github.com/corsgen/corsgen/blob/main/docs/audit.md#{code}"),
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Critical | Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let mut message = f.message.trim_end_matches('.').to_string();
            if let Some(m) = &f.chromium {
                message.push_str(&format!(". Chromium: {}", m.trim_end_matches('.')));
            }
            message.push_str(&format!(". Fix: {}.", f.fix.trim_end_matches('.')));
            json!({
                "ruleId": f.code,
                "ruleIndex": CODES.iter().position(|(c, _)| *c == f.code),
                "level": level,
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.location.file},
                        "region": {"startLine": f.location.line.max(1), "startColumn": f.location.col.max(1)},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.location.path}],
                }],
                "properties": {"severity": f.severity, "surface": f.surface},
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "corsgen",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/corsgen/corsgen",
                "rules": rules,
            }},
            "results": results,
        }],
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}
