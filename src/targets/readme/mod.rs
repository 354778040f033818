//! The generated README.md: a stack over every other target's plan. It says what was
//! generated (each file with its description), how to wire each piece, the request path as a
//! Mermaid picture, and what was skipped and why. It has no plan of its own: it is built when it
//! renders, after the platform limits, from the plans and the files rendered before it (so it
//! comes last in the registry).

mod picture;

use serde::Serialize;

use crate::model::{GatewayOrigin, Skipped};
use crate::plan::tables::describe_rules;
use crate::plan::{Header, Plans};
use crate::policy::LambdaLanguage;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::apigateway;
use crate::targets::cloudfront::plan::{Names, StoreEntry};
use crate::targets::cloudfront::{self, CloudFrontPlan};
use crate::targets::fit::StaticContext;
use crate::targets::{Kind, Target, REGISTRY};

/// `README.md`
pub static README: Template = Template {
    path: "README.md",
    source: Some(include_str!("../../../templates/readme/README.md.hbs")),
    runtime: "",
    describe: "this file",
};

/// The generated README.
pub static TARGET: Target = Target {
    name: "readme",
    what: "the generated README",
    alternative: "",
    kind: Kind::Stack,
    depends_on: &[
        "lambda",
        "apigateway",
        "http-api",
        "cloudfront",
        "response-headers-policy",
        "s3",
        "function-url",
        "alb",
        "cdk",
        "sam",
        "serverless",
    ],
    requires: &[],
    table: None,
    files: &[&README],
    embedded: &[],
    checks: super::no_checks,
    plan: super::no_plan,
    limits: None,
    render,
    answer: None,
};

/// One line of the generated README's file table.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactSummary {
    /// Path under `--out`.
    pub path: String,
    /// What it is.
    pub what: String,
}

/// The view model of the out directory's README.md.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeContext {
    /// Generated-file header.
    pub header: Header,
    /// The policy's name.
    pub policy_name: String,
    /// The policy's file name.
    pub policy_file: String,
    /// The environment, if any.
    pub env: Option<String>,
    /// Every other generated file.
    pub artifacts: Vec<ArtifactSummary>,
    /// Whether a Lambda snippet was generated.
    pub lambda: bool,
    /// Whether the Python snippet was generated.
    pub python: bool,
    /// Whether the Node snippet was generated.
    pub node: bool,
    /// One line per rule: which paths, which origins.
    pub rules: Vec<String>,
    /// Whether some rule has an allowlist (not `*`).
    pub allowlist: bool,
    /// The routes the snippets match on, for the path caveat.
    pub has_routes: bool,
    /// The REST API part, when API Gateway artifacts are emitted.
    pub apigateway: Option<ReadmeApiGateway>,
    /// Whether the HTTP API configuration was emitted.
    pub http_api: bool,
    /// Whether S3 bucket CORS was emitted.
    pub s3: bool,
    /// Whether the function URL's CORS was emitted (the snippets then leave the headers to it).
    pub function_url: bool,
    /// Whether the ALB response headers were emitted.
    pub alb: bool,
    /// Whether the CDK module was emitted.
    pub cdk: bool,
    /// Whether the SAM fragments were emitted.
    pub sam: bool,
    /// Whether the Serverless Framework fragments were emitted.
    pub serverless: bool,
    /// The CloudFront part, when CloudFront artifacts are emitted.
    pub cloudfront: Option<ReadmeCloudFront>,
    /// The request path as a Mermaid flowchart, one line each.
    pub picture: Vec<String>,
    /// Targets skipped under `enabled = "if-fits"`, and why.
    pub skipped: Vec<Skipped>,
    /// The response headers policy's name, when it is emitted without the CloudFront Functions.
    pub response_headers_policy_alone: Option<String>,
}

/// The CloudFront section of the out directory's README.md.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeCloudFront {
    /// The functions' runtime.
    pub runtime: &'static str,
    /// Whether exact origins live in a KeyValueStore.
    pub kvs: bool,
    /// Whether the store was chosen because the inline functions were too large.
    pub kvs_fallback: bool,
    /// The store's first origin entry, to show the key format as the file has it.
    pub kvs_example: Option<StoreEntry>,
    /// The key of the entry that carries the generated-file header.
    pub kvs_header_key: &'static str,
    /// Whether the response headers policy was emitted.
    pub response_headers_policy: bool,
    /// What the cache behavior caches and forwards.
    pub cache: crate::targets::cloudfront::plan::CachePlan,
    /// The path prefix the functions strip before matching routes; empty for none.
    pub path_prefix: String,
    /// Whether the functions match routes (the policy has routes with their own rules).
    pub routes: bool,
    /// Resource names.
    pub names: Names,
}

/// The REST API section of the out directory's README.md.
#[derive(Debug, Clone, Serialize)]
pub struct ReadmeApiGateway {
    /// Resource paths with an OPTIONS method.
    pub resources: Vec<String>,
    /// Each resource's id as the example root module passes it (`resource_ids`).
    pub terraform_ids: Vec<(String, String)>,
    /// Gateway-response types with CORS headers.
    pub gateway_responses: Vec<String>,
    /// What gateway responses send as `Access-Control-Allow-Origin`, in words.
    pub gateway_origin: String,
    /// Whether any integration response needs a mapping template.
    pub templated: bool,
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let context = readme(plans, out);
    out.push(templates.file(&README, &context)?);
    Ok(())
}

/// What a generated file is, from the template that renders it.
fn describe(path: &str) -> &'static str {
    REGISTRY
        .iter()
        .flat_map(|t| t.files.iter())
        .find(|f| f.path == path)
        .map_or("", |f| f.describe)
}

/// The README's view model: the plans, and the files rendered before it.
fn readme(plans: &Plans<'_>, files: &[RenderedFile]) -> ReadmeContext {
    let policy = plans.policy;
    let api = plans
        .get::<apigateway::ApiGatewayPlan>(apigateway::TARGET.name)
        .map(|p| &p.context);
    let http_api = plans.emits(apigateway::http_api::TARGET.name);
    let cloudfront = plans.get::<CloudFrontPlan>(cloudfront::TARGET.name);
    // In the order the targets rendered them: family by family.
    let artifacts = files
        .iter()
        .map(|f| ArtifactSummary {
            path: f.path.clone(),
            what: describe(&f.path).to_string(),
        })
        .collect();
    ReadmeContext {
        header: plans.header.clone(),
        policy_name: policy.name.clone(),
        policy_file: plans.policy_file.clone(),
        env: policy.env.clone(),
        artifacts,
        lambda: plans.emits(crate::targets::lambda::TARGET.name),
        python: policy.lambda_languages.contains(&LambdaLanguage::Python),
        node: policy.lambda_languages.contains(&LambdaLanguage::Node),
        rules: describe_rules(policy),
        allowlist: std::iter::once(&policy.default_rule)
            .chain(policy.routes.iter().map(|r| &r.rule))
            .any(|r| !matches!(r.origins, crate::model::AllowedOrigins::Any)),
        has_routes: !policy.routes.is_empty(),
        http_api,
        s3: plans.emits(crate::targets::s3::TARGET.name),
        function_url: plans.emits(crate::targets::function_url::TARGET.name),
        alb: plans.emits(crate::targets::alb::TARGET.name),
        cdk: plans.emits(crate::targets::cdk::TARGET.name),
        sam: plans.emits(crate::targets::sam::TARGET.name),
        serverless: plans.emits(crate::targets::serverless::TARGET.name),
        apigateway: api.zip(policy.apigateway.as_ref()).map(|(context, settings)| ReadmeApiGateway {
            resources: context.resources.iter().map(|r| r.path.clone()).collect(),
            terraform_ids: context
                .resources
                .iter()
                .map(|r| {
                    let id = if r.path == "/" {
                        "aws_api_gateway_rest_api.api.root_resource_id".to_string()
                    } else {
                        format!("aws_api_gateway_resource.{}.id", r.tf_name)
                    };
                    (r.path.clone(), id)
                })
                .collect(),
            gateway_responses: context
                .gateway_responses
                .iter()
                .map(|g| g.response_type.clone())
                .collect(),
            gateway_origin: match &settings.gateway_origin {
                GatewayOrigin::Static(origin) if origin == "*" => {
                    "they send Access-Control-Allow-Origin: *".to_string()
                }
                GatewayOrigin::Static(origin) => format!(
                    "they send \"{origin}\" statically, so other allowed sites see a CORS error instead of the status"
                ),
                GatewayOrigin::Reflect => "they echo any Origin (gateway-response-origin = \"reflect\"), so every site can read these error responses".to_string(),
            },
            templated: !context.mapping_templates.is_empty(),
        }),
        cloudfront: cloudfront.zip(policy.cloudfront.as_ref()).map(|(planned, settings)| {
            let context = &planned.context;
            ReadmeCloudFront {
                runtime: context.runtime,
                kvs: context.kvs,
                kvs_fallback: context.kvs && !cloudfront::plan::starts_with_store(settings),
                kvs_example: context.store.first().cloned(),
                kvs_header_key: context.store_header_key,
                cache: context.cache.clone(),
                path_prefix: context.path_prefix.clone(),
                routes: !context.routes.is_empty(),
                response_headers_policy: plans
                    .emits(cloudfront::response_headers_policy::TARGET.name),
                names: context.names.clone(),
            }
        }),
        picture: picture::request_path(plans),
        skipped: plans.skipped.clone(),
        response_headers_policy_alone: plans
            .get::<StaticContext>(cloudfront::response_headers_policy::TARGET.name)
            .filter(|_| cloudfront.is_none())
            .and_then(|c| c.names.as_ref()?.get("response_headers_policy")?.as_str())
            .map(str::to_string),
    }
}
