//! corsgen: one declarative CORS policy in, every AWS artifact it needs out.
//!
//! The pipeline, one module per stage, data flowing one way:
//! `policy` (parse) → `validate` → [`model::Policy`] → `engine` (the CORS decision) →
//! `plan` (view models) → limits (each target's platform limits, checked on its plan) →
//! `render` (embedded handlebars templates) → `write` (only the files its manifest owns, all or
//! nothing; or `--check`). The library never prints; the binary does, and maps each
//! [`FailureKind`] to its exit code.
//!
//! The artifacts are `targets`: one folder per family (API Gateway, Lambda, CloudFront), per
//! static configuration (HTTP API CORS, the CloudFront response headers policy) and per stack
//! (the generated README), each with its policy table, checks, plan, templates and limits,
//! behind one interface the stages iterate over ([`targets::REGISTRY`]).
//!
//! `fetch` holds the Fetch standard's tables (tokens, methods, forbidden and safelisted
//! headers) that validation and the browser model both read.
//!
//! The explain side shares the engine: `browser` (Chromium's checks and messages) ← `check`
//! (engine + model + fixes) ← `probe` and `doctor`; `address` parses every URL they handle as
//! browsers do and finds the path a route is matched on.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod address;
pub mod audit;
pub mod browser;
pub mod check;
pub mod commands;
pub mod diagnostic;
pub mod doctor;
pub mod engine;
pub mod failure;
pub mod fetch;
pub mod init;
pub mod model;
pub mod origin;
pub mod plan;
pub mod policy;
pub mod probe;
pub mod render;
pub mod report;
pub mod schema;
pub mod serve;
pub mod source;
pub mod targets;
pub mod validate;
pub mod write;

use std::path::Path;

use anyhow::Context as _;

use crate::diagnostic::Diagnostic;
pub use crate::failure::{Failure, FailureKind};
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

/// Reads and validates the policy at `path` for `env`.
///
/// A file that is not UTF-8 is an invalid policy: the result holds one located diagnostic.
///
/// # Errors
/// An I/O failure naming the path, and a usage failure when `env` is not defined.
pub fn load(path: &Path, env: Option<&str>) -> Result<Loaded, Failure> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read policy {}", path.display()))
        .map_err(Failure::io)?;
    let name = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => load_source(PolicySource::new(name, &text), env),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let byte = error.as_bytes()[valid];
            let source = PolicySource::new(name, &String::from_utf8_lossy(error.as_bytes()));
            // The valid prefix survives the lossy conversion except for its CRLFs, which the
            // source reads as LF: the replacement character sits that much earlier.
            let crlf = error.as_bytes()[..valid]
                .windows(2)
                .filter(|w| w == b"\r\n")
                .count();
            let at = valid - crlf;
            let diagnostic = Diagnostic::new(
                diagnostic::Code::InvalidEncoding,
                at..at + '\u{fffd}'.len_utf8(),
                format!("the policy is not UTF-8 text: byte 0x{byte:02X} cannot start a UTF-8 character here"),
            )
            .label("not UTF-8")
            .help("save the file as UTF-8 (TOML files must be UTF-8); editors call it \"UTF-8\" or \"UTF-8 without BOM\"");
            Ok(Loaded {
                source,
                raw: None,
                policy: None,
                diagnostics: vec![diagnostic],
            })
        }
    }
}

/// Validates policy text for `env`.
///
/// # Errors
/// A usage failure when `env` is not defined by a policy that parsed (with a "did you mean").
pub fn load_source(source: PolicySource, env: Option<&str>) -> Result<Loaded, Failure> {
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
            return Err(Failure::usage(unknown_env(name, &available)));
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

/// The message for `--env NAME` when the policy has no `[env.NAME]`.
fn unknown_env(name: &str, available: &[String]) -> String {
    let mut message = format!("environment `{name}` is not defined in the policy");
    if available.is_empty() {
        message.push_str(" (it defines no [env.*] tables)");
        return message;
    }
    let lower = name.to_ascii_lowercase();
    let best = available
        .iter()
        .map(|a| (strsim::jaro_winkler(&lower, &a.to_ascii_lowercase()), a))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, guess)) = best {
        message.push_str(&format!("; did you mean `{guess}`?"));
    }
    message.push_str(&format!(" (the policy defines: {})", available.join(", ")));
    message
}

/// What `emit` writes for a valid policy, and the warnings of targets skipped on the way.
#[derive(Debug)]
pub struct Generated {
    /// Every file, rendered in memory, in path order.
    pub files: Vec<render::RenderedFile>,
    /// A `target-skipped` warning for each platform limit of an `enabled = "if-fits"` target.
    pub warnings: Vec<Diagnostic>,
}

/// Plans and renders every artifact of a valid policy, in memory.
///
/// # Errors
/// The outer error only on a bug (a template that fails to render), never on user input; the
/// inner one lists the platform limits the artifacts would break, each a diagnostic with its
/// fix.
pub fn generate(
    policy: &Policy,
    source: &PolicySource,
) -> anyhow::Result<Result<Generated, Vec<Diagnostic>>> {
    let mut templates = render::Templates::new();
    let (plans, warnings) = match planned(policy, source, &mut templates, |_| true)? {
        Ok(planned) => planned,
        Err(broken) => return Ok(Err(broken)),
    };
    let files = render::render(&plans, &mut templates)?;
    Ok(Ok(Generated { files, warnings }))
}

/// The platform limits a valid policy's artifacts would break, and the targets skipped for
/// them: what `validate` adds to the policy's diagnostics. Only what the limits measure is
/// rendered (the CloudFront functions), not everything `emit` writes.
///
/// # Errors
/// Only on a bug (a template that fails to render).
pub fn limit_diagnostics(
    policy: &Policy,
    source: &PolicySource,
) -> anyhow::Result<Vec<Diagnostic>> {
    let mut templates = render::Templates::new();
    // Only the targets with platform limits are planned: nothing is rendered from these plans.
    Ok(
        match planned(policy, source, &mut templates, |t| t.limits.is_some())? {
            Ok((_, warnings)) => warnings,
            Err(broken) => broken,
        },
    )
}

/// Every target's plan and the warnings of its limits (targets skipped for one, advice); or
/// the limits broken, with those warnings.
type Planned<'a> = Result<(plan::Plans<'a>, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Plans every target and checks each one's platform limits: with `enabled = "if-fits"` a
/// target that breaks one is skipped with a warning, otherwise the limit is an error.
fn planned<'a>(
    policy: &'a Policy,
    source: &PolicySource,
    templates: &mut render::Templates,
    keep: impl Fn(&targets::Target) -> bool,
) -> anyhow::Result<Planned<'a>> {
    let mut plans = plan::plan(policy, source, templates, keep)?;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for target in targets::REGISTRY {
        let Some(limits) = target.limits else {
            continue;
        };
        let (broken, advice): (Vec<Diagnostic>, Vec<Diagnostic>) =
            limits(&plans).into_iter().partition(Diagnostic::is_error);
        if broken.is_empty() {
            warnings.extend(advice);
            continue;
        }
        if policy.targets.get(target.name) == Some(&targets::Enabled::IfFits) {
            let problems: Vec<targets::Problem> = broken
                .iter()
                .map(|d| targets::Problem {
                    span: d.span.clone().unwrap_or_default(),
                    message: d.message.clone(),
                    fix: Some(d.help.clone()),
                })
                .collect();
            // A family is `true` unless the policy writes `"if-fits"`.
            let setting = targets::Setting {
                enabled: targets::Enabled::IfFits,
                written: true,
                alias: false,
            };
            let place = targets::Place {
                env: policy.env.as_deref(),
                resolved: true,
            };
            let skipped = targets::unfit(
                target,
                setting,
                place,
                &problems,
                (diagnostic::Code::TargetSkipped, ""),
                &mut |d| warnings.push(d),
            );
            if let Some(skipped) = skipped {
                plans.skip(target.name, skipped);
            }
        } else {
            errors.extend(broken);
            // Advice about a target that is not written only when it is (not when skipped).
            errors.extend(advice);
        }
    }
    Ok(if errors.is_empty() {
        Ok((plans, warnings))
    } else {
        errors.extend(warnings);
        Err(errors)
    })
}
