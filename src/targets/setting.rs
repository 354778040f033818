//! The one setting every target table shares: `enabled = true | false | "if-fits"`, and the
//! `version = 1` aliases of the static configurations (`http-api = true` in `[apigateway]`,
//! `response-headers-policy = false` in `[cloudfront]`), which take the same values.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// Whether a target's files are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enabled {
    /// `true`: emitted; a policy the target cannot express is an error.
    Yes,
    /// `false`: never emitted.
    No,
    /// `"if-fits"`: emitted when the target can express the policy; otherwise skipped with a
    /// warning that says why (and the generated README says it too).
    IfFits,
}

struct EnabledVisitor;

impl Visitor<'_> for EnabledVisitor {
    type Value = Enabled;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true, false or \"if-fits\"")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Enabled, E> {
        Ok(if value { Enabled::Yes } else { Enabled::No })
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Enabled, E> {
        match value {
            "if-fits" => Ok(Enabled::IfFits),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for Enabled {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EnabledVisitor)
    }
}

impl JsonSchema for Enabled {
    fn schema_name() -> Cow<'static, str> {
        "Enabled".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`true`: emit the target, and report an error if it cannot express the policy; `false`: never; `\"if-fits\"`: emit it when it can express the policy, otherwise skip it (with a warning when the policy writes the setting; the generated README lists every skip).",
            "oneOf": [
                { "type": "boolean" },
                { "type": "string", "const": "if-fits" }
            ]
        })
    }
}

/// A static configuration's setting: the table `{ enabled = … }`, or, under `version = 1`, the
/// value alone (`http-api = true`).
#[derive(Debug, Clone)]
pub enum StaticTable {
    /// `key = true | false | "if-fits"`.
    Alias(Enabled),
    /// `[family.key]` with `enabled`.
    Table {
        /// The setting, where written.
        enabled: Option<Spanned<Enabled>>,
    },
}

impl StaticTable {
    /// The setting and where it is written (`outer` is the span of the whole value), or the
    /// default `"if-fits"` when the table leaves it out.
    #[must_use]
    pub fn enabled(&self, outer: Range<usize>) -> (Enabled, Option<Range<usize>>) {
        match self {
            StaticTable::Alias(value) => (*value, Some(outer)),
            StaticTable::Table { enabled: Some(e) } => (*e.get_ref(), Some(e.span())),
            StaticTable::Table { enabled: None } => (Enabled::IfFits, None),
        }
    }
}

struct StaticTableVisitor;

impl<'de> Visitor<'de> for StaticTableVisitor {
    type Value = StaticTable;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true, false, \"if-fits\" or a table with `enabled`")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<StaticTable, E> {
        EnabledVisitor.visit_bool(value).map(StaticTable::Alias)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<StaticTable, E> {
        EnabledVisitor.visit_str(value).map(StaticTable::Alias)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StaticTable, A::Error> {
        let mut enabled = None;
        while let Some(key) = map.next_key::<String>()? {
            if key != "enabled" {
                return Err(de::Error::unknown_field(&key, &["enabled"]));
            }
            if enabled.is_some() {
                return Err(de::Error::duplicate_field("enabled"));
            }
            enabled = Some(map.next_value::<Spanned<Enabled>>()?);
        }
        Ok(StaticTable::Table { enabled })
    }
}

impl<'de> Deserialize<'de> for StaticTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StaticTableVisitor)
    }
}

impl JsonSchema for StaticTable {
    fn schema_name() -> Cow<'static, str> {
        "StaticTable".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let enabled = generator.subschema_for::<Enabled>();
        json_schema!({
            "oneOf": [
                enabled,
                {
                    "type": "object",
                    "description": "A static configuration's table: `enabled` only. The same value may be written alone under its key in the family's table (`http-api = false` in `[apigateway]`, `response-headers-policy = false` in `[cloudfront]`).",
                    "properties": { "enabled": enabled },
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// The `enabled` setting of a target table, where written; `true` when the table or the key is
/// left out.
#[must_use]
pub fn family_setting(enabled: Option<&Spanned<Enabled>>) -> Enabled {
    enabled.map_or(Enabled::Yes, |e| *e.get_ref())
}

#[cfg(test)]
mod tests {
    use super::{Enabled, StaticTable};

    #[derive(serde::Deserialize)]
    struct Doc {
        a: toml::Spanned<StaticTable>,
        e: Enabled,
    }

    #[test]
    fn the_alias_and_the_table_read_the_same_setting() {
        let alias: Doc = toml::from_str("a = false\ne = \"if-fits\"\n").unwrap();
        assert_eq!(alias.a.get_ref().enabled(alias.a.span()).0, Enabled::No);
        assert_eq!(alias.e, Enabled::IfFits);
        let table: Doc = toml::from_str("e = true\n[a]\nenabled = \"if-fits\"\n").unwrap();
        let (value, span) = table.a.get_ref().enabled(table.a.span());
        assert_eq!(value, Enabled::IfFits);
        assert_eq!(span, Some(23..32));
        let empty: Doc = toml::from_str("e = false\n[a]\n").unwrap();
        assert_eq!(
            empty.a.get_ref().enabled(empty.a.span()),
            (Enabled::IfFits, None)
        );
        assert!(toml::from_str::<Doc>("e = \"yes\"\na = true\n").is_err());
        assert!(toml::from_str::<Doc>("e = true\n[a]\nenable = true\n").is_err());
    }
}
