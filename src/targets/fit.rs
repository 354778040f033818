//! The static-configuration kind of target: a fixed CORS configuration that a platform applies
//! itself (HTTP API `corsConfiguration`, a CloudFront response headers policy; S3 bucket CORS and
//! Lambda function URL CORS next). Each platform is a [`Platform`]: a table of its constraints,
//! checked the same way for every platform, with the same `enabled` setting and diagnostics; the
//! values come from the engine ([`crate::engine::static_cors`]).

use toml::Spanned;

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::engine::StaticCors;
use crate::model::{AllowedOrigins, Policy};
use crate::plan::{Header, Plans};
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};

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
    /// The same static headers for every origin: `allow-origins = ["*"]` without credentials
    /// only.
    AnyOriginOnly,
    /// Each header value (the lists joined with `,`) at most `bytes` long, of the characters in
    /// `allowed` and ASCII letters and digits only.
    ValueText {
        /// The most bytes of one value.
        bytes: usize,
        /// The punctuation allowed besides letters and digits.
        allowed: &'static str,
    },
    /// At most `items` entries in one of the lists, each at most `chars` characters; `field`
    /// is the platform's name for it.
    Limit {
        /// Which list.
        list: List,
        /// The platform's field, e.g. `AllowOrigins`.
        field: &'static str,
        /// The most entries.
        items: usize,
        /// The most characters of one entry.
        chars: usize,
    },
}

/// A list of the default rule that a platform limits.
#[derive(Debug, Clone, Copy)]
pub enum List {
    /// `allow-origins`.
    Origins,
    /// `allow-headers`.
    Headers,
    /// `expose-headers`.
    Expose,
}

/// A platform that takes a static CORS configuration.
pub struct Platform {
    /// The target.
    pub target: &'static Target,
    /// What it cannot express.
    pub constraints: &'static [Constraint],
    /// The methods it sends when the policy lists none (it needs a non-empty list).
    pub methods_if_none: &'static [&'static str],
    /// Its setting, `None` when it is off: see [`family_member`] and [`own_table`].
    pub setting: fn(&RawPolicy) -> Option<Setting>,
    /// Methods the configuration always lists besides the policy's, because the platform checks
    /// the actual request's method too (S3: GET, HEAD and POST).
    pub methods_added: &'static [&'static str],
    /// The description its CloudFormation template carries.
    pub description: fn(&Policy) -> String,
    /// The names of its resources, when its templates name them.
    pub names: fn(&Policy) -> Option<serde_json::Value>,
    /// What it checks besides its constraints, in an environment where the configuration fits
    /// (what the platform would do with a policy it expresses): S3's credentials header.
    pub fits_checks: Option<FitsChecks>,
}

/// A platform's checks of one environment where its configuration fits, given the policy as
/// written.
pub type FitsChecks = fn(&RawPolicy, &Scope<'_>, &mut dyn FnMut(Diagnostic));

/// The view model of a static configuration's files.
#[derive(Debug, Clone, Serialize)]
pub struct StaticContext {
    /// Generated-file header.
    pub header: Header,
    /// The policy's name.
    pub policy_name: String,
    /// The CloudFormation template's description.
    pub description: String,
    /// Resource names, when the templates use them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<serde_json::Value>,
    /// The configuration.
    pub cors: StaticCors,
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
                                fix: None,
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
                                fix: None,
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
                            span: default.lists.0.clone(),
                            message: format!(
                                "{what} allows only the methods {}, not \"{method}\"",
                                allowed.join(", ")
                            ),
                            fix: None,
                        });
                    }
                }
                Constraint::Limit {
                    list,
                    field,
                    items,
                    chars,
                } => {
                    let values = values_of(default.rule, list);
                    let span = match list {
                        List::Headers => default.lists.1.clone(),
                        List::Origins | List::Expose => default.span.clone(),
                    };
                    let long = values.iter().find(|v| v.chars().count() > chars);
                    if values.len() > items {
                        problems.push(Problem {
                            span: span.clone(),
                            message: format!(
                                "{what} {field} takes at most {items} entries, and the policy has {}",
                                values.len()
                            ),
                            fix: None,
                        });
                    } else if let Some(long) = long {
                        problems.push(Problem {
                            span: span.clone(),
                            message: format!(
                                "{what} {field} takes entries of at most {chars} characters, not \"{long}\" ({})",
                                long.chars().count()
                            ),
                            fix: None,
                        });
                    }
                }
                Constraint::AnyOriginOnly => {
                    if default.origins_complete
                        && !matches!(default.rule.origins, AllowedOrigins::Any)
                    {
                        problems.push(Problem {
                            span: default.span.clone(),
                            message: format!("{what} sends the same static headers to every origin, so it expresses only allow-origins = [\"*\"] (without credentials), not an allowlist"),
                            fix: None,
                        });
                    }
                }
                Constraint::ValueText { bytes, allowed } => {
                    let cors = crate::engine::static_cors(default.rule);
                    let values = [
                        (
                            "allow-methods",
                            cors.allow_methods.join(","),
                            &default.lists.0,
                        ),
                        (
                            "allow-headers",
                            cors.allow_headers.join(","),
                            &default.lists.1,
                        ),
                        (
                            "expose-headers",
                            cors.expose_headers.join(","),
                            &default.span,
                        ),
                    ];
                    for (key, value, span) in values {
                        let bad = value
                            .chars()
                            .find(|c| !c.is_ascii_alphanumeric() && !allowed.contains(*c));
                        let message = match bad {
                            Some(c) => format!("{what} takes header values of letters, digits and {allowed} only, and {key} has {c:?}"),
                            None if value.len() > bytes => format!("{what} takes header values of at most {bytes} bytes, and {key} joined is {}", value.len()),
                            None => continue,
                        };
                        problems.push(Problem {
                            span: span.clone(),
                            message,
                            fix: None,
                        });
                    }
                }
                Constraint::SomeHeaders => {
                    if default.rule.headers.is_empty() {
                        problems.push(Problem {
                            span: default.lists.1.clone(),
                            message: format!(
                                "{what} needs at least one allowed header, and [cors] allows none"
                            ),
                            fix: None,
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
        let added: Vec<String> = self
            .methods_added
            .iter()
            .filter(|m| !values.allow_methods.iter().any(|a| a == *m))
            .map(|m| (*m).to_string())
            .collect();
        values.allow_methods.splice(0..0, added);
        if values.allow_methods.is_empty() {
            values.allow_methods = self
                .methods_if_none
                .iter()
                .map(|m| (*m).to_string())
                .collect();
        }
        values
    }

    /// Plans the configuration when the policy fits it.
    pub fn plan(&self, plans: &mut Plans<'_>) {
        let policy = plans.policy;
        if policy.emits_configuration(self.target.name) {
            let context = StaticContext {
                header: plans.header.clone(),
                policy_name: policy.name.clone(),
                description: (self.description)(policy),
                names: (self.names)(policy),
                cors: self.values(policy),
            };
            plans.insert(self.target.name, context);
        }
    }

    /// Renders `templates` from the plan, when there is one.
    ///
    /// # Errors
    /// Only on a bug: a view model that does not fit its template.
    pub fn render(
        &self,
        plans: &Plans<'_>,
        templates: &mut Templates,
        files: &[&Template],
        out: &mut Vec<RenderedFile>,
    ) -> anyhow::Result<()> {
        self.render_with(plans, templates, files, out, |_, _| Ok(()))
    }

    /// [`Platform::render`], with what `extend` adds to the view model from the plan (values
    /// its templates need in another form: a JSON string, padding).
    ///
    /// # Errors
    /// Only on a bug: a view model that does not fit its template.
    pub fn render_with(
        &self,
        plans: &Plans<'_>,
        templates: &mut Templates,
        files: &[&Template],
        out: &mut Vec<RenderedFile>,
        extend: impl FnOnce(&StaticContext, &mut serde_json::Value) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if let Some(context) = plans.get::<StaticContext>(self.target.name) {
            let mut data = serde_json::to_value(context)?;
            extend(context, &mut data)?;
            for template in files {
                out.push(templates.file(template, &data)?);
            }
        }
        Ok(())
    }

    /// The platform's validation: `None` when the setting disables it (or leaves it to a
    /// disabled family).
    #[must_use]
    pub fn checks<'a>(&'static self, raw: &'a RawPolicy) -> Option<Box<dyn Checks + 'a>> {
        let setting = (self.setting)(raw)?;
        Some(Box::new(StaticChecks {
            platform: self,
            raw,
            setting,
            fits: false,
            skipped: None,
        }))
    }
}

/// The `names` of a platform whose templates name no resource.
#[must_use]
pub fn no_names(_: &Policy) -> Option<serde_json::Value> {
    None
}

/// One list of `rule` as a static configuration writes it.
fn values_of(rule: &crate::model::Rule, list: List) -> Vec<String> {
    let cors = crate::engine::static_cors(rule);
    match list {
        List::Origins => cors.allow_origins,
        List::Headers => cors.allow_headers,
        List::Expose => cors.expose_headers,
    }
}

/// The setting of a static configuration that belongs to a family: written as its own table
/// (`[apigateway.http-api]`) or as the family's key (`http-api = …`), it stands alone; unset,
/// it is `"if-fits"` and follows the family (`[apigateway] enabled = false` turns it off too).
#[must_use]
pub fn family_member(written: Option<&Spanned<StaticTable>>, family: bool) -> Option<Setting> {
    if written.is_none() && !family {
        return None;
    }
    let (enabled, at) = written.map_or((Enabled::IfFits, None), |w| w.get_ref().enabled(w.span()));
    let alias = written.is_some_and(|w| matches!(w.get_ref(), StaticTable::Alias(_)));
    (enabled != Enabled::No).then_some(Setting {
        enabled,
        written: at.is_some(),
        alias,
    })
}

/// The setting of a static configuration with a top-level table of its own (`[s3]`): off
/// unless its `enabled` says otherwise.
#[must_use]
pub fn own_table(enabled: Option<&Spanned<Enabled>>) -> Option<Setting> {
    let enabled = *enabled?.get_ref();
    (enabled != Enabled::No).then_some(Setting {
        enabled,
        written: true,
        alias: false,
    })
}

/// The checks of one static configuration.
struct StaticChecks<'a> {
    platform: &'static Platform,
    raw: &'a RawPolicy,
    setting: Setting,
    fits: bool,
    skipped: Option<Skipped>,
}

impl Checks for StaticChecks<'_> {
    fn check_scope(&mut self, scope: &Scope<'_>, push: &mut dyn FnMut(Diagnostic)) {
        let target = self.platform.target;
        let problems = self.platform.problems(scope);
        let help = format!(
            "{}; or set {} to emit it only where it fits",
            target.alternative,
            target.setting_text("\"if-fits\"", self.setting.alias)
        );
        let skipped = unfit(
            target,
            self.setting,
            scope.place(),
            &problems,
            (Code::TargetUnfit, &help),
            push,
        );
        if let (Some(fits_checks), true) = (self.platform.fits_checks, problems.is_empty()) {
            fits_checks(self.raw, scope, push);
        }
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
