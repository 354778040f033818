//! RENDER: [`Plan`] → files in memory, through handlebars templates embedded in the binary.
//!
//! The registry is strict (an undefined field is an error) and never HTML-escapes; every value
//! placed in code goes through the escaping helper of that language (`helpers`). Output is
//! normalised to LF with exactly one trailing newline. A render error is a corsgen bug.

mod helpers;

use anyhow::Context as _;
use handlebars::Handlebars;

use crate::plan::{Context, Plan};

/// A template embedded in the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateId {
    /// `templates/lambda/cors.py.hbs`
    LambdaPython,
    /// `templates/lambda/cors.mjs.hbs`
    LambdaNode,
    /// `templates/readme/README.md.hbs`
    Readme,
}

impl TemplateId {
    const ALL: [TemplateId; 3] = [
        TemplateId::LambdaPython,
        TemplateId::LambdaNode,
        TemplateId::Readme,
    ];

    fn name(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => "lambda/cors.py",
            TemplateId::LambdaNode => "lambda/cors.mjs",
            TemplateId::Readme => "readme/README.md",
        }
    }

    fn source(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => include_str!("../../templates/lambda/cors.py.hbs"),
            TemplateId::LambdaNode => include_str!("../../templates/lambda/cors.mjs.hbs"),
            TemplateId::Readme => include_str!("../../templates/readme/README.md.hbs"),
        }
    }

    /// What the rendered file is, for the generated README.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => "Python CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
            TemplateId::LambdaNode => "Node.js (ES module) CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
            TemplateId::Readme => "this file",
        }
    }
}

/// A generated file, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path under `--out`, `/`-separated.
    pub path: String,
    /// Full contents, LF line endings, one trailing newline.
    pub contents: String,
}

/// The template registry, built once.
pub struct Renderer {
    registry: Handlebars<'static>,
}

impl Renderer {
    /// Registers every embedded template and helper.
    ///
    /// # Errors
    /// Only if an embedded template does not compile (a corsgen bug).
    pub fn new() -> anyhow::Result<Self> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        for id in TemplateId::ALL {
            registry
                .register_template_string(id.name(), id.source())
                .with_context(|| {
                    format!("bug: embedded template {} does not compile", id.name())
                })?;
        }
        Ok(Self { registry })
    }

    /// Renders every planned file.
    ///
    /// # Errors
    /// Only on a bug: a view model that does not fit its template.
    pub fn render(&self, plan: &Plan) -> anyhow::Result<Vec<RenderedFile>> {
        plan.files
            .iter()
            .map(|file| {
                let text = match &file.context {
                    Context::Lambda(c) => self.registry.render(file.template.name(), c),
                    Context::Readme(c) => self.registry.render(file.template.name(), c),
                }
                .with_context(|| {
                    format!("bug: template {} failed to render", file.template.name())
                })?;
                Ok(RenderedFile {
                    path: file.path.clone(),
                    contents: normalize(&text),
                })
            })
            .collect()
    }
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

    #[test]
    fn normalize_trims_and_ends_with_one_newline() {
        assert_eq!(normalize("a  \r\nb\n\n\n"), "a\nb\n");
    }
}
