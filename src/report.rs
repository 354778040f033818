//! Renders diagnostics for people (rustc style: `file:line:col`, the source line, a caret, a
//! help line) or for programs (`--format json`). The one place that knows the output format.

use annotate_snippets::{Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::PolicySource;

/// Every diagnostic, human-readable, followed by a summary line.
#[must_use]
pub fn human(source: &PolicySource, diagnostics: &[Diagnostic]) -> String {
    let renderer = Renderer::plain();
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity() {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let mut message = level.title(&d.message).id(d.code.as_str());
        if let Some(span) = &d.span {
            let span = clamp(span, &source.text);
            let mut annotation = level.span(span);
            if let Some(label) = &d.label {
                annotation = annotation.label(label);
            }
            message = message.snippet(
                Snippet::source(&source.text)
                    .line_start(1)
                    .origin(&source.path)
                    .fold(true)
                    .annotation(annotation),
            );
        }
        if !d.help.is_empty() {
            message = message.footer(Level::Help.title(&d.help));
        }
        out.push_str(&renderer.render(message).to_string());
        out.push_str("\n\n");
    }
    out.push_str(&summary(source, diagnostics));
    out.push('\n');
    out
}

/// A span annotate-snippets can draw: inside the text, on character boundaries, and at least one
/// character wide when the text allows (an empty span at the end of a line still gets a caret).
fn clamp(span: &std::ops::Range<usize>, text: &str) -> std::ops::Range<usize> {
    let mut end = span.end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let start = crate::source::floor_char_boundary(text, span.start.min(end));
    if start == end {
        if let Some(c) = text[end..].chars().next() {
            end += c.len_utf8();
        }
    }
    start..end
}

/// `policies/x.toml: 2 errors, 1 warning` style closing line.
#[must_use]
pub fn summary(source: &PolicySource, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let verdict = if errors > 0 { "invalid" } else { "valid" };
    format!(
        "{}: {verdict} ({errors} {}, {warnings} {})",
        source.path,
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emit: Option<EmitOutcome<'a>>,
}

/// What `emit` did, for the JSON report.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EmitOutcome<'a> {
    /// True for `--check` (nothing written).
    pub check: bool,
    /// Files written, or in check mode out of date; orphans; the diff in check mode.
    #[serde(flatten)]
    pub files: &'a crate::write::Report,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    help: &'a str,
    suggestion: Option<&'a str>,
}

/// Every diagnostic as one JSON document (stable field names), with what `emit` did when it ran.
#[must_use]
pub fn json(
    source: &PolicySource,
    diagnostics: &[Diagnostic],
    emit: Option<EmitOutcome<'_>>,
) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = JsonReport {
        file: &source.path,
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let start = d.span.as_ref().map(|s| source.line_col(s.start));
                let end = d.span.as_ref().map(|s| source.line_col(s.end));
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity(),
                    message: &d.message,
                    file: &source.path,
                    line: start.map(|p| p.0),
                    column: start.map(|p| p.1),
                    end_line: end.map(|p| p.0),
                    end_column: end.map(|p| p.1),
                    help: &d.help,
                    suggestion: d.suggestion.as_deref(),
                }
            })
            .collect(),
        emit,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::{human, json};
    use crate::diagnostic::{Code, Diagnostic};
    use crate::source::PolicySource;

    #[test]
    fn human_output_has_location_caret_and_help() {
        let src = PolicySource::new("p.toml", "a = 1\nb = \"https:/x.com\"\n");
        let d = Diagnostic::new(Code::OriginMissingScheme, 10..24, "bad").suggest("https://x.com");
        let out = human(&src, &[d]);
        assert!(out.contains("error[origin-missing-scheme]: bad"), "{out}");
        assert!(out.contains("--> p.toml:2:5"), "{out}");
        assert!(out.contains("    ^^^^^^^^^^^^^^\n"), "{out}");
        assert!(
            out.contains("= help: did you mean \"https://x.com\"?"),
            "{out}"
        );
        assert!(
            out.ends_with("p.toml: invalid (1 error, 0 warnings)\n"),
            "{out}"
        );
    }

    #[test]
    fn empty_spans_before_multibyte_characters_render() {
        let src = PolicySource::new("p.toml", "\u{fffd}x");
        let d = Diagnostic::new(Code::TomlSyntax, 0..0, "m");
        assert!(human(&src, &[d]).contains("^"));
    }

    #[test]
    fn json_output_has_line_and_column() {
        let src = PolicySource::new("p.toml", "a = 1\nb = 2\n");
        let d = Diagnostic::new(Code::MaxAgeAboveChromiumCap, 10..11, "m");
        let v: serde_json::Value = serde_json::from_str(&json(&src, &[d], None)).unwrap();
        assert_eq!(v["valid"], true);
        assert_eq!(v["diagnostics"][0]["line"], 2);
        assert_eq!(v["diagnostics"][0]["column"], 5);
        assert_eq!(v["diagnostics"][0]["severity"], "warning");
    }
}
