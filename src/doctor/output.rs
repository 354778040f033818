//! The report for people and for tools.

use super::Report;
use crate::browser::Credentials;

/// The report for people.
#[must_use]
pub fn human(report: &Report) -> String {
    let mut out = format!(
        "{} ({}; {}): {} requests, {} cross-origin, {} failing\n",
        report.file,
        if report.creator.is_empty() {
            "unknown creator"
        } else {
            &report.creator
        },
        if report.browser_recognized {
            format!("{}'s messages", report.browser)
        } else {
            format!("engine not named: {}'s messages", report.browser)
        },
        report.requests,
        report.cross_origin,
        report.findings.len()
    );
    for finding in &report.findings {
        let r = &finding.request;
        let preflight = finding
            .preflight_entry
            .map(|p| format!(", preflight entry {p}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n[entry {}{preflight}] {} {} from {}{}\n",
            finding.entry,
            r.method,
            r.url,
            r.origin,
            match (r.credentials, finding.credentials_inferred) {
                (Credentials::Include, true) =>
                    " (credentials: include, inferred from the failure)",
                (Credentials::Include, false) => " (credentials: include)",
                (Credentials::Omit, _) => "",
            }
        ));
        // Every console line, or the message alone when the capture shows too little.
        if finding.console.is_empty() {
            out.push_str(&format!("  {}\n", finding.message));
        }
        for line in &finding.console {
            out.push_str(&format!("  {line}\n"));
        }
        out.push_str(&format!("  likely cause: {}\n", finding.layer));
        if let Some(other) = &finding.message_with_credentials {
            out.push_str(&format!(
                "  (if the script sent credentials: 'include', {} reports instead: {other})\n",
                report.browser
            ));
        }
        for difference in &finding.differences {
            out.push_str(&format!("  differs from the policy: {difference}\n"));
        }
        for fix in &finding.fixes {
            out.push_str(&format!("  fix: {fix}\n"));
        }
    }
    for advisory in &report.advisories {
        out.push_str(&format!(
            "\n[entry {}] {}: allowed, but note: {}\n  fix: {}\n",
            advisory.entry, advisory.url, advisory.note, advisory.fix
        ));
    }
    for (entry, url, error) in &report.other_failures {
        out.push_str(&format!(
            "\n[entry {entry}] {url} failed with {error}, which is not a CORS failure\n"
        ));
    }
    // A capture's text (URLs, headers, errors) never reaches the terminal as controls.
    crate::report::printable(&out).into_owned()
}

/// The report as one JSON document.
#[must_use]
pub fn json(report: &Report) -> String {
    crate::report::document(report)
}
