//! Renders diagnostics for people (rustc style: `file:line:col`, the source line, a caret, a
//! help line) or for programs (`--format json`), what `emit` did, and failures. The one place
//! that knows these output formats.
//!
//! Guarantee: every JSON document carries `schema_version`; human output never sends a control
//! character from the policy (or a message quoting it) to the terminal raw, and carets stay
//! under the characters they point at.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use annotate_snippets::{Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::PolicySource;
use crate::write::{Action, Report as EmitReport};
use crate::Failure;

/// The version of every JSON document corsgen prints. It changes when a field changes meaning
/// or disappears; new fields do not change it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    schema_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// `body` (a struct or map) as one pretty JSON document with `schema_version` first. Should
/// the body not serialize (a bug), the document says so, as an error document.
#[must_use]
pub fn document<T: Serialize>(body: &T) -> String {
    let serialized = serde_json::to_string_pretty(&Document {
        schema_version: SCHEMA_VERSION,
        body,
    });
    let mut text = serialized.unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {SCHEMA_VERSION}, \"error\": {{\"kind\": \"io\", \"message\": {}}}}}",
            serde_json::Value::String(format!("bug: the report does not serialize: {e}"))
        )
    });
    text.push('\n');
    text
}

/// The JSON document for a failed command: its kind and the message.
#[must_use]
pub fn failure_json(failure: &Failure) -> String {
    document(&serde_json::json!({
        "error": {
            "kind": failure.kind,
            "message": failure.to_string(),
        }
    }))
}

/// `text` with every character that would act on a terminal (C0 and C1 controls, DEL,
/// bidirectional overrides) replaced by one visible character, so that a line keeps its
/// character count: tab becomes a space, NUL becomes `␀`, and so on. Line breaks stay.
#[must_use]
pub fn printable(text: &str) -> Cow<'_, str> {
    visible(text, true)
}

/// [`printable`] for text that must stay on one line: a line break becomes `␊` too.
#[must_use]
pub fn printable_line(text: &str) -> Cow<'_, str> {
    visible(text, false)
}

fn visible(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let swap = |c: char| {
        if keep_newlines && c == '\n' {
            None
        } else {
            replacement(c)
        }
    };
    if !text.chars().any(|c| swap(c).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| swap(c).unwrap_or(c)).collect())
}

fn replacement(c: char) -> Option<char> {
    match c {
        '\t' => Some(' '),
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// The byte offset in `printable(text)` of byte offset `offset` in `text`.
fn printable_offset(text: &str, offset: usize) -> usize {
    text[..offset]
        .chars()
        .map(|c| match replacement(c) {
            Some(r) if c != '\n' => r.len_utf8(),
            _ => c.len_utf8(),
        })
        .sum()
}

/// Every diagnostic, human-readable (with ANSI colours when `color`), followed by a summary
/// line.
#[must_use]
pub fn human(source: &PolicySource, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = rendered(source, diagnostics, color);
    out.push_str(&summary(source, diagnostics));
    out.push('\n');
    out
}

/// Each diagnostic rendered, source line and caret, without the summary line.
#[must_use]
pub fn rendered(source: &PolicySource, diagnostics: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let text = printable(&source.text);
    let path = printable_line(&source.path);
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity() {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let message_text = printable_line(&d.message);
        let label_text = d.label.as_deref().map(printable_line);
        let help_text = printable_line(&d.help);
        let mut message = level.title(&message_text).id(d.code.as_str());
        if let Some(span) = &d.span {
            let span = clamp(span, &source.text);
            let span = printable_offset(&source.text, span.start)
                ..printable_offset(&source.text, span.end);
            let mut annotation = level.span(span);
            if let Some(label) = &label_text {
                annotation = annotation.label(label);
            }
            message = message.snippet(
                Snippet::source(&text)
                    .line_start(1)
                    .origin(&path)
                    .fold(true)
                    .annotation(annotation),
            );
        }
        if !d.help.is_empty() {
            message = message.footer(Level::Help.title(&help_text));
        }
        out.push_str(&renderer.render(message).to_string());
        out.push_str("\n\n");
    }
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
        printable_line(&source.path),
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

/// What `emit` did, for the reports.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EmitOutcome<'a> {
    /// The out directory (shown lossily when it is not UTF-8).
    #[serde(serialize_with = "lossy_path")]
    pub out: &'a Path,
    /// Every file and what happened to it; the diff in check mode.
    #[serde(flatten)]
    pub files: &'a EmitReport,
}

fn lossy_path<S: serde::Serializer>(path: &&Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

/// What `emit` did, for people: what goes to stdout (under `--check`: the files it would remove
/// or refuses, then the diff) and what goes to stderr (every file and what happened to it, or
/// the summary and the command that repairs the drift).
#[must_use]
pub fn emit_human(outcome: &EmitOutcome<'_>, regenerate: &str) -> (String, String) {
    let report = outcome.files;
    let out = printable_line(&outcome.out.display().to_string()).into_owned();
    let count = |action| report.with(action).count();
    let line = |f: &crate::write::FileOutcome, word: &str| match &f.reason {
        Some(reason) => format!("  {word:<9} {}: {reason}\n", printable_line(&f.path)),
        None => format!("  {word:<9} {}\n", printable_line(&f.path)),
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if report.check {
        for f in &report.files {
            let word = match f.action {
                Action::Removed => "remove",
                Action::Refused => "refused",
                Action::Left => "left",
                _ => continue,
            };
            stdout.push_str(&line(f, word));
        }
        stdout.push_str(&printable(&report.diff));
        if report.diff_lines_omitted > 0 {
            let _ = writeln!(
                stdout,
                "... {} more diff lines (--full-diff shows them all)",
                report.diff_lines_omitted
            );
        }
        if report.is_clean() {
            let _ = writeln!(
                stderr,
                "{out}: {} files up to date",
                count(Action::Unchanged)
            );
        } else {
            let manifest = if report.manifest_changed {
                format!(", {} out of date", crate::write::MANIFEST)
            } else {
                String::new()
            };
            let _ = writeln!(
                stderr,
                "{out}: {} to create, {} to update, {} to remove, {} refused{manifest}; run `{regenerate}`{}",
                count(Action::Created),
                count(Action::Updated),
                count(Action::Removed),
                count(Action::Refused),
                if report.refused() { " after resolving the refused files (or add --force)" } else { "" }
            );
        }
        return (stdout, stderr);
    }
    if report.refused() {
        let _ = writeln!(
            stderr,
            "{out}: refused {} file(s) corsgen will not touch; nothing was written",
            count(Action::Refused)
        );
        for f in report.with(Action::Refused) {
            stderr.push_str(&line(f, "refused"));
        }
        return (stdout, stderr);
    }
    let _ = writeln!(
        stderr,
        "{out}: {} created, {} updated, {} unchanged, {} removed{}",
        count(Action::Created),
        count(Action::Updated),
        count(Action::Unchanged),
        count(Action::Removed),
        if report.manifest_changed {
            format!("; {} written", crate::write::MANIFEST)
        } else {
            String::new()
        }
    );
    for f in &report.files {
        stderr.push_str(&line(f, f.action.as_str()));
    }
    (stdout, stderr)
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
    document(&report)
}

/// Items as a sentence's list: `a`, `a and b`, `a, b and c`.
#[must_use]
pub fn and_list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
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
        let out = human(&src, &[d], false);
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
    fn control_characters_never_reach_the_terminal_and_carets_stay_aligned() {
        // A tab before the value, a tab and a NUL and an escape sequence inside it.
        let text = "a = 1\n\tb =\t\"x\u{0}y\u{1b}[31m\"\n";
        let src = PolicySource::new("p\u{1b}.toml", text);
        let start = text.find('"').unwrap();
        let d =
            Diagnostic::new(Code::InvalidValue, start..start + 10, "bad\nvalue").label("here\tnow");
        let out = human(&src, &[d], false);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(
            out.contains("error[invalid-value]: bad\u{240a}value"),
            "{out}"
        );
        assert!(out.contains("--> p\u{241b}.toml:2:6"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let source = lines.iter().find(|l| l.starts_with("2 |")).unwrap();
        let caret = lines.iter().find(|l| l.contains('^')).unwrap();
        let column = |line: &str, c: char| line.chars().position(|x| x == c).unwrap();
        assert_eq!(column(source, '"'), column(caret, '^'), "{out}");
        assert_eq!(caret.matches('^').count(), 10, "{out}");
    }

    #[test]
    fn empty_spans_before_multibyte_characters_render() {
        let src = PolicySource::new("p.toml", "\u{fffd}x");
        let d = Diagnostic::new(Code::TomlSyntax, 0..0, "m");
        assert!(human(&src, &[d], false).contains("^"));
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
