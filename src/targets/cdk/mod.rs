//! The CDK stack: a module a CDK app imports to apply the policy to its own `RestApi`
//! (`applyCors`): the OPTIONS methods with their MOCK integrations and mapping templates, the
//! method responses and the gateway responses, found or created by path; the integration and
//! method responses of the app's own non-proxy methods (`corsIntegrationResponse`,
//! `corsMethodResponse`); and, where the policy fits HTTP API CORS, the `corsPreflight` of an
//! `HttpApi`. One template renders `cdk/cors.ts` and `cdk/cors.js` (CommonJS); `cdk/cors.d.ts`
//! types the latter.
//!
//! Table `[cdk]`: `enabled` (default false: a stack's output is opt-in). It applies the API
//! Gateway artifacts, so it needs them: `[apigateway] enabled = false` turns it into a misfit,
//! and when the API Gateway artifacts are skipped, so is it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::plan::{Header, Plans};
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::apigateway::json::{self, entries, Ordered};
use crate::targets::apigateway::plan::{ApiGatewayContext, Responses};
use crate::targets::fit::StaticContext;
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Kind, Target};

/// `[cdk]`: the AWS CDK module.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCdk {
    /// Emit the CDK module (`cdk/cors.ts`, `cdk/cors.js` with `cdk/cors.d.ts`): `true`, `false`
    /// or `"if-fits"`. It applies the API Gateway artifacts to the app's own `RestApi`, so it
    /// needs them: with `[apigateway] enabled = false`, `true` is an error; when they are
    /// skipped under `"if-fits"`, it is skipped with them (the generated README says so).
    /// Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
}

/// `cdk/cors.ts`
pub static TYPESCRIPT: Template = Template {
    path: "cdk/cors.ts",
    source: Some(include_str!("../../../templates/cdk/cors.ts.hbs")),
    runtime: "",
    describe: "AWS CDK module (TypeScript): applyCors(api) adds the preflight methods and gateway responses to your RestApi",
};

/// `cdk/cors.js`
pub static COMMONJS: Template = Template {
    path: "cdk/cors.js",
    source: Some(include_str!("../../../templates/cdk/cors.ts.hbs")),
    runtime: "",
    describe: "the same module for JavaScript CDK apps (CommonJS)",
};

/// `cdk/cors.d.ts`
pub static DECLARATIONS: Template = Template {
    path: "cdk/cors.d.ts",
    source: Some(include_str!("../../../templates/cdk/cors.d.ts.hbs")),
    runtime: "",
    describe: "type declarations of cdk/cors.js",
};

/// The CDK stack.
pub static TARGET: Target = Target {
    name: "cdk",
    what: "the CDK module",
    alternative:
        "apply apigateway/openapi.json or apigateway/cloudformation.yaml to the API instead",
    kind: Kind::Stack,
    depends_on: &["apigateway", "http-api"],
    requires: &["apigateway"],
    table: Some(("[cdk]", "RawCdk")),
    files: &[&TYPESCRIPT, &COMMONJS, &DECLARATIONS],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    super::stack::checks(&TARGET, raw.cdk.as_ref().and_then(|t| t.enabled.as_ref()))
}

/// The module's data: what `applyCors` adds, per resource, and the gateway responses.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkData<'a> {
    resources: Vec<CdkResource<'a>>,
    gateway_responses: Vec<CdkGatewayResponse<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkResource<'a> {
    path: &'a str,
    /// The OPTIONS method.
    preflight: CdkMethod<'a>,
    /// What the app's own non-proxy methods on this resource map and declare.
    actual: CdkResponses<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkMethod<'a> {
    request_templates: Ordered<&'a str>,
    integration_responses: [json::IntegrationResponse<'a>; 1],
    method_responses: Vec<CdkMethodResponse>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkResponses<'a> {
    integration_response: json::IntegrationResponse<'a>,
    method_response: CdkMethodResponse,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkMethodResponse {
    status_code: String,
    response_parameters: Ordered<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdkGatewayResponse<'a> {
    /// The construct id.
    id: &'a str,
    #[serde(rename = "type")]
    response_type: &'a str,
    /// Header name → mapping expression (`'value'`, `method.request.header.Origin`).
    response_headers: Ordered<&'a str>,
}

fn method_response(status: &str, keys: &[String]) -> CdkMethodResponse {
    CdkMethodResponse {
        status_code: status.to_string(),
        response_parameters: Ordered(keys.iter().map(|k| (k.clone(), true)).collect()),
    }
}

fn integration_response<'a>(r: &'a Responses, vtl: &'a [String]) -> json::IntegrationResponse<'a> {
    json::IntegrationResponse {
        status_code: &r.status,
        response_parameters: entries(&r.parameters),
        response_templates: json::template(r, vtl),
    }
}

fn data<'a>(c: &'a ApiGatewayContext, vtl: &'a [String]) -> CdkData<'a> {
    CdkData {
        resources: c
            .resources
            .iter()
            .map(|r| {
                let p = &r.preflight;
                let mut method_responses = vec![method_response(&p.status, &p.declared_keys)];
                if let Some(refused) = &p.refused_status {
                    method_responses.push(method_response(
                        refused,
                        &["method.response.header.Vary".to_string()],
                    ));
                }
                CdkResource {
                    path: &r.path,
                    preflight: CdkMethod {
                        request_templates: entries(&c.request_templates),
                        integration_responses: [integration_response(p, vtl)],
                        method_responses,
                    },
                    actual: CdkResponses {
                        integration_response: integration_response(&r.actual, vtl),
                        method_response: method_response(&r.actual.status, &r.actual.declared_keys),
                    },
                }
            })
            .collect(),
        gateway_responses: c
            .gateway_responses
            .iter()
            .map(|g| CdkGatewayResponse {
                id: &g.id,
                response_type: &g.response_type,
                response_headers: Ordered(
                    g.headers()
                        .map(|(name, value)| (name.to_string(), value))
                        .collect(),
                ),
            })
            .collect(),
    }
}

/// The HTTP API's `corsPreflight` (aws-apigatewayv2 `CorsPreflightOptions`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpApiPreflight<'a> {
    allow_origins: &'a [String],
    allow_credentials: bool,
    allow_methods: &'a [String],
    allow_headers: &'a [String],
    expose_headers: &'a [String],
    /// Seconds (`Duration.seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u32>,
}

/// What the template renders.
#[derive(Serialize)]
struct CdkContext<'a> {
    header: &'a Header,
    /// TypeScript (`cors.ts`) or CommonJS (`cors.js`).
    ts: bool,
    cors: CdkData<'a>,
    http_api: Option<HttpApiPreflight<'a>>,
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    super::stack::plan(&TARGET, plans);
    Ok(())
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let Some(planned) = super::stack::api_plan(&TARGET, plans) else {
        return Ok(());
    };
    let http_api = plans
        .get::<StaticContext>(super::apigateway::http_api::TARGET.name)
        .map(|s| HttpApiPreflight {
            allow_origins: &s.cors.allow_origins,
            allow_credentials: s.cors.allow_credentials,
            allow_methods: &s.cors.allow_methods,
            allow_headers: &s.cors.allow_headers,
            expose_headers: &s.cors.expose_headers,
            max_age: s.cors.max_age,
        });
    // Serialized once; the three files differ only in `ts`.
    let mut context = serde_json::to_value(CdkContext {
        header: &plans.header,
        ts: true,
        cors: data(&planned.context, &planned.vtl),
        http_api,
    })?;
    out.push(templates.file(&TYPESCRIPT, &context)?);
    context["ts"] = serde_json::Value::Bool(false);
    out.push(templates.file(&COMMONJS, &context)?);
    context["ts"] = serde_json::Value::Bool(true);
    out.push(templates.file(&DECLARATIONS, &context)?);
    Ok(())
}
