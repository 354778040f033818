//! The API Gateway family: REST API preflight methods (MOCK integrations with mapping templates
//! where several origins are allowed), integration responses for non-proxy integrations and
//! gateway responses, as OpenAPI, CloudFormation and Terraform. The HTTP API's static
//! configuration is its own target ([`http_api`]) that reads this family's plan.
//!
//! Table `[apigateway]` ([`table`]); checks in [`validate`]; the view model in [`plan`].

pub mod http_api;
pub(crate) mod json;
pub mod limits;
pub mod plan;
pub mod table;
mod validate;

use crate::plan::Plans;
use crate::render::{self, RenderedFile, Template, Templates};

use super::{Kind, Target};
pub use plan::ApiGatewayContext;

/// The mapping template (Velocity) that every API Gateway file embeds, rendered first.
const MAPPING_TEMPLATE: (&str, &str) = (
    "apigateway/origin.vtl.hbs",
    include_str!("../../../templates/apigateway/origin.vtl.hbs"),
);

/// `apigateway/openapi.json`, serialized.
pub static OPENAPI: Template = Template {
    path: "apigateway/openapi.json",
    source: None,
    runtime: "",
    describe: "REST API: OPTIONS preflight per resource (MOCK integration) and gateway responses, as OpenAPI 3 with API Gateway extensions",
};

/// `apigateway/cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "apigateway/cloudformation.yaml",
    source: Some(include_str!("../../../templates/apigateway/cloudformation.yaml.hbs")),
    runtime: "",
    describe: "REST API: the same as AWS::ApiGateway::Method and AWS::ApiGateway::GatewayResponse resources",
};

/// `apigateway/terraform.tf`
pub static TERRAFORM: Template = Template {
    path: "apigateway/terraform.tf",
    source: Some(include_str!(
        "../../../templates/apigateway/terraform.tf.hbs"
    )),
    runtime: "",
    describe: "REST API: the same as aws_api_gateway_* resources (a Terraform module)",
};

/// `apigateway/integration-responses.json`, serialized.
pub static INTEGRATION_RESPONSES: Template = Template {
    path: "apigateway/integration-responses.json",
    source: None,
    runtime: "",
    describe: "REST API: CORS for the actual responses of non-proxy integrations, per resource, to merge into their method and integration responses",
};

/// The API Gateway family.
pub static TARGET: Target = Target {
    name: "apigateway",
    what: "the API Gateway artifacts",
    alternative: "the Lambda snippets (lambda/) or the CloudFront Functions express every policy",
    kind: Kind::Family,
    depends_on: &[],
    requires: &[],
    table: Some(("[apigateway]", "RawApiGateway")),
    files: &[
        &OPENAPI,
        &CLOUDFORMATION,
        &TERRAFORM,
        &INTEGRATION_RESPONSES,
    ],
    embedded: &[MAPPING_TEMPLATE],
    checks: validate::checks,
    plan: plan_family,
    limits: Some(limits::check),
    render: render_family,
    answer: None,
};

/// The family's plan: the view model, and its files rendered (their sizes and counts are
/// checked against API Gateway's and CloudFormation's limits before anything is written).
#[derive(Debug)]
pub struct ApiGatewayPlan {
    /// The view model.
    pub context: ApiGatewayContext,
    /// The mapping templates, rendered.
    pub vtl: Vec<String>,
    /// The template data (the view model and its mapping templates).
    pub(crate) data: serde_json::Value,
    /// The files the limits measure, rendered: the OpenAPI document and the CloudFormation
    /// template (the others are rendered with the rest of the output).
    pub files: Vec<RenderedFile>,
}

fn plan_family(plans: &mut Plans<'_>, templates: &mut Templates) -> anyhow::Result<()> {
    let Some(api) = &plans.policy.apigateway else {
        return Ok(());
    };
    let context = plan::plan(plans.policy, api, &plans.header);
    let (data, vtl) = template_data(&context, templates)?;
    let files = vec![
        render::serialized(&OPENAPI, json::rest_openapi(&context, &vtl))?,
        templates.file(&CLOUDFORMATION, &data)?,
    ];
    plans.insert(
        TARGET.name,
        ApiGatewayPlan {
            context,
            vtl,
            data,
            files,
        },
    );
    Ok(())
}

/// The family's template data: the view model plus its mapping templates, rendered first (each
/// file embeds them, escaped for its own language, as `vtl[index]`), and the texts themselves.
fn template_data(
    context: &ApiGatewayContext,
    templates: &mut Templates,
) -> anyhow::Result<(serde_json::Value, Vec<String>)> {
    let vtl = context
        .mapping_templates
        .iter()
        .map(|t| {
            let text = templates.text(MAPPING_TEMPLATE.0, MAPPING_TEMPLATE.1, t)?;
            Ok(text.trim_end().to_string())
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let data = render::with_field(context, "vtl", serde_json::Value::from(vtl.clone()))?;
    let data = render::with_field(
        &data,
        "configuration_digest",
        serde_json::Value::from(configuration_digest(context, &vtl)?),
    )?;
    Ok((data, vtl))
}

/// A digest of what the REST API's CORS configuration is (the OPTIONS methods, their mapping
/// templates, the gateway responses), and of nothing else: Terraform's redeployment trigger.
fn configuration_digest(context: &ApiGatewayContext, vtl: &[String]) -> anyhow::Result<String> {
    let text = serde_json::to_string(&(
        &context.resources,
        &context.gateway_responses,
        &context.request_templates,
        vtl,
    ))?;
    Ok(crate::source::hex_prefix(&text, 32))
}

fn render_family(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    if let Some(planned) = plans.get::<ApiGatewayPlan>(TARGET.name) {
        out.extend(planned.files.iter().cloned());
        out.push(templates.file(&TERRAFORM, &planned.data)?);
        out.push(render::serialized(
            &INTEGRATION_RESPONSES,
            json::integration_responses(&planned.context, &planned.vtl),
        )?);
    }
    Ok(())
}
