//! The AWS SAM stack: what an `AWS::Serverless::Api` needs to carry the REST configuration.
//! `sam/api-properties.yaml` holds the `Auth` (`AddDefaultAuthorizerToCorsPreflight: false`) and
//! `GatewayResponses` properties to merge into the API's `Properties`; `sam/definition-body.yaml`
//! the OPTIONS operations (MOCK integrations, mapping templates) to merge into its
//! `DefinitionBody` paths. The app's own non-proxy methods take their 2XX responses from
//! `apigateway/integration-responses.json`.
//!
//! Table `[sam]`: `enabled` (default false: a stack's output is opt-in). It needs the API
//! Gateway artifacts (see [`super::stack`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use toml::Spanned;

use crate::plan::{Header, Plans};
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::apigateway::json as openapi;
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Kind, Target};

/// `[sam]`: the AWS SAM fragments.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSam {
    /// Emit the AWS SAM fragments (`sam/api-properties.yaml`, `sam/definition-body.yaml`):
    /// `true`, `false` or `"if-fits"`. They carry the API Gateway artifacts into an
    /// `AWS::Serverless::Api`, so they need them: with `[apigateway] enabled = false`, `true` is
    /// an error; when they are skipped under `"if-fits"`, these are skipped with them (the
    /// generated README says so). Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
}

/// `sam/api-properties.yaml`
pub static API_PROPERTIES: Template = Template {
    path: "sam/api-properties.yaml",
    source: Some(include_str!(
        "../../../templates/sam/api-properties.yaml.hbs"
    )),
    runtime: "",
    describe: "AWS SAM: the Auth and GatewayResponses properties of your AWS::Serverless::Api",
};

/// `sam/definition-body.yaml`
pub static DEFINITION_BODY: Template = Template {
    path: "sam/definition-body.yaml",
    source: Some(include_str!(
        "../../../templates/sam/definition-body.yaml.hbs"
    )),
    runtime: "",
    describe: "AWS SAM: the OPTIONS operations to merge into the API's DefinitionBody paths",
};

/// The SAM stack.
pub static TARGET: Target = Target {
    name: "sam",
    what: "the AWS SAM fragments",
    alternative: "apply apigateway/openapi.json as the API's DefinitionBody instead",
    kind: Kind::Stack,
    depends_on: &["apigateway"],
    requires: &["apigateway"],
    table: Some(("[sam]", "RawSam")),
    files: &[&API_PROPERTIES, &DEFINITION_BODY],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    super::stack::checks(&TARGET, raw.sam.as_ref().and_then(|t| t.enabled.as_ref()))
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    super::stack::plan(&TARGET, plans);
    Ok(())
}

/// What both templates render.
#[derive(Serialize)]
struct SamContext<'a> {
    header: &'a Header,
    /// `Auth` and `GatewayResponses`.
    properties: Value,
    /// `paths`: each resource's `options` operation.
    definition: Value,
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let Some(planned) = super::stack::api_plan(&TARGET, plans) else {
        return Ok(());
    };
    let context = &planned.context;
    let responses: Map<String, Value> = context
        .gateway_responses
        .iter()
        .map(|g| {
            let headers: Map<String, Value> = g
                .headers()
                .map(|(name, value)| (name.to_string(), Value::from(value)))
                .collect();
            (
                g.response_type.clone(),
                json!({"ResponseParameters": {"Headers": headers}}),
            )
        })
        .collect();
    // The OPTIONS operations exactly as apigateway/openapi.json has them.
    let rendered = planned
        .files
        .iter()
        .find(|f| f.path == super::apigateway::OPENAPI.path)
        .map(|f| f.contents.clone());
    let document: Value = serde_json::from_str(&match rendered {
        Some(text) => text,
        None => openapi::rest_openapi(context, &planned.vtl)?,
    })?;
    let data = SamContext {
        header: &plans.header,
        properties: json!({
            "Auth": {
                "AddDefaultAuthorizerToCorsPreflight": false,
                "AddApiKeyRequiredToCorsPreflight": false,
            },
            "GatewayResponses": responses,
        }),
        definition: json!({"paths": document["paths"]}),
    };
    out.push(templates.file(&API_PROPERTIES, &data)?);
    out.push(templates.file(&DEFINITION_BODY, &data)?);
    Ok(())
}
