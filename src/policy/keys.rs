//! Unknown-key detection driven by the policy's own JSON Schema.
//!
//! serde stops at the first unknown field; walking the parsed TOML tree against the schema finds
//! all of them at once, and the schema stays the single list of keys.

use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};

pub(super) fn unknown_keys(tree: &Spanned<DeTable<'_>>) -> Vec<Diagnostic> {
    let schema = crate::schema::policy_schema_value();
    let mut out = Vec::new();
    walk_table(tree.get_ref(), &schema, &schema, "", &mut out);
    out.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    out
}

fn resolve<'s>(schema: &'s Value, root: &'s Value) -> &'s Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        if let Some(target) = root.get("$defs").and_then(|d| d.get(name)) {
            return resolve(target, root);
        }
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            if let Some(branch) = branches
                .iter()
                .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            {
                return resolve(branch, root);
            }
        }
    }
    schema
}

fn walk_value(
    value: &DeValue<'_>,
    schema: &Value,
    root: &Value,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    let schema = resolve(schema, root);
    match value {
        DeValue::Table(table) => walk_table(table, schema, root, path, out),
        DeValue::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                // Tables in an array print as `[[route]]`.
                let item_path = format!("[{path}]");
                for item in items.iter() {
                    walk_value(item.get_ref(), item_schema, root, &item_path, out);
                }
            }
        }
        _ => {}
    }
}

fn walk_table(
    table: &DeTable<'_>,
    schema: &Value,
    root: &Value,
    path: &str,
    out: &mut Vec<Diagnostic>,
) {
    let schema = resolve(schema, root);
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    for (key, value) in table {
        let name: &str = key.get_ref();
        let child_path = if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        if let Some(child) = properties.and_then(|p| p.get(name)) {
            walk_value(value.get_ref(), child, root, &child_path, out);
        } else if let Some(child) = additional.filter(|a| a.is_object()) {
            walk_value(value.get_ref(), child, root, &child_path, out);
        } else if additional == Some(&Value::Bool(false)) {
            let known: Vec<&str> = properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            out.push(unknown(name, key.span(), path, &known));
        }
    }
}

fn unknown(name: &str, span: std::ops::Range<usize>, path: &str, known: &[&str]) -> Diagnostic {
    let table = if path.is_empty() {
        "the top level".to_string()
    } else {
        format!("[{path}]")
    };
    let message = format!("unknown key `{name}` in {table}");
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let help = match best {
        Some((_, k)) => format!("did you mean `{k}`?"),
        None => format!("expected one of: {}", known.join(", ")),
    };
    let mut diagnostic = Diagnostic::new(Code::UnknownKey, span, message).help(help);
    if let Some((_, k)) = best {
        diagnostic.suggestion = Some((*k).to_string());
    }
    diagnostic.label("not a policy key")
}
