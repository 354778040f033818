//! Template helpers: one escaping helper per target language, so no policy value can break out
//! of a generated literal or comment. Each produces pure ASCII.

use std::fmt::Write as _;

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};

pub(super) fn register(registry: &mut Handlebars<'_>) {
    registry.register_helper("py_str", Box::new(string_helper(py_str)));
    registry.register_helper("js_str", Box::new(string_helper(js_str)));
    registry.register_helper("comment", Box::new(string_helper(comment_text)));
    registry.register_helper("md", Box::new(string_helper(md_text)));
    registry.register_helper("py_bool", Box::new(py_bool_helper));
    registry.register_helper("yaml_str", Box::new(string_helper(yaml_str)));
    registry.register_helper("hcl_str", Box::new(string_helper(hcl_str)));
    registry.register_helper("vtl_str", Box::new(vtl_str_helper));
    registry.register_helper("js_json", Box::new(js_json_helper));
    registry.register_helper("yaml_value", Box::new(yaml_value_helper));
    registry.register_helper("yaml_key", Box::new(string_helper(yaml_key)));
    registry.register_helper("sh_str", Box::new(string_helper(sh_str)));
}

type Escape = fn(&str) -> String;

fn string_helper(
    escape: Escape,
) -> impl Fn(
    &Helper<'_>,
    &Handlebars<'_>,
    &Context,
    &mut RenderContext<'_, '_>,
    &mut dyn Output,
) -> HelperResult {
    move |h, _, _, _, out| {
        let value = h
            .param(0)
            .ok_or_else(|| {
                RenderError::from(RenderErrorReason::ParamNotFoundForIndex("escape", 0))
            })?
            .value();
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            other => {
                return Err(RenderErrorReason::InvalidParamType(if other.is_null() {
                    "null"
                } else {
                    "non-string"
                })
                .into())
            }
        };
        out.write(&escape(&text))?;
        Ok(())
    }
}

fn py_bool_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .and_then(|p| p.value().as_bool())
        .ok_or_else(|| RenderError::from(RenderErrorReason::InvalidParamType("bool")))?;
    out.write(if value { "True" } else { "False" })?;
    Ok(())
}

/// A double-quoted, pure-ASCII literal in the C tradition shared by the target languages:
/// backslash, quote, `\n`, `\r` and `\t` escaped; `extra` characters replaced as listed;
/// other printable ASCII kept; everything else written by the language's `other`.
fn c_style_quoted(s: &str, extra: &[(char, &str)], other: fn(char, &mut String)) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => match extra.iter().find(|(e, _)| *e == c) {
                Some((_, replacement)) => out.push_str(replacement),
                None if (' '..='~').contains(&c) => out.push(c),
                None => other(c, &mut out),
            },
        }
    }
    out.push('"');
    out
}

/// A Python double-quoted string literal, ASCII only.
pub(crate) fn py_str(s: &str) -> String {
    c_style_quoted(s, &[], |c, out| {
        let code = c as u32;
        let _ = match code {
            0..0x100 => write!(out, "\\x{code:02x}"),
            0x100..0x10000 => write!(out, "\\u{code:04x}"),
            _ => write!(out, "\\U{code:08x}"),
        };
    })
}

/// A JavaScript double-quoted string literal, ASCII only (valid ES5, safe inside `<script>`).
pub(crate) fn js_str(s: &str) -> String {
    c_style_quoted(s, &[('<', "\\u003c"), ('>', "\\u003e")], utf16_escapes)
}

/// A JSON value as a JavaScript (and TypeScript) expression, two-space indented, every string
/// and key through [`js_str`] (so ASCII only, like every other helper's output).
pub(crate) fn js_json(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = |out: &mut String, level: usize| out.push_str(&"  ".repeat(level));
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => out.push_str(&value.to_string()),
        Value::String(s) => out.push_str(&js_str(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, indent + 1);
                js_json(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                pad(out, indent + 1);
                out.push_str(&js_str(key));
                out.push_str(": ");
                js_json(item, indent + 1, out);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            pad(out, indent);
            out.push('}');
        }
    }
}

/// A JSON value as a YAML block at `indent` (two spaces a level), every string and key through
/// [`yaml_str`] (double-quoted, ASCII only); empty lists and maps in flow style.
pub(crate) fn yaml_value(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = "  ".repeat(indent);
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => out.push_str(&value.to_string()),
        Value::String(s) => out.push_str(&yaml_str(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&pad);
                }
                out.push_str("- ");
                yaml_value(item, indent + 1, out);
            }
        }
        Value::Object(map) => {
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&pad);
                }
                out.push_str(&yaml_key(key));
                out.push(':');
                match item {
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        out.push_str(&"  ".repeat(indent + 1));
                    }
                    Value::Object(m) if !m.is_empty() => {
                        out.push('\n');
                        out.push_str(&"  ".repeat(indent + 1));
                    }
                    _ => out.push(' '),
                }
                yaml_value(item, indent + 1, out);
            }
        }
    }
}

/// A mapping key: plain when YAML reads it back as that same string (not a number, a boolean
/// or null, nothing that starts an indicator), double-quoted otherwise.
fn yaml_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./{}+-".contains(c))
        && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
            .contains(&key.to_ascii_lowercase().as_str());
    if plain {
        key.to_string()
    } else {
        yaml_str(key)
    }
}

fn yaml_value_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| {
            RenderError::from(RenderErrorReason::ParamNotFoundForIndex("yaml_value", 0))
        })?
        .value();
    // `indent=N`: the block starts N levels in (its first line is placed by the template).
    let indent = h
        .hash_get("indent")
        .and_then(|v| v.value().as_u64())
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let mut text = String::new();
    yaml_value(value, indent, &mut text);
    out.write(&text)?;
    Ok(())
}

fn js_json_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or_else(|| RenderError::from(RenderErrorReason::ParamNotFoundForIndex("js_json", 0)))?
        .value();
    let mut text = String::new();
    js_json(value, 0, &mut text);
    out.write(&text)?;
    Ok(())
}

fn utf16_escapes(c: char, out: &mut String) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        let _ = write!(out, "\\u{unit:04x}");
    }
}

/// A YAML double-quoted scalar, ASCII only (YAML writes characters beyond U+FFFF as `\U`).
pub(crate) fn yaml_str(s: &str) -> String {
    c_style_quoted(s, &[], |c, out| {
        let code = c as u32;
        let _ = if code < 0x10000 {
            write!(out, "\\u{code:04x}")
        } else {
            write!(out, "\\U{code:08x}")
        };
    })
}

/// An HCL (Terraform) quoted string, ASCII only, with template sequences (`${`, `%{`) escaped
/// so a value is never interpolated.
pub(crate) fn hcl_str(s: &str) -> String {
    let quoted = c_style_quoted(s, &[], |c, out| {
        let code = c as u32;
        let _ = if code < 0x10000 {
            write!(out, "\\u{code:04x}")
        } else {
            write!(out, "\\U{code:08x}")
        };
    });
    // Escapes never produce `${` or `%{`, so doubling on the quoted text only hits the value's.
    quoted.replace("${", "$${").replace("%{", "%%{")
}

/// A Velocity single-quoted string literal, which is never interpolated and has no escapes:
/// `None` for text it cannot carry (`'`, anything but printable ASCII).
pub(crate) fn vtl_str(s: &str) -> Option<String> {
    s.chars()
        .all(|c| (' '..='~').contains(&c) && c != '\'')
        .then(|| format!("'{s}'"))
}

fn vtl_str_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let text = h
        .param(0)
        .and_then(|p| p.value().as_str())
        .ok_or_else(|| RenderError::from(RenderErrorReason::InvalidParamType("string")))?;
    let literal = vtl_str(text).ok_or_else(|| {
        RenderError::from(RenderErrorReason::Other(format!(
            "{text:?} cannot be a Velocity string literal"
        )))
    })?;
    out.write(&literal)?;
    Ok(())
}

/// A POSIX shell single-quoted word: nothing inside is expanded, and each `'` is closed, escaped
/// and reopened (`'\''`).
pub(crate) fn sh_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Text safe inside a line comment of any target language: printable ASCII only, anything else
/// written as `\u{..}`, and `*/` broken so it cannot close a block comment.
pub(crate) fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    out.replace("*/", "*\\/").replace("-->", "--\\>")
}

/// Text safe in a Markdown paragraph: one line, Markdown and HTML punctuation escaped.
pub(crate) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in comment_text(s).chars() {
        if "\\`*_[]<>#|!&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{comment_text, hcl_str, js_str, md_text, py_str, sh_str, vtl_str, yaml_str};

    #[test]
    fn python_strings_escape_everything_that_could_break_out() {
        assert_eq!(py_str(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(py_str("x\ny\u{0}"), "\"x\\ny\\x00\"");
        assert_eq!(py_str("é\u{2028}😀"), "\"\\xe9\\u2028\\U0001f600\"");
    }

    #[test]
    fn js_strings_are_ascii_and_script_safe() {
        assert_eq!(js_str("</script>"), "\"\\u003c/script\\u003e\"");
        assert_eq!(js_str("\u{2028}😀"), "\"\\u2028\\ud83d\\ude00\"");
        assert_eq!(js_str("'\"\\"), "\"'\\\"\\\\\"");
    }

    #[test]
    fn comments_stay_on_one_line_and_never_close() {
        assert_eq!(comment_text("a\nb\u{2028}c*/"), "a\\u{a}b\\u{2028}c*\\/");
        assert!(!comment_text("x\r\n-->").contains('\n'));
    }

    #[test]
    fn shell_words_expand_nothing() {
        assert_eq!(sh_str("a b"), "'a b'");
        assert_eq!(sh_str("it's $HOME `x`"), r#"'it'\''s $HOME `x`'"#);
    }

    #[test]
    fn yaml_and_hcl_strings_are_ascii_and_closed() {
        assert_eq!(yaml_str("😀\u{2028}"), r#""\U0001f600\u2028""#);
        assert_eq!(hcl_str("${var.x} %{if} $x"), r#""$${var.x} %%{if} $x""#);
    }

    #[test]
    fn velocity_literals_refuse_what_they_cannot_carry() {
        assert_eq!(
            vtl_str("https://a.example").as_deref(),
            Some("'https://a.example'")
        );
        assert_eq!(vtl_str("$x #set(").as_deref(), Some("'$x #set('"));
        assert_eq!(vtl_str("it's"), None);
        assert_eq!(vtl_str("a\nb"), None);
    }

    #[test]
    fn markdown_escapes_punctuation() {
        assert_eq!(md_text("a_b`<c>"), "a\\_b\\`\\<c\\>");
    }
}
