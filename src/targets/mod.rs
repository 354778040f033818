//! TARGETS: every kind of artifact corsgen emits, one folder each, behind one small interface
//! ([`Target`]) that the central stages iterate over ([`REGISTRY`]).
//!
//! A target brings, in its folder: its policy table (the raw serde type) and its checks
//! ([`Checks`], run by `validate` once and per environment), its resolved settings, its plan
//! (a view model built from the engine's answers), its templates (under `templates/<family>/`,
//! a static configuration's next to its family's), and its platform limits (checked on the
//! plan, before anything is written). Three kinds:
//! - a **family** owns a plan made from the engine (API Gateway, Lambda, CloudFront; next S3,
//!   function URLs, ALB);
//! - a **static configuration** is a fixed CORS configuration a platform applies itself (the
//!   HTTP API `corsConfiguration`, the CloudFront response headers policy): its values come from
//!   the engine ([`crate::engine::static_cors`]) and one fit check against the platform's table
//!   of constraints ([`fit`]) decides whether it is emitted; its setting lives in its family's
//!   table (`[apigateway.http-api]`) and follows the family's `enabled = false` unless written;
//! - a **stack** renders the plans of the targets it depends on into another tool's format: the
//!   CDK module, the SAM and Serverless Framework fragments, and the generated README, which
//!   comes last in the registry because it lists every file rendered before it.
//!
//! Every target table takes `enabled = true | false | "if-fits"` ([`setting`]).

pub mod alb;
pub mod apigateway;
pub mod cdk;
pub mod cloudfront;
pub mod fit;
pub mod function_url;
pub mod lambda;
pub mod readme;
pub mod s3;
pub mod sam;
pub mod serverless;
pub mod setting;
pub(crate) mod stack;

use std::ops::Range;

use crate::diagnostic::{Code, Diagnostic};
pub use crate::model::Skipped;
use crate::model::{Policy, RoutePattern, Rule};
use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
pub use setting::Enabled;

/// What a target is (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Owns a plan made from the engine's answers.
    Family,
    /// A fixed configuration a platform applies itself, emitted where the policy fits it.
    StaticConfiguration,
    /// Renders other targets' plans.
    Stack,
}

/// One target: a row of [`REGISTRY`].
pub struct Target {
    /// Its name: the key of its policy table (`[apigateway]`, `[apigateway.http-api]`) and of
    /// its plan.
    pub name: &'static str,
    /// What it is, in words (`HTTP API CORS`), for diagnostics and the README.
    pub what: &'static str,
    /// What expresses the policy when this target cannot, for diagnostics and the README.
    pub alternative: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// The targets whose plans it reads; each comes earlier in [`REGISTRY`].
    pub depends_on: &'static [&'static str],
    /// The targets it cannot be emitted without (a subset of `depends_on`): when one of them is
    /// not emitted, neither is it, and the README says why.
    pub requires: &'static [&'static str],
    /// Its policy table, for the policy reference: the heading and the schema definition.
    pub table: Option<(&'static str, &'static str)>,
    /// Every file it can emit.
    pub files: &'static [&'static Template],
    /// Templates its files embed (name, handlebars source): partials and code rendered first.
    pub embedded: &'static [(&'static str, &'static str)],
    /// Its validation, or `None` when the policy disables it.
    pub checks: for<'a> fn(&'a RawPolicy) -> Option<Box<dyn Checks + 'a>>,
    /// Adds its plan to `plans` (nothing when the policy does not emit it). A plan may render
    /// the code it must measure against a platform limit (CloudFront Functions).
    pub plan: fn(&mut Plans<'_>, &mut Templates) -> anyhow::Result<()>,
    /// The platform limits its plan breaks, each a diagnostic with its fix; `None` for a target
    /// without limits (`validate` plans only the targets that have some).
    pub limits: Option<fn(&Plans<'_>) -> Vec<Diagnostic>>,
    /// Renders its planned files, in memory.
    pub render: fn(&Plans<'_>, &mut Templates, &mut Vec<RenderedFile>) -> anyhow::Result<()>,
    /// Its declared deviation, when the platform's real answer is not the engine's; a target
    /// without one answers as the engine.
    pub answer: Option<Deviation>,
}

/// Where a platform cannot give the engine's answer: what it does instead.
pub struct Deviation {
    /// What differs, in words, for `check`'s fixes and the docs.
    pub what: &'static str,
    /// The platform's real answer to one request (method and headers as sent), under a policy
    /// that emits the target.
    pub answer: fn(&Policy, &str, &[(String, String)]) -> crate::browser::Response,
}

/// Every target, each after the targets it depends on.
pub static REGISTRY: [&Target; 12] = [
    &lambda::TARGET,
    &apigateway::TARGET,
    &apigateway::http_api::TARGET,
    &cloudfront::TARGET,
    &cloudfront::response_headers_policy::TARGET,
    &s3::TARGET,
    &function_url::TARGET,
    &alb::TARGET,
    &cdk::TARGET,
    &sam::TARGET,
    &serverless::TARGET,
    &readme::TARGET,
];

/// A resolved rule and where its origins are written, to point diagnostics at.
pub struct RuleSite<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// The route path, or `None` for the default rule.
    pub route: Option<&'a str>,
    /// Where its allow-origins list is written.
    pub span: Range<usize>,
    /// Where its allow-methods and allow-headers lists are written (each the `span` above when
    /// the rule does not write it).
    pub lists: (Range<usize>, Range<usize>),
    /// False when an origin of the rule was rejected: rules about the list as a whole say
    /// nothing then (the rejected value already has its diagnostic).
    pub origins_complete: bool,
    /// For the default rule: the one exact origin its own allow-origins names before an
    /// environment's extra-origins are added, when it names exactly one (and extra-origins add
    /// more). `None` for routes.
    pub sole_origin: Option<String>,
}

impl<'a> RuleSite<'a> {
    /// The route's path when this is a route whose rule differs from `default`: what a target
    /// with one CORS configuration for every path cannot express.
    #[must_use]
    pub fn own_rule(&self, default: &Rule) -> Option<&'a str> {
        self.route.filter(|_| self.rule != default)
    }
}

/// Which environment a check runs for.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The environment, or `None` for the base policy.
    pub env: Option<&'a str>,
    /// True for the environment the resolved policy is for (the others are only checked).
    pub resolved: bool,
}

/// Which list of a rule [`Checks::check_values`] is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// `allow-methods`.
    Methods,
    /// `allow-headers`.
    RequestHeaders,
    /// `expose-headers`.
    ExposeHeaders,
}

/// One environment's resolved rules, as the targets' checks see them.
pub struct Scope<'a> {
    /// The environment, or `None` for the base policy.
    pub env: Option<&'a str>,
    /// The default rule.
    pub default: &'a RuleSite<'a>,
    /// The routes' rules, in file order.
    pub routes: &'a [RuleSite<'a>],
    /// True for the environment the resolved policy is for (the others are only checked).
    pub resolved: bool,
}

impl Scope<'_> {
    /// Which environment this is.
    #[must_use]
    pub fn place(&self) -> Place<'_> {
        Place {
            env: self.env,
            resolved: self.resolved,
        }
    }
}

/// A target's part of validation. `push` adds a diagnostic (each reported once).
pub trait Checks {
    /// Checks that do not depend on the environment, once. `routes` are the route paths as
    /// parsed (`None` where invalid).
    fn check_static(
        &mut self,
        raw: &RawPolicy,
        routes: &[Option<RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let _ = (raw, routes, push);
    }

    /// Checks one list of methods or headers (`kind` says which) as written, as resolved for
    /// `place`.
    fn check_values(
        &mut self,
        kind: Values,
        values: &[(String, Range<usize>)],
        place: Place<'_>,
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let _ = (kind, values, place, push);
    }

    /// Checks one environment's rules (every environment when none is chosen).
    fn check_scope(&mut self, scope: &Scope<'_>, push: &mut dyn FnMut(Diagnostic));

    /// Puts what was resolved into the policy.
    fn resolve(self: Box<Self>, policy: &mut Policy);
}

/// Something a target cannot express, where it is written.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Where.
    pub span: Range<usize>,
    /// What, in words.
    pub message: String,
    /// What would make it fit, when something would.
    pub fix: Option<String>,
}

/// How a target is enabled, and whether the policy says so (a static configuration left unset
/// is `"if-fits"` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The setting.
    pub enabled: Enabled,
    /// Whether the policy writes it.
    pub written: bool,
    /// Whether it is written as the `version = 1` alias (`http-api = …` in `[apigateway]`).
    pub alias: bool,
}

impl Target {
    /// Its table as written in the policy (`[apigateway.http-api]`), or its name.
    #[must_use]
    pub fn table_title(&self) -> &'static str {
        self.table.map_or(self.name, |(title, _)| title)
    }

    /// How to write `value` as this target's setting, in the spelling the policy uses:
    /// `enabled = false in [apigateway.http-api]`, or `http-api = false in [apigateway]`.
    #[must_use]
    pub fn setting_text(&self, value: &str, alias: bool) -> String {
        let title = self.table_title();
        match title.trim_matches(['[', ']']).rsplit_once('.') {
            Some((family, key)) if alias => format!("{key} = {value} in [{family}]"),
            _ => format!("enabled = {value} in {title}"),
        }
    }
}

/// What a target's fit failures in one environment become under its setting, the same for
/// every target: with `true` each is an error (`code`, with `help`); with `"if-fits"` the target
/// is skipped, with a `target-skipped` warning for each failure when the policy writes the
/// setting (left unset, only the generated README says why). Returns the reasons when the
/// target is skipped for the environment the policy is resolved for.
pub(crate) fn unfit(
    target: &Target,
    setting: Setting,
    place: Place<'_>,
    problems: &[Problem],
    (code, help): (Code, &str),
    push: &mut dyn FnMut(Diagnostic),
) -> Option<Skipped> {
    let enabled = setting.enabled;
    if problems.is_empty() || enabled == Enabled::No {
        return None;
    }
    let label = format!("{} cannot express this", target.what);
    let in_env = place.env.map(|e| format!("env {e}: ")).unwrap_or_default();
    let message = |p: &Problem| format!("{in_env}{}", p.message);
    for problem in problems.iter().filter(|_| setting.written) {
        let diagnostic = if enabled == Enabled::Yes {
            Diagnostic::new(code, problem.span.clone(), message(problem)).help(help)
        } else {
            let when = match place.env {
                Some(env) if !place.resolved => format!(" with --env {env}"),
                _ => String::new(),
            };
            let fix = problem
                .fix
                .as_ref()
                .map(|f| format!("; to make it fit, {f}"))
                .unwrap_or_default();
            Diagnostic::new(Code::TargetSkipped, problem.span.clone(), message(problem)).help(
                format!(
                    "its files are not emitted{when}: {}{fix}; set {} to silence this",
                    target.alternative,
                    target.setting_text("false", setting.alias)
                ),
            )
        };
        push(diagnostic.label(label.clone()));
    }
    (enabled == Enabled::IfFits && place.resolved).then(|| Skipped {
        target: target.name,
        what: target.what,
        reasons: problems.iter().map(|p| p.message.clone()).collect(),
        alternative: target.alternative,
    })
}

/// The checks of a target without a policy table.
pub(crate) fn no_checks(_: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    None
}

/// The plan of a target that plans nothing ahead of rendering.
pub(crate) fn no_plan(_: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::REGISTRY;

    #[test]
    fn every_target_comes_after_what_it_depends_on() {
        for (index, target) in REGISTRY.iter().enumerate() {
            for required in target.requires {
                assert!(target.depends_on.contains(required), "{}", target.name);
            }
            for dependency in target.depends_on {
                let at = REGISTRY.iter().position(|t| t.name == *dependency);
                assert!(
                    at.is_some_and(|at| at < index),
                    "{} depends on {dependency}",
                    target.name
                );
            }
        }
        // A stack lists what was rendered before it: stacks come last.
        let first_stack = REGISTRY.iter().position(|t| t.kind == super::Kind::Stack);
        assert!(first_stack
            .is_some_and(|at| REGISTRY[at..].iter().all(|t| t.kind == super::Kind::Stack)));
        let mut names: Vec<&str> = REGISTRY.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
    }

    #[test]
    fn no_two_targets_emit_the_same_path() {
        let mut paths: Vec<&str> = REGISTRY
            .iter()
            .flat_map(|t| t.files.iter().map(|f| f.path))
            .collect();
        let count = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), count);
    }
}
