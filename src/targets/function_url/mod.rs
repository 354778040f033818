//! Lambda function URL CORS, a static configuration with a table of its own
//! (`[function-url]`): CloudFormation (`AWS::Lambda::Url` `Cors`), Terraform
//! (`aws_lambda_function_url` `cors`) and a script that applies the `--cors` JSON with
//! `aws lambda create-function-url-config` / `update-function-url-config`.
//!
//! What a function URL's CORS can express (AWS's API reference, `Cors`): `AllowOrigins` at most
//! 100 exact origins (or `*`) of at most 253 characters; `AllowMethods` GET, PUT, HEAD, POST,
//! PATCH, DELETE or `*`; `AllowHeaders` and `ExposeHeaders` at most 100 entries of at most 1,024
//! characters; `MaxAge` 0 to 86,400 (as the policy's). One configuration per URL: routes with
//! rules of their own do not fit. Lambda adds the headers to every response through the URL and
//! answers preflights itself, so the function must not add CORS headers too (`[lambda]
//! cors-owner`, see [`crate::targets::lambda`]).
//!
//! Setting: `[function-url] enabled` (default false).

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::model::Policy;
use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::fit::{own_table, Constraint, List, Platform, StaticContext};
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Kind, Setting, Target};

/// `[function-url]`: Lambda function URL CORS.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawFunctionUrl {
    /// Emit the function URL's CORS configuration (`function-url/cloudformation.yaml`,
    /// `function-url/function-url.tf`, `function-url/configure.sh`): `true`, `false` or
    /// `"if-fits"`. Lambda then answers preflights and adds the headers itself, so the Lambda
    /// snippets stop adding them (`[lambda] cors-owner`). Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
}

/// `function-url/cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "function-url/cloudformation.yaml",
    source: Some(include_str!(
        "../../../templates/function-url/cloudformation.yaml.hbs"
    )),
    runtime: "",
    describe: "Lambda function URL: AWS::Lambda::Url with Cors",
};

/// `function-url/function-url.tf`
pub static TERRAFORM: Template = Template {
    path: "function-url/function-url.tf",
    source: Some(include_str!(
        "../../../templates/function-url/function-url.tf.hbs"
    )),
    runtime: "",
    describe: "Lambda function URL: aws_lambda_function_url with cors",
};

/// `function-url/configure.sh`
pub static SCRIPT: Template = Template {
    path: "function-url/configure.sh",
    source: Some(include_str!(
        "../../../templates/function-url/configure.sh.hbs"
    )),
    runtime: "",
    describe: "Lambda function URL: creates or updates the URL's Cors with the AWS CLI",
};

/// Lambda function URL CORS.
pub static TARGET: Target = Target {
    name: "function-url",
    what: "Lambda function URL CORS",
    alternative: "the Lambda snippets (lambda/), with [lambda] cors-owner = \"function\", express every policy",
    kind: Kind::StaticConfiguration,
    depends_on: &[],
    requires: &[],
    table: Some(("[function-url]", "RawFunctionUrl")),
    files: &[&CLOUDFORMATION, &TERRAFORM, &SCRIPT],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

/// What function URL CORS cannot express.
pub static PLATFORM: Platform = Platform {
    target: &TARGET,
    constraints: &[
        Constraint::ExactOrigins {
            field: "AllowOrigins",
        },
        Constraint::OneRule {
            scope: "per function URL",
        },
        Constraint::Methods(&["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE"]),
        Constraint::Limit {
            list: List::Origins,
            field: "AllowOrigins",
            items: 100,
            chars: 253,
        },
        Constraint::Limit {
            list: List::Headers,
            field: "AllowHeaders",
            items: 100,
            chars: 1024,
        },
        Constraint::Limit {
            list: List::Expose,
            field: "ExposeHeaders",
            items: 100,
            chars: 1024,
        },
    ],
    methods_if_none: &[],
    setting,
    methods_added: &[],
    description,
    names: crate::targets::fit::no_names,
    fits_checks: None,
};

fn description(policy: &Policy) -> String {
    format!(
        "Lambda function URL with the CORS of policy {}",
        policy.name
    )
}

fn setting(raw: &RawPolicy) -> Option<Setting> {
    own_table(raw.function_url.as_ref().and_then(|t| t.enabled.as_ref()))
}

/// Whether the policy enables the function URL's CORS (whether or not it fits).
#[must_use]
pub fn enabled(raw: &RawPolicy) -> bool {
    setting(raw).is_some()
}

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    PLATFORM.checks(raw)
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    PLATFORM.plan(plans);
    Ok(())
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let files = [&CLOUDFORMATION, &TERRAFORM, &SCRIPT];
    PLATFORM.render_with(plans, templates, &files, out, |context, data| {
        data["cors_json"] = cors_json(context)?.into();
        Ok(())
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Cors<'a> {
    allow_origins: &'a [String],
    allow_methods: &'a [String],
    allow_headers: &'a [String],
    expose_headers: &'a [String],
    allow_credentials: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u32>,
}

/// The `--cors` value of the AWS CLI, as compact JSON.
fn cors_json(context: &StaticContext) -> serde_json::Result<String> {
    let cors = &context.cors;
    serde_json::to_string(&Cors {
        allow_origins: &cors.allow_origins,
        allow_methods: &cors.allow_methods,
        allow_headers: &cors.allow_headers,
        expose_headers: &cors.expose_headers,
        allow_credentials: cors.allow_credentials,
        max_age: cors.max_age,
    })
}
