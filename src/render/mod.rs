//! RENDER: [`Plans`] → files in memory, through handlebars templates embedded in the binary.
//! Each target renders its own files ([`crate::targets::Target::render`]) with the shared
//! registry ([`Templates`]) and helpers; JSON files are serialized from typed documents.
//!
//! The registry is strict (an undefined field is an error) and never HTML-escapes; every value
//! placed in code goes through the escaping helper of that language (`helpers`). Output is
//! normalised to LF with exactly one trailing newline. A render error is a corsgen bug.

pub(crate) mod helpers;
mod precompiled;

use anyhow::Context as _;
use handlebars::{Handlebars, RenderErrorReason};
use serde::Serialize;

use crate::plan::Plans;
use crate::targets::REGISTRY;

/// A file a target can emit.
#[derive(Debug)]
pub struct Template {
    /// Its path under `--out`, `/`-separated; also its name in the template registry.
    pub path: &'static str,
    /// Its handlebars source (`templates/…`); `None` for files serialized with serde_json.
    pub source: Option<&'static str>,
    /// Static code appended after the rendered text: the Lambda snippets' runtime, kept as real
    /// `.py` / `.mjs` files (`templates/lambda/runtime.*`) that only read the data tables the
    /// template renders above them. Empty for every other file.
    pub runtime: &'static str,
    /// What the file is, for the generated README.
    pub describe: &'static str,
}

/// A generated file, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path under `--out`, `/`-separated.
    pub path: String,
    /// Full contents, LF line endings, one trailing newline.
    pub contents: String,
}

/// The handlebars registry: strict, no HTML escaping, the escaping helpers; each template
/// registered the first time it is used, from its precompiled tree (`precompiled`), or
/// compiled from its source when that tree is out of date.
pub struct Templates {
    registry: Handlebars<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// A registry with the helpers and no template compiled yet.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        Self { registry }
    }

    /// Compiles `source` as `name` unless compiled already (also how partials are registered).
    ///
    /// # Errors
    /// Only on a bug: an embedded template that does not compile.
    pub fn ensure(&mut self, name: &'static str, source: &'static str) -> anyhow::Result<()> {
        if self.registry.has_template(name) {
            return Ok(());
        }
        match precompiled::template(name, source)? {
            Some(template) => self.registry.register_template(name, template),
            None => self
                .registry
                .register_template_string(name, source)
                .with_context(|| format!("bug: embedded template {name} does not compile"))?,
        }
        Ok(())
    }

    /// Renders the template `source`, called `name`, with `data`: text that a file embeds.
    ///
    /// # Errors
    /// Only on a bug: a view model that does not fit its template.
    pub fn text(
        &mut self,
        name: &'static str,
        source: &'static str,
        data: &impl Serialize,
    ) -> anyhow::Result<String> {
        self.ensure(name, source)?;
        self.registry
            .render(name, data)
            .with_context(|| format!("bug: template {name} failed to render"))
    }

    /// Renders the file `template` with `data`.
    ///
    /// # Errors
    /// Only on a bug: a serialized file, or a view model that does not fit its template.
    pub fn file(
        &mut self,
        template: &Template,
        data: &impl Serialize,
    ) -> anyhow::Result<RenderedFile> {
        let source = template
            .source
            .with_context(|| format!("bug: {} is serialized, not rendered", template.path))?;
        let text = self.text(template.path, source, data)?;
        Ok(RenderedFile {
            path: template.path.to_string(),
            contents: normalize(&(text + template.runtime)),
        })
    }
}

/// The template `name` built from `src/render/compiled.rs` without parsing, when that file was
/// generated from exactly this `source`: for the test that proves it equal to `source` compiled.
///
/// # Errors
/// Only on a bug: a precompiled path or literal that handlebars does not accept.
#[doc(hidden)]
pub fn precompiled(
    name: &str,
    source: &str,
) -> anyhow::Result<Option<handlebars::template::Template>> {
    precompiled::template(name, source)
}

#[doc(hidden)]
pub use precompiled::digest;

/// The serialized file `template` (JSON built by serde_json).
///
/// # Errors
/// Only on a bug: a document that does not serialize.
pub fn serialized(
    template: &Template,
    text: serde_json::Result<String>,
) -> anyhow::Result<RenderedFile> {
    let text = text.with_context(|| format!("bug: {} does not serialize", template.path))?;
    Ok(RenderedFile {
        path: template.path.to_string(),
        contents: normalize(&text),
    })
}

/// Renders every target's planned files, in path order.
///
/// # Errors
/// Only on a bug: a view model that does not fit its template.
pub fn render(plans: &Plans, templates: &mut Templates) -> anyhow::Result<Vec<RenderedFile>> {
    let mut files = Vec::new();
    for target in REGISTRY {
        (target.render)(plans, templates, &mut files)?;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// `context` as template data, plus `key` holding `value` (text rendered before it, or a
/// dependent target's part).
///
/// # Errors
/// Only on a bug: a view model that does not serialize.
pub fn with_field(
    context: &impl Serialize,
    key: &str,
    value: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let mut data = serde_json::to_value(context)
        .map_err(|e| RenderErrorReason::Other(e.to_string()))
        .context("bug: a view model does not serialize")?;
    if let Some(map) = data.as_object_mut() {
        map.insert(key.into(), value);
    }
    Ok(data)
}

/// LF line endings, no trailing spaces, exactly one trailing newline.
fn normalize(text: &str) -> String {
    let mut out: String = text
        .replace("\r\n", "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    /// Templates compile when a plan first needs them; each one compiles.
    #[test]
    fn every_embedded_template_compiles() {
        for (name, source) in crate::targets::REGISTRY.iter().flat_map(|t| {
            t.files
                .iter()
                .filter_map(|f| Some((f.path, f.source?)))
                .chain(t.embedded.iter().copied())
        }) {
            assert!(handlebars::Template::compile(source).is_ok(), "{name}");
        }
    }

    #[test]
    fn normalize_trims_and_ends_with_one_newline() {
        assert_eq!(normalize("a  \r\nb\n\n\n"), "a\nb\n");
    }
}
