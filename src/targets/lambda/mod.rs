//! The Lambda family: header snippets for proxy integrations (Python and Node), the same rule
//! tables as data (`crate::plan::tables`) and a static runtime that looks them up.
//!
//! Table `[lambda]`: `enabled`, `languages`. No platform limit: the code expresses every policy.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::engine;
use crate::model::Policy;
use crate::plan::{Header, Plans, RuleTables};
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};

use super::setting::{family_setting, Enabled};
use super::{Checks, Kind, Scope, Target};

/// A language for the Lambda snippets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LambdaLanguage {
    /// `lambda/python/cors.py`
    Python,
    /// `lambda/node/cors.mjs`
    Node,
}

/// `[lambda]`: header snippets for Lambda proxy integrations.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLambda {
    /// Emit the Lambda snippets (`lambda/`): `true`, `false` or `"if-fits"` (the snippets
    /// express every policy, so `"if-fits"` is `true`). Default: true.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
    /// Which snippets to emit. Default: `["python", "node"]`; `[]` emits none.
    pub languages: Option<Vec<LambdaLanguage>>,
    /// Who adds the CORS headers of a function behind a Lambda function URL: `"function"` (the
    /// snippets answer preflights and add the headers) or `"function-url"` (the URL's CORS
    /// configuration does, and the snippets only remove the handler's own, so no header is sent
    /// twice). Default: `"function-url"` when `[function-url]` is enabled, else `"function"`.
    #[schemars(with = "Option<CorsOwner>")]
    pub cors_owner: Option<Spanned<CorsOwner>>,
}

/// Who adds the CORS headers of a function behind a function URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CorsOwner {
    /// The Lambda snippets.
    Function,
    /// The function URL's CORS configuration.
    FunctionUrl,
}

/// `lambda/python/cors.py`
pub static PYTHON: Template = Template {
    path: "lambda/python/cors.py",
    source: Some(include_str!("../../../templates/lambda/cors.py.hbs")),
    runtime: include_str!("../../../templates/lambda/runtime.py"),
    describe: "Python CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
};

/// `lambda/node/cors.mjs`
pub static NODE: Template = Template {
    path: "lambda/node/cors.mjs",
    source: Some(include_str!("../../../templates/lambda/cors.mjs.hbs")),
    runtime: include_str!("../../../templates/lambda/runtime.mjs"),
    describe: "Node.js (ES module) CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
};

/// The Lambda family.
pub static TARGET: Target = Target {
    name: "lambda",
    what: "the Lambda snippets",
    alternative: "",
    kind: Kind::Family,
    depends_on: &[],
    requires: &[],
    table: Some(("[lambda]", "RawLambda")),
    files: &[&PYTHON, &NODE],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

/// The view model of both Lambda snippets.
#[derive(Debug, Clone, Serialize)]
pub struct LambdaContext {
    /// Generated-file header.
    pub header: Header,
    /// The policy's name.
    pub policy_name: String,
    /// Origin sets, rules and routes.
    #[serde(flatten)]
    pub tables: Arc<RuleTables>,
    /// Status of an allowed preflight.
    pub preflight_allowed: u16,
    /// Status of a refused preflight.
    pub preflight_refused: u16,
    /// The snippets to emit.
    #[serde(skip)]
    pub languages: Vec<LambdaLanguage>,
    /// The function URL's CORS configuration adds the headers: the snippets only remove the
    /// handler's.
    pub url_owns_cors: bool,
}

struct LambdaChecks<'a> {
    enabled: Enabled,
    languages: Vec<LambdaLanguage>,
    raw: &'a RawPolicy,
}

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    let table = raw.lambda.as_ref();
    let enabled = family_setting(table.and_then(|t| t.enabled.as_ref()));
    let mut languages = table
        .and_then(|l| l.languages.clone())
        .unwrap_or_else(|| vec![LambdaLanguage::Python, LambdaLanguage::Node]);
    languages.sort();
    languages.dedup();
    (enabled != Enabled::No).then(|| {
        Box::new(LambdaChecks {
            enabled,
            languages,
            raw,
        }) as Box<dyn Checks>
    })
}

impl Checks for LambdaChecks<'_> {
    fn check_static(
        &mut self,
        raw: &RawPolicy,
        _: &[Option<crate::model::RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let Some(owner) = raw.lambda.as_ref().and_then(|t| t.cors_owner.as_ref()) else {
            return;
        };
        let url = super::function_url::enabled(self.raw);
        let problem = match (owner.get_ref(), url) {
            (CorsOwner::Function, true) => Some((
                "cors-owner = \"function\", and [function-url] gives the function's URL a CORS configuration: both would add Access-Control-Allow-Origin, and browsers refuse a response that carries it twice",
                "the URL's configuration and the snippets both add the headers",
                "leave cors-owner out (or set \"function-url\"): the snippets then only remove the handler's CORS headers; or set enabled = false in [function-url]",
            )),
            (CorsOwner::FunctionUrl, false) => Some((
                "cors-owner = \"function-url\", and [function-url] is not enabled: nothing corsgen writes would add the CORS headers",
                "the snippets add no CORS headers under this setting",
                "set enabled = true in [function-url] so corsgen writes the URL's CORS configuration, or leave cors-owner out",
            )),
            _ => None,
        };
        if let Some((message, label, help)) = problem {
            push(
                Diagnostic::new(Code::LambdaCorsOwner, owner.span(), message)
                    .label(label)
                    .help(help),
            );
        }
    }

    fn check_scope(&mut self, _: &Scope<'_>, _: &mut dyn FnMut(Diagnostic)) {}

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        policy.targets.insert(TARGET.name, self.enabled);
        policy.lambda_languages = self.languages;
    }
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    let policy = plans.policy;
    if policy.lambda_languages.is_empty() {
        return Ok(());
    }
    let context = LambdaContext {
        header: plans.header.clone(),
        policy_name: policy.name.clone(),
        tables: plans.tables(),
        preflight_allowed: engine::PREFLIGHT_ALLOWED,
        preflight_refused: engine::PREFLIGHT_REFUSED,
        languages: policy.lambda_languages.clone(),
        url_owns_cors: policy.emits_configuration(super::function_url::TARGET.name),
    };
    plans.insert(TARGET.name, context);
    Ok(())
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let Some(context) = plans.get::<LambdaContext>(TARGET.name) else {
        return Ok(());
    };
    let data = serde_json::to_value(context)?;
    for language in &context.languages {
        let template = match language {
            LambdaLanguage::Python => &PYTHON,
            LambdaLanguage::Node => &NODE,
        };
        out.push(templates.file(template, &data)?);
    }
    Ok(())
}
