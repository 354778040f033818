//! The JSON Schema of the policy file, generated from the raw types and their doc comments, and
//! the policy reference in docs/policy.md generated from that schema.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

use crate::policy::RawPolicy;

/// The schema as a JSON value (built once per process, never copied: every parse walks it).
pub fn policy_schema_value() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(RawPolicy)).unwrap_or(Value::Null)
    })
}

/// The schema as pretty JSON with a trailing newline: what `corsgen schema` prints and what
/// `policy.schema.json` holds.
///
/// # Errors
/// Only on a bug: a schema that does not serialize (never printed as an empty or `null`
/// document).
pub fn policy_schema() -> anyhow::Result<String> {
    let schema = policy_schema_value();
    anyhow::ensure!(!schema.is_null(), "bug: the schema does not serialize");
    let mut text = serde_json::to_string_pretty(schema)?;
    text.push('\n');
    Ok(text)
}

/// The "Policy reference" section of docs/policy.md: one table per policy table, one row per key,
/// the descriptions being the doc comments of the raw types.
#[must_use]
pub fn reference_markdown() -> String {
    let root = policy_schema_value();
    let mut out = String::new();
    // The rule tables, then each target's table, in registry order.
    let sections = [
        ("top level", None),
        ("[cors]", Some("RawCors")),
        ("[env.NAME]", Some("RawEnv")),
        ("[[route]]", Some("RawRoute")),
    ]
    .into_iter()
    .chain(
        crate::targets::REGISTRY
            .iter()
            .filter_map(|t| t.table)
            .map(|(title, def)| (title, Some(def))),
    );
    for (title, def) in sections {
        let schema = match def {
            None => root,
            Some(name) => table_branch(&root["$defs"][name]),
        };
        let _ = writeln!(out, "### `{title}`\n");
        if let Some(description) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{}\n", one_line(description));
        }
        out.push_str("| key | type | meaning |\n| --- | --- | --- |\n");
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, property) in properties {
                let mut kind = type_name(property, root);
                if required.contains(&key.as_str()) {
                    kind.push_str(", required");
                }
                // A property without a description of its own takes its type's.
                let description = property
                    .get("description")
                    .or_else(|| {
                        let name = property.get("$ref")?.as_str()?.rsplit('/').next()?;
                        root["$defs"][name].get("description")
                    })
                    .and_then(Value::as_str)
                    .map(one_line)
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{key}` | {kind} | {} |",
                    description.replace('|', "\\|")
                );
            }
        }
        out.push('\n');
    }
    out
}

/// A definition's table: itself, or the branch of a `oneOf` that is a table (a static
/// configuration's setting is a value or a table).
fn table_branch(schema: &Value) -> &Value {
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|branches| branches.iter().find(|b| b.get("properties").is_some()))
        .unwrap_or(schema)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn type_name(schema: &Value, root: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let target = &root["$defs"][name];
        let values: Vec<&str> = match target.get("enum").and_then(Value::as_array) {
            Some(values) => values.iter().filter_map(Value::as_str).collect(),
            None => target
                .get("oneOf")
                .and_then(Value::as_array)
                .map(|branches| {
                    branches
                        .iter()
                        .filter_map(|b| b.get("const").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let all_named = target
            .get("oneOf")
            .and_then(Value::as_array)
            .is_none_or(|branches| branches.len() == values.len());
        if !values.is_empty() && all_named {
            return values
                .iter()
                .map(|v| format!("`\"{v}\"`"))
                .collect::<Vec<_>>()
                .join(" or ");
        }
        if target.get("oneOf").is_some() {
            return type_name(target, root);
        }
        return "table".into();
    }
    if let Some(name) = schema.get("const").and_then(Value::as_str) {
        return format!("`\"{name}\"`");
    }
    if schema.get("properties").is_some() {
        return "table".into();
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Value::as_array) {
            let names: Vec<String> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .map(|b| type_name(b, root))
                .collect();
            return names.join(" or ");
        }
    }
    let kinds: Vec<&str> = match schema.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    match kinds.first().copied() {
        Some("array") => match schema.get("items") {
            Some(items) => format!("array of {}", type_name(items, root)),
            None => "array".into(),
        },
        Some("object") => match schema.get("additionalProperties") {
            Some(v @ Value::Object(_)) => format!("tables of {}", type_name(v, root)),
            _ => "table".into(),
        },
        Some("integer") => "integer".into(),
        Some("boolean") => "boolean".into(),
        Some("string") => "string".into(),
        _ => "value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{policy_schema, reference_markdown};

    #[test]
    fn schema_forbids_unknown_keys_and_documents_every_field() {
        let schema: serde_json::Value = serde_json::from_str(&policy_schema().unwrap()).unwrap();
        let cors = &schema["$defs"]["RawCors"];
        assert_eq!(cors["additionalProperties"], serde_json::Value::Bool(false));
        for (key, property) in cors["properties"].as_object().unwrap() {
            assert!(
                property.get("description").is_some(),
                "{key} has no description"
            );
        }
    }

    #[test]
    fn reference_lists_every_section() {
        let md = reference_markdown();
        for needle in [
            "`[cors]`",
            "`allow-origins`",
            "`extra-origins`",
            "`path`",
            "`languages`",
        ] {
            assert!(md.contains(needle), "{needle}");
        }
    }
}
