//! The static-configuration kind of target: a fixed CORS configuration that a platform applies
//! itself (HTTP API `corsConfiguration`, a CloudFront response headers policy; S3 bucket CORS and
//! Lambda function URL CORS next). Each platform is a [`Platform`]: a table of its constraints,
//! checked the same way for every platform, with the same `enabled` setting and diagnostics; the
//! values come from the engine ([`crate::engine::static_cors`]).

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::engine::StaticCors;
use crate::model::{AllowedOrigins, Policy};
use crate::policy::RawPolicy;

use super::setting::{Enabled, StaticTable};
use super::{unfit, Checks, Problem, Scope, Setting, Skipped, Target};

/// One thing a platform's CORS configuration cannot express.
#[derive(Debug, Clone, Copy)]
pub enum Constraint {
    /// Exact origins and `*` only, no wildcard origins; `field` is the platform's name for the
    /// list.
    ExactOrigins {
        /// The platform's field, e.g. `allowOrigins`.
        field: &'static str,
    },
    /// One configuration for every path: a route cannot have a rule of its own. `scope` says
    /// what the configuration covers (`for the whole API`).
    OneRule {
        /// What one configuration covers.
        scope: &'static str,
    },
    /// Only these methods.
    Methods(&'static [&'static str]),
    /// At least one allowed request header.
    SomeHeaders,
}

/// A platform that takes a static CORS configuration.
pub struct Platform {
    /// The target.
    pub target: &'static Target,
    /// What it cannot express.
    pub constraints: &'static [Constraint],
    /// The methods it sends when the policy lists none (it needs a non-empty list).
    pub methods_if_none: &'static [&'static str],
    /// Where its setting is: `None` when its family is disabled, else the setting as written.
    pub setting: for<'a> fn(&'a RawPolicy) -> Option<Option<&'a Spanned<StaticTable>>>,
}

impl Platform {
    /// What the configuration cannot express in one environment's rules.
    #[must_use]
    pub fn problems(&self, scope: &Scope<'_>) -> Vec<Problem> {
        let what = self.target.what;
        let default = scope.default;
        let mut problems = Vec::new();
        for constraint in self.constraints {
            match *constraint {
                Constraint::ExactOrigins { field } => {
                    if !default.origins_complete {
                        // A rejected origin already has its diagnostic.
                        continue;
                    }
                    if let AllowedOrigins::List(list) = &default.rule.origins {
                        if let Some(w) = list.wildcards.first() {
                            problems.push(Problem {
                                span: default.span.clone(),
                                message: format!("{what} {field} takes exact origins and `*` only, not the wildcard \"{}\"", w.pattern()),
                            });
                        }
                    }
                }
                Constraint::OneRule { scope: covers } => {
                    for site in scope.routes {
                        if let Some(path) = site.own_rule(default.rule) {
                            problems.push(Problem {
                                span: site.span.clone(),
                                message: format!("{what} is one configuration {covers}, and route {path:?} has its own rule"),
                            });
                        }
                    }
                }
                Constraint::Methods(allowed) => {
                    if let Some(method) = default
                        .rule
                        .methods
                        .iter()
                        .find(|m| !allowed.contains(&m.as_str()))
                    {
                        problems.push(Problem {
                            span: default.span.clone(),
                            message: format!(
                                "{what} allows only the methods {}, not \"{method}\"",
                                allowed.join(", ")
                            ),
                        });
                    }
                }
                Constraint::SomeHeaders => {
                    if default.rule.headers.is_empty() {
                        problems.push(Problem {
                            span: default.span.clone(),
                            message: format!(
                                "{what} needs at least one allowed header, and [cors] allows none"
                            ),
                        });
                    }
                }
            }
        }
        problems.sort_by_key(|p| p.span.start);
        problems
    }

    /// The configuration's values for a policy that fits: the engine's, with the platform's
    /// defaults where it needs a value the policy leaves out.
    #[must_use]
    pub fn values(&self, policy: &Policy) -> StaticCors {
        let mut values = crate::engine::static_cors(&policy.default_rule);
        if values.allow_methods.is_empty() {
            values.allow_methods = self
                .methods_if_none
                .iter()
                .map(|m| (*m).to_string())
                .collect();
        }
        values
    }

    /// The platform's validation: `None` when its family or the setting disables it.
    #[must_use]
    pub fn checks<'a>(&'static self, raw: &'a RawPolicy) -> Option<Box<dyn Checks + 'a>> {
        let written = (self.setting)(raw)?;
        let (enabled, at) =
            written.map_or((Enabled::IfFits, None), |w| w.get_ref().enabled(w.span()));
        (enabled != Enabled::No).then(|| {
            Box::new(StaticChecks {
                platform: self,
                setting: Setting {
                    enabled,
                    written: at.is_some(),
                },
                fits: false,
                skipped: None,
            }) as Box<dyn Checks>
        })
    }
}

/// The checks of one static configuration.
struct StaticChecks {
    platform: &'static Platform,
    setting: Setting,
    fits: bool,
    skipped: Option<Skipped>,
}

impl Checks for StaticChecks {
    fn check_scope(&mut self, scope: &Scope<'_>, push: &mut dyn FnMut(Diagnostic)) {
        let target = self.platform.target;
        let problems = self.platform.problems(scope);
        let table = target.table.map_or(target.name, |(title, _)| title);
        let help = format!(
            "{}; or set enabled = \"if-fits\" in {table} to emit it only where it fits",
            target.alternative
        );
        let skipped = unfit(
            target,
            self.setting,
            &problems,
            Code::TargetUnfit,
            &help,
            push,
        );
        if scope.resolved {
            self.fits = problems.is_empty();
            self.skipped = skipped;
        }
    }

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        let name = self.platform.target.name;
        policy.targets.insert(name, self.setting.enabled);
        if self.fits {
            policy.configurations.push(name);
        }
        policy.skipped.extend(self.skipped);
    }
}
