//! The shape of the policy file, checked against the policy's own JSON Schema before serde
//! sees it: every unknown key (with a "did you mean"), every value of the wrong type or outside
//! a closed set of names, and every missing required key, all in one pass and in file order.
//!
//! serde stops at the first problem; walking the parsed TOML tree against the schema finds all
//! of them, speaks the policy's language (`an integer`, `a list`) rather than Rust's, and keeps
//! the schema the single list of keys and types.

use serde_json::Value;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};

pub(super) fn check(tree: &Spanned<DeTable<'_>>) -> Vec<Diagnostic> {
    let schema = crate::schema::policy_schema_value();
    let mut walker = Walker {
        root: schema,
        out: Vec::new(),
    };
    walker.table(tree.get_ref(), tree.span(), schema, "");
    let mut out = walker.out;
    out.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    out
}

/// What the schema expects at one place.
enum Expect<'s> {
    Table(&'s Value),
    List(&'s Value),
    /// A scalar of one JSON type, optionally one of a closed set of names.
    Scalar(&'static str, Option<Vec<&'s str>>),
    /// Any of these (a value of one type or another: `true`, `false` or `"if-fits"`).
    Either(Vec<Expect<'s>>),
    /// Anything (no constraint the walker knows).
    Any,
}

impl Expect<'_> {
    /// Whether `found` is of the kind this expects (its value may still be wrong).
    fn takes(&self, found: &DeValue<'_>) -> bool {
        matches!(
            (self, found),
            (Expect::Any, _)
                | (Expect::Table(_), DeValue::Table(_))
                | (Expect::List(_), DeValue::Array(_))
                | (Expect::Scalar("string", _), DeValue::String(_))
                | (Expect::Scalar("boolean", _), DeValue::Boolean(_))
                | (Expect::Scalar("integer" | "number", _), DeValue::Integer(_))
                | (Expect::Scalar("number", _), DeValue::Float(_))
        )
    }

    /// What this expects, in words (`true or false`, `"if-fits"`, `a table`).
    fn words(&self) -> Vec<String> {
        match self {
            Expect::Table(_) => vec!["a table".into()],
            Expect::List(_) => vec!["a list".into()],
            Expect::Scalar("boolean", _) => vec!["true".into(), "false".into()],
            Expect::Scalar("string", Some(names)) => {
                names.iter().map(|n| format!("\"{n}\"")).collect()
            }
            Expect::Scalar("string", None) => vec!["a string".into()],
            Expect::Scalar("integer", _) => vec!["an integer".into()],
            Expect::Scalar(_, _) => vec!["a number".into()],
            Expect::Either(options) => options.iter().flat_map(Expect::words).collect(),
            Expect::Any => vec!["anything".into()],
        }
    }
}

/// `a, b or c`.
fn one_of(words: &[String]) -> String {
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

struct Walker<'s> {
    root: &'s Value,
    out: Vec<Diagnostic>,
}

impl<'s> Walker<'s> {
    fn deref(&self, schema: &'s Value) -> &'s Value {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            if let Some(target) = self.root.get("$defs").and_then(|d| d.get(name)) {
                return self.deref(target);
            }
        }
        schema
    }

    fn expect(&self, schema: &'s Value) -> Expect<'s> {
        let schema = self.deref(schema);
        for combinator in ["anyOf", "oneOf"] {
            let Some(branches) = schema.get(combinator).and_then(Value::as_array) else {
                continue;
            };
            let branches: Vec<&Value> = branches
                .iter()
                .map(|b| self.deref(b))
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            let names: Option<Vec<&str>> = branches
                .iter()
                .map(|b| b.get("const").and_then(Value::as_str))
                .collect();
            return match (names, branches.as_slice()) {
                (Some(names), _) if !names.is_empty() => Expect::Scalar("string", Some(names)),
                (_, [branch]) => self.expect(branch),
                (_, []) => Expect::Any,
                (_, several) => Expect::Either(
                    several
                        .iter()
                        .flat_map(|b| match self.expect(b) {
                            Expect::Either(inner) => inner,
                            one => vec![one],
                        })
                        .collect(),
                ),
            };
        }
        if let Some(name) = schema.get("const").and_then(Value::as_str) {
            return Expect::Scalar("string", Some(vec![name]));
        }
        let kind = match schema.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null"),
            _ => None,
        };
        match kind {
            Some("object") => Expect::Table(schema),
            Some("array") => Expect::List(schema.get("items").unwrap_or(&Value::Null)),
            Some("string") => Expect::Scalar("string", None),
            Some("integer") => Expect::Scalar("integer", None),
            Some("boolean") => Expect::Scalar("boolean", None),
            Some("number") => Expect::Scalar("number", None),
            _ if schema.get("properties").is_some() => Expect::Table(schema),
            _ => Expect::Any,
        }
    }

    fn table(
        &mut self,
        table: &DeTable<'_>,
        span: std::ops::Range<usize>,
        schema: &'s Value,
        path: &str,
    ) {
        let schema = self.deref(schema);
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
                self.value(value, child, &child_path, name);
            } else if let Some(child) = additional.filter(|a| a.is_object()) {
                self.value(value, child, &child_path, name);
            } else if additional == Some(&Value::Bool(false)) {
                let known: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                self.out.push(unknown(name, key.span(), path, &known));
            }
        }
        let required = schema.get("required").and_then(Value::as_array);
        for field in required.into_iter().flatten().filter_map(Value::as_str) {
            let misspelled = self.out.iter().any(|d| {
                d.code == Code::UnknownKey && d.suggestion.as_deref() == Some(field) && {
                    let span = d.span.clone().unwrap_or_default();
                    table.iter().any(|(k, _)| k.span() == span)
                }
            });
            // `[cosr]` is one mistake: the unknown key says "did you mean `cors`?".
            if !misspelled && !table.iter().any(|(k, _)| k.get_ref() == field) {
                self.out.push(missing(field, span.clone(), path));
            }
        }
    }

    fn value(&mut self, value: &Spanned<DeValue<'_>>, schema: &'s Value, path: &str, key: &str) {
        let expect = self.expect(schema);
        self.check(&expect, value, path, key);
    }

    fn check(&mut self, expect: &Expect<'s>, value: &Spanned<DeValue<'_>>, path: &str, key: &str) {
        let found = value.get_ref();
        match (expect, found) {
            (Expect::Any, _) => {}
            (Expect::Either(options), _) => {
                let words = one_of(&expect.words());
                match options.iter().find(|o| o.takes(found)) {
                    Some(Expect::Scalar("string", Some(names))) if matches!(found, DeValue::String(t) if !names.contains(&t.as_ref())) =>
                    {
                        let text = match found {
                            DeValue::String(t) => t.to_string(),
                            _ => String::new(),
                        };
                        let mut diagnostic = not_one_of(&text, names, value.span(), path);
                        let takes_booleans = options
                            .iter()
                            .any(|o| matches!(o, Expect::Scalar("boolean", _)));
                        if takes_booleans && (text == "true" || text == "false") {
                            diagnostic.suggestion = None;
                            diagnostic =
                                diagnostic.help(format!("write it without quotes: {key} = {text}"));
                        } else if diagnostic.suggestion.is_none() {
                            diagnostic = diagnostic.help(format!("use {words}"));
                        }
                        self.out.push(diagnostic);
                    }
                    Some(option) => self.check(option, value, path, key),
                    None => self.out.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            value.span(),
                            format!(
                                "{} must be {words}, not {}",
                                describe_place(path),
                                found_name(found)
                            ),
                        )
                        .label(format!("expected {words}"))
                        .help(format!(
                            "write {key} = {}",
                            one_of(
                                &expect
                                    .words()
                                    .into_iter()
                                    .filter(|w| w != "a table")
                                    .collect::<Vec<_>>()
                            )
                        )),
                    ),
                }
            }
            (Expect::Table(table_schema), DeValue::Table(table)) => {
                self.table(table, value.span(), table_schema, path);
            }
            (Expect::List(items), DeValue::Array(array)) => {
                // Tables in an array print as `[[route]]`; other items are named by the list.
                let item_path = if matches!(self.expect(items), Expect::Table(_)) {
                    format!("[{path}]")
                } else {
                    path.to_string()
                };
                for item in array.iter() {
                    self.value(item, items, &item_path, key);
                }
            }
            (Expect::Scalar("string", names), DeValue::String(text)) => {
                if let Some(names) = names {
                    if !names.contains(&text.as_ref()) {
                        self.out.push(not_one_of(text, names, value.span(), path));
                    }
                }
            }
            (Expect::Scalar("integer" | "number", _), DeValue::Integer(number)) => {
                let digits = number.as_str().replace('_', "");
                if i64::from_str_radix(&digits, number.radix()).is_err() {
                    self.out.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            value.span(),
                            format!(
                                "{} is too large a number for {}",
                                number.as_str(),
                                describe_place(path)
                            ),
                        )
                        .help(range_help(key)),
                    );
                }
            }
            (Expect::Scalar("number", _), DeValue::Float(_))
            | (Expect::Scalar("boolean", _), DeValue::Boolean(_)) => {}
            _ => self
                .out
                .push(self.wrong_type(expect, found, value.span(), path, key)),
        }
    }
}

fn describe_place(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((table, key)) => format!("`{key}` in [{table}]"),
        None => format!("`{path}`"),
    }
}

fn found_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn range_help(key: &str) -> String {
    match key {
        "max-age" => {
            "max-age is a number of seconds from 0 to 86400, e.g. max-age = 600".to_string()
        }
        "version" => "write `version = 1`".to_string(),
        _ => "use a smaller number".to_string(),
    }
}

impl Walker<'_> {
    fn wrong_type(
        &self,
        expect: &Expect<'_>,
        found: &DeValue<'_>,
        span: std::ops::Range<usize>,
        path: &str,
        key: &str,
    ) -> Diagnostic {
        let list_of_tables =
            matches!(expect, Expect::List(items) if matches!(self.expect(items), Expect::Table(_)));
        wrong_type(expect, list_of_tables, found, span, path, key)
    }
}

/// An example value for a key, for help texts.
fn example(key: &str) -> &'static str {
    match key {
        "version" => "1",
        _ => "600",
    }
}

fn wrong_type(
    expect: &Expect<'_>,
    list_of_tables: bool,
    found: &DeValue<'_>,
    span: std::ops::Range<usize>,
    path: &str,
    key: &str,
) -> Diagnostic {
    let (expected, help) = match expect {
        Expect::Table(_) => (
            "a table",
            format!("write it as a table: [{path}] on its own line, then its keys"),
        ),
        Expect::List(_) if list_of_tables => (
            "a list of tables",
            format!("write each one as its own [[{key}]] table (two brackets), its keys below it"),
        ),
        Expect::List(_) => (
            "a list",
            format!("write a list, even of one item: {key} = [\"value\"]"),
        ),
        Expect::Scalar("string", Some(names)) => {
            ("a string", format!("use one of: {}", quoted(names)))
        }
        Expect::Scalar("string", None) => {
            ("a string", "put the value in double quotes".to_string())
        }
        Expect::Scalar("integer", _) => (
            "an integer",
            match found {
                DeValue::String(_) => {
                    format!(
                        "write the number without quotes, e.g. {key} = {}",
                        example(key)
                    )
                }
                _ => format!("write a whole number, e.g. {key} = {}", example(key)),
            },
        ),
        Expect::Scalar("boolean", _) => (
            "true or false",
            format!("write {key} = true or {key} = false, without quotes"),
        ),
        Expect::Scalar(_, _) | Expect::Either(_) | Expect::Any => {
            ("a number", "write a number".to_string())
        }
    };
    Diagnostic::new(
        Code::InvalidValue,
        span,
        format!(
            "{} must be {expected}, not {}",
            describe_place(path),
            found_name(found)
        ),
    )
    .label(format!("expected {expected}"))
    .help(help)
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_one_of(text: &str, names: &[&str], span: std::ops::Range<usize>, path: &str) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        Code::InvalidValue,
        span,
        format!("{text:?} is not a valid value for {}", describe_place(path)),
    )
    .label("unknown value");
    let best = names
        .iter()
        .map(|n| (strsim::jaro_winkler(&text.to_ascii_lowercase(), n), *n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, name)) => diagnostic.suggest(name),
        None => diagnostic.help(format!("use one of: {}", quoted(names))),
    }
}

fn missing(field: &str, span: std::ops::Range<usize>, path: &str) -> Diagnostic {
    let (place, help) = match (path, field) {
        ("", "version") => (
            "the top level".to_string(),
            "add `version = 1` as the first line".to_string(),
        ),
        ("", "cors") => (
            "the top level".to_string(),
            "add the default rule: [cors] with allow-origins = [\"https://app.example.com\"]"
                .to_string(),
        ),
        (_, "path") => (
            format!("[{path}]"),
            "give every [[route]] a path, e.g. path = \"/orders/{id}\"".to_string(),
        ),
        (table, other) => (
            format!("[{table}]"),
            format!("add `{other}`; `corsgen schema` lists every field and its type"),
        ),
    };
    // The top level's span is the whole file: point at its start.
    let span = if path.is_empty() { 0..0 } else { span };
    Diagnostic::new(
        Code::MissingField,
        span,
        format!("missing `{field}` in {place}"),
    )
    .label(format!("`{field}` is required"))
    .help(help)
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
