//! The HTTP API `corsConfiguration`, a static configuration: emitted where HTTP API CORS can
//! express the policy (exact origins, one rule for the whole API), as OpenAPI
//! `x-amazon-apigateway-cors`, CloudFormation and Terraform.
//!
//! Setting: `[apigateway.http-api] enabled`, or `http-api = …` in `[apigateway]`.

use toml::Spanned;

use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{self, RenderedFile, Template, Templates};
use crate::targets::fit::{family_member, Constraint, Platform, StaticContext};
use crate::targets::setting::{family_setting, Enabled};
use crate::targets::{Checks, Kind, Setting, Target};

use super::json;

/// `apigateway/http-api.openapi.json`, serialized.
pub static OPENAPI: Template = Template {
    path: "apigateway/http-api.openapi.json",
    source: None,
    runtime: "",
    describe: "HTTP API: x-amazon-apigateway-cors",
};

/// `apigateway/http-api.cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "apigateway/http-api.cloudformation.yaml",
    source: Some(include_str!(
        "../../../templates/apigateway/http-api.cloudformation.yaml.hbs"
    )),
    runtime: "",
    describe: "HTTP API: AWS::ApiGatewayV2::Api CorsConfiguration",
};

/// `apigateway/http-api.tf`
pub static TERRAFORM: Template = Template {
    path: "apigateway/http-api.tf",
    source: Some(include_str!(
        "../../../templates/apigateway/http-api.tf.hbs"
    )),
    runtime: "",
    describe: "HTTP API: aws_apigatewayv2_api cors_configuration",
};

/// HTTP API CORS.
pub static TARGET: Target = Target {
    name: "http-api",
    what: "HTTP API CORS",
    alternative: "the Lambda snippets (lambda/), or a CloudFront Function in front of the HTTP API, express every policy",
    kind: Kind::StaticConfiguration,
    depends_on: &[],
    requires: &[],
    table: Some(("[apigateway.http-api]", "StaticTable")),
    files: &[&OPENAPI, &CLOUDFORMATION, &TERRAFORM],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

/// What HTTP API CORS cannot express.
pub static PLATFORM: Platform = Platform {
    target: &TARGET,
    constraints: &[
        Constraint::ExactOrigins {
            field: "allowOrigins",
        },
        Constraint::OneRule {
            scope: "for the whole API",
        },
    ],
    methods_if_none: &[],
    setting,
    methods_added: &[],
    description: super::plan::description,
    names: crate::targets::fit::no_names,
    fits_checks: None,
};

fn setting(raw: &RawPolicy) -> Option<Setting> {
    let table = raw.apigateway.as_ref().map(Spanned::get_ref);
    family_member(
        table.and_then(|t| t.http_api.as_ref()),
        family_setting(table.and_then(|t| t.enabled.as_ref())) != Enabled::No,
    )
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
    if let Some(context) = plans.get::<StaticContext>(TARGET.name) {
        out.push(render::serialized(
            &OPENAPI,
            json::http_api_openapi(context),
        )?);
    }
    PLATFORM.render(plans, templates, &[&CLOUDFORMATION, &TERRAFORM], out)
}
