//! corsgen: one declarative CORS policy in, every AWS artifact it needs out.
//!
//! The pipeline, one module per stage, data flowing one way:
//! `policy` (parse) → `validate` → [`model::Policy`] → `engine` (the CORS decision) →
//! `plan` (view models) → `render` (embedded handlebars templates) → `limits` (platform limits
//! only the rendered output shows, such as CloudFront's 10,240-byte functions) → `write`
//! (atomic, or `--check`). The library never prints; the binary does.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod browser;
pub mod check;
pub mod diagnostic;
pub mod doctor;
pub mod engine;
pub mod init;
pub mod limits;
pub mod model;
pub mod origin;
pub mod plan;
pub mod policy;
pub mod probe;
pub mod render;
pub mod report;
pub mod schema;
pub mod source;
pub mod validate;
pub mod write;

use std::fmt;
use std::path::Path;

use anyhow::Context as _;

use crate::diagnostic::Diagnostic;
use crate::model::Policy;
use crate::source::PolicySource;

/// A policy read and validated.
#[derive(Debug)]
pub struct Loaded {
    /// The text as read.
    pub source: PolicySource,
    /// The parsed file, when it parsed.
    pub raw: Option<policy::RawPolicy>,
    /// The resolved policy, when no diagnostic is an error.
    pub policy: Option<Policy>,
    /// Every diagnostic.
    pub diagnostics: Vec<Diagnostic>,
}

/// `--env NAME` names an environment the policy does not define: a usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnv {
    /// The name asked for.
    pub name: String,
    /// The names the policy defines.
    pub available: Vec<String>,
}

impl fmt::Display for UnknownEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment `{}` is not defined in the policy",
            self.name
        )?;
        if self.available.is_empty() {
            write!(f, " (it defines no [env.*] tables)")
        } else {
            write!(f, "; defined: {}", self.available.join(", "))
        }
    }
}

impl std::error::Error for UnknownEnv {}

/// Arguments that name something impossible (an origin no browser sends, a header that cannot
/// be parsed): a usage error, exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Reads and validates the policy at `path` for `env`.
///
/// # Errors
/// I/O errors (with the path), and [`UnknownEnv`] when `env` is not defined.
pub fn load(path: &Path, env: Option<&str>) -> anyhow::Result<Loaded> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read policy {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("policy {} is not UTF-8 text", path.display()))?;
    Ok(load_source(
        PolicySource::new(path.display().to_string(), &text),
        env,
    )?)
}

/// Validates policy text for `env`.
///
/// # Errors
/// [`UnknownEnv`] when `env` is not defined by a policy that parsed.
pub fn load_source(source: PolicySource, env: Option<&str>) -> Result<Loaded, UnknownEnv> {
    let raw = match policy::parse(&source) {
        Ok(raw) => raw,
        Err(diagnostics) => {
            return Ok(Loaded {
                source,
                raw: None,
                policy: None,
                diagnostics,
            })
        }
    };
    if let Some(name) = env {
        let available = validate::env_names(&raw);
        if !available.iter().any(|n| n == name) {
            return Err(UnknownEnv {
                name: name.to_string(),
                available,
            });
        }
    }
    let validation = validate::validate(&raw, &source, env);
    Ok(Loaded {
        source,
        raw: Some(raw),
        policy: validation.policy,
        diagnostics: validation.diagnostics,
    })
}

/// Plans and renders every artifact of a valid policy, in memory.
///
/// With `[cloudfront] key-value-store = "if-needed"`, functions that would exceed CloudFront's
/// size limit are planned again with their exact origins in a KeyValueStore.
///
/// # Errors
/// The outer error only on a bug (a template that fails to render), never on user input; the
/// inner one lists the platform limits the artifacts would break ([`limits`]), each a diagnostic
/// with its fix.
pub fn generate(
    policy: &Policy,
    source: &PolicySource,
) -> anyhow::Result<Result<Vec<render::RenderedFile>, Vec<Diagnostic>>> {
    let renderer = render::Renderer::new()?;
    let store = policy
        .cloudfront
        .as_ref()
        .is_some_and(plan::cloudfront::starts_with_store);
    let mut plan = plan::plan(policy, source, store);
    let mut files = renderer.render(&plan)?;
    let Some(settings) = &policy.cloudfront else {
        return Ok(Ok(files));
    };
    if !store
        && settings.key_value_store == policy::KeyValueStoreChoice::IfNeeded
        && !limits::oversized_functions(&files).is_empty()
    {
        plan = plan::plan(policy, source, true);
        files = renderer.render(&plan)?;
    }
    let broken = limits::check(settings, &plan, &files);
    Ok(if broken.is_empty() {
        Ok(files)
    } else {
        Err(broken)
    })
}
