//! RENDER: [`Plan`] → files in memory, through handlebars templates embedded in the binary.
//!
//! The registry is strict (an undefined field is an error) and never HTML-escapes; every value
//! placed in code goes through the escaping helper of that language (`helpers`). Output is
//! normalised to LF with exactly one trailing newline. A render error is a corsgen bug.

mod helpers;
mod json;

use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;

use anyhow::Context as _;
use handlebars::{Handlebars, RenderErrorReason};

use crate::plan::apigateway::ApiGatewayContext;
use crate::plan::cloudfront::CloudFrontContext;
use crate::plan::{Context, Plan};

/// A template embedded in the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateId {
    /// `templates/lambda/cors.py.hbs`
    LambdaPython,
    /// `templates/lambda/cors.mjs.hbs`
    LambdaNode,
    /// `templates/readme/README.md.hbs`
    Readme,
    /// `apigateway/openapi.json`, serialized (`render/json.rs`)
    RestOpenApi,
    /// `templates/apigateway/cloudformation.yaml.hbs`
    RestCloudFormation,
    /// `templates/apigateway/terraform.tf.hbs`
    RestTerraform,
    /// `apigateway/integration-responses.json`, serialized (`render/json.rs`)
    IntegrationResponses,
    /// `apigateway/http-api.openapi.json`, serialized (`render/json.rs`)
    HttpApiOpenApi,
    /// `templates/apigateway/http-api.cloudformation.yaml.hbs`
    HttpApiCloudFormation,
    /// `templates/apigateway/http-api.tf.hbs`
    HttpApiTerraform,
    /// `templates/cloudfront/viewer-request.js.hbs`
    CloudFrontViewerRequest,
    /// `templates/cloudfront/viewer-response.js.hbs`
    CloudFrontViewerResponse,
    /// `templates/cloudfront/cloudformation.yaml.hbs`
    CloudFrontCloudFormation,
    /// `templates/cloudfront/terraform.tf.hbs`
    CloudFrontTerraform,
    /// `cloudfront/key-value-store.json`, serialized (`render/json.rs`)
    CloudFrontKeyValueStore,
    /// `templates/cloudfront/response-headers-policy.cloudformation.yaml.hbs`
    ResponseHeadersPolicyCloudFormation,
    /// `templates/cloudfront/response-headers-policy.tf.hbs`
    ResponseHeadersPolicyTerraform,
}

/// The mapping template (Velocity) that API Gateway files embed, rendered before them.
const MAPPING_TEMPLATE: (&str, &str) = (
    "apigateway/origin.vtl",
    include_str!("../../templates/apigateway/origin.vtl.hbs"),
);

/// The code both CloudFront Functions share, used as a partial.
const CLOUDFRONT_COMMON: (&str, &str) = (
    "cloudfront/common.js",
    include_str!("../../templates/cloudfront/common.js.hbs"),
);

impl TemplateId {
    /// Every template, for the test that compiles them all.
    #[cfg(test)]
    const ALL: [TemplateId; 17] = [
        TemplateId::LambdaPython,
        TemplateId::LambdaNode,
        TemplateId::Readme,
        TemplateId::RestOpenApi,
        TemplateId::RestCloudFormation,
        TemplateId::RestTerraform,
        TemplateId::IntegrationResponses,
        TemplateId::HttpApiOpenApi,
        TemplateId::HttpApiCloudFormation,
        TemplateId::HttpApiTerraform,
        TemplateId::CloudFrontViewerRequest,
        TemplateId::CloudFrontViewerResponse,
        TemplateId::CloudFrontCloudFormation,
        TemplateId::CloudFrontTerraform,
        TemplateId::CloudFrontKeyValueStore,
        TemplateId::ResponseHeadersPolicyCloudFormation,
        TemplateId::ResponseHeadersPolicyTerraform,
    ];

    /// The registry name; for API Gateway and CloudFront files also the path under `--out`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => "lambda/cors.py",
            TemplateId::LambdaNode => "lambda/cors.mjs",
            TemplateId::Readme => "readme/README.md",
            TemplateId::RestOpenApi => "apigateway/openapi.json",
            TemplateId::RestCloudFormation => "apigateway/cloudformation.yaml",
            TemplateId::RestTerraform => "apigateway/terraform.tf",
            TemplateId::IntegrationResponses => "apigateway/integration-responses.json",
            TemplateId::HttpApiOpenApi => "apigateway/http-api.openapi.json",
            TemplateId::HttpApiCloudFormation => "apigateway/http-api.cloudformation.yaml",
            TemplateId::HttpApiTerraform => "apigateway/http-api.tf",
            TemplateId::CloudFrontViewerRequest => "cloudfront/viewer-request.js",
            TemplateId::CloudFrontViewerResponse => "cloudfront/viewer-response.js",
            TemplateId::CloudFrontCloudFormation => "cloudfront/cloudformation.yaml",
            TemplateId::CloudFrontTerraform => "cloudfront/terraform.tf",
            TemplateId::CloudFrontKeyValueStore => "cloudfront/key-value-store.json",
            TemplateId::ResponseHeadersPolicyCloudFormation => {
                "cloudfront/response-headers-policy.cloudformation.yaml"
            }
            TemplateId::ResponseHeadersPolicyTerraform => "cloudfront/response-headers-policy.tf",
        }
    }

    /// The handlebars source; `None` for the JSON files, serialized by [`json`] instead.
    fn source(self) -> Option<&'static str> {
        Some(match self {
            TemplateId::LambdaPython => include_str!("../../templates/lambda/cors.py.hbs"),
            TemplateId::LambdaNode => include_str!("../../templates/lambda/cors.mjs.hbs"),
            TemplateId::Readme => include_str!("../../templates/readme/README.md.hbs"),
            TemplateId::RestOpenApi => return None,
            TemplateId::RestCloudFormation => {
                include_str!("../../templates/apigateway/cloudformation.yaml.hbs")
            }
            TemplateId::RestTerraform => {
                include_str!("../../templates/apigateway/terraform.tf.hbs")
            }
            TemplateId::IntegrationResponses => return None,
            TemplateId::HttpApiOpenApi => return None,
            TemplateId::HttpApiCloudFormation => {
                include_str!("../../templates/apigateway/http-api.cloudformation.yaml.hbs")
            }
            TemplateId::HttpApiTerraform => {
                include_str!("../../templates/apigateway/http-api.tf.hbs")
            }
            TemplateId::CloudFrontViewerRequest => {
                include_str!("../../templates/cloudfront/viewer-request.js.hbs")
            }
            TemplateId::CloudFrontViewerResponse => {
                include_str!("../../templates/cloudfront/viewer-response.js.hbs")
            }
            TemplateId::CloudFrontCloudFormation => {
                include_str!("../../templates/cloudfront/cloudformation.yaml.hbs")
            }
            TemplateId::CloudFrontTerraform => {
                include_str!("../../templates/cloudfront/terraform.tf.hbs")
            }
            TemplateId::CloudFrontKeyValueStore => return None,
            TemplateId::ResponseHeadersPolicyCloudFormation => {
                include_str!(
                    "../../templates/cloudfront/response-headers-policy.cloudformation.yaml.hbs"
                )
            }
            TemplateId::ResponseHeadersPolicyTerraform => {
                include_str!("../../templates/cloudfront/response-headers-policy.tf.hbs")
            }
        })
    }

    /// Code that follows the rendered template as it is: the Lambda snippets' runtime, kept
    /// as real `.py` / `.mjs` files (`templates/lambda/runtime.*`) that only read the data
    /// tables the template renders above them. Empty for every other template.
    #[must_use]
    pub(crate) fn runtime(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => include_str!("../../templates/lambda/runtime.py"),
            TemplateId::LambdaNode => include_str!("../../templates/lambda/runtime.mjs"),
            _ => "",
        }
    }

    /// What the rendered file is, for the generated README.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            TemplateId::LambdaPython => "Python CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
            TemplateId::LambdaNode => "Node.js (ES module) CORS helper for Lambda proxy integrations (REST payload 1.0 and HTTP API payload 2.0)",
            TemplateId::Readme => "this file",
            TemplateId::RestOpenApi => "REST API: OPTIONS preflight per resource (MOCK integration) and gateway responses, as OpenAPI 3 with API Gateway extensions",
            TemplateId::RestCloudFormation => "REST API: the same as AWS::ApiGateway::Method and AWS::ApiGateway::GatewayResponse resources",
            TemplateId::RestTerraform => "REST API: the same as aws_api_gateway_* resources (a Terraform module)",
            TemplateId::IntegrationResponses => "REST API: CORS for the actual responses of non-proxy integrations, per resource, to merge into their method and integration responses",
            TemplateId::HttpApiOpenApi => "HTTP API: x-amazon-apigateway-cors",
            TemplateId::HttpApiCloudFormation => "HTTP API: AWS::ApiGatewayV2::Api CorsConfiguration",
            TemplateId::HttpApiTerraform => "HTTP API: aws_apigatewayv2_api cors_configuration",
            TemplateId::CloudFrontViewerRequest => "CloudFront Function (viewer request): answers CORS preflights at the edge",
            TemplateId::CloudFrontViewerResponse => "CloudFront Function (viewer response): CORS headers for allowlisted origins only; strips the origin server's",
            TemplateId::CloudFrontCloudFormation => "CloudFront: both functions and a cache policy with Origin in the cache key, as CloudFormation",
            TemplateId::CloudFrontTerraform => "CloudFront: the same as Terraform resources (a module; reads the .js files next to it)",
            TemplateId::CloudFrontKeyValueStore => "CloudFront KeyValueStore import file: the exact allowed origins",
            TemplateId::ResponseHeadersPolicyCloudFormation => "CloudFront response headers policy (CORS), as CloudFormation: the no-code alternative",
            TemplateId::ResponseHeadersPolicyTerraform => "CloudFront response headers policy (CORS), as Terraform",
        }
    }
}

/// A generated file, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path under `--out`, `/`-separated.
    pub path: String,
    /// Full contents, LF line endings, one trailing newline.
    pub contents: String,
}

/// The template registry, built once.
pub struct Renderer {
    registry: Handlebars<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// A registry with the helpers; templates are compiled when a plan first needs them
    /// (compiling is most of a run's time, and `validate` needs only the CloudFront functions).
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        Self { registry }
    }

    /// Compiles the templates `plan`'s files render from, and what they embed, unless
    /// compiled already.
    fn prepare(&mut self, plan: &Plan) -> anyhow::Result<()> {
        let mut needed: Vec<(&'static str, &'static str)> = Vec::new();
        for file in &plan.files {
            needed.extend(file.template.source().map(|s| (file.template.name(), s)));
            match &file.context {
                // Every API Gateway file embeds the mapping templates.
                Context::ApiGateway(_) => needed.push(MAPPING_TEMPLATE),
                // Every CloudFront file embeds both functions, which share code.
                Context::CloudFront(_) => {
                    needed.push(CLOUDFRONT_COMMON);
                    for id in [
                        TemplateId::CloudFrontViewerRequest,
                        TemplateId::CloudFrontViewerResponse,
                    ] {
                        needed.extend(id.source().map(|s| (id.name(), s)));
                    }
                }
                Context::Lambda(_) | Context::Readme(_) => {}
            }
        }
        for (name, source) in needed {
            if !self.registry.has_template(name) {
                self.registry
                    .register_template_string(name, source)
                    .with_context(|| format!("bug: embedded template {name} does not compile"))?;
            }
        }
        Ok(())
    }

    /// Renders every planned file.
    ///
    /// # Errors
    /// Only on a bug: a view model that does not fit its template.
    pub fn render(&mut self, plan: &Plan) -> anyhow::Result<Vec<RenderedFile>> {
        self.prepare(plan)?;
        // The API Gateway files, and the CloudFront files, each share one view model: what they
        // embed (mapping templates, function code) is rendered and the model is converted to
        // template data once, not once per file.
        let mut shared = HashMap::new();
        let mut vtls: HashMap<*const (), Vec<String>> = HashMap::new();
        for file in &plan.files {
            let Some(key) = shared_key(&file.context) else {
                continue;
            };
            if let Entry::Vacant(slot) = shared.entry(key) {
                slot.insert(match &file.context {
                    Context::ApiGateway(c) => {
                        let vtl = self.mapping_templates(c).with_context(|| {
                            "bug: the API Gateway mapping template failed to render"
                        })?;
                        vtls.insert(key, vtl.clone());
                        with_field(c.as_ref(), "vtl", serde_json::Value::from(vtl))?
                    }
                    Context::CloudFront(c) => self
                        .cloudfront_data(c)
                        .with_context(|| "bug: a CloudFront Function template failed to render")?,
                    Context::Lambda(_) | Context::Readme(_) => continue,
                });
            }
        }
        plan.files
            .iter()
            .map(|file| {
                let name = file.template.name();
                let serialized = match (&file.context, file.template) {
                    (Context::ApiGateway(c), TemplateId::RestOpenApi) => {
                        Some(json::rest_openapi(c, vtl_of(&vtls, &file.context)?))
                    }
                    (Context::ApiGateway(c), TemplateId::IntegrationResponses) => Some(
                        json::integration_responses(c, vtl_of(&vtls, &file.context)?),
                    ),
                    (Context::ApiGateway(c), TemplateId::HttpApiOpenApi) => {
                        Some(json::http_api_openapi(c))
                    }
                    (Context::CloudFront(c), TemplateId::CloudFrontKeyValueStore) => {
                        Some(json::key_value_store(c))
                    }
                    _ => None,
                };
                if let Some(text) = serialized {
                    let text = text.with_context(|| format!("bug: {name} does not serialize"))?;
                    return Ok(RenderedFile {
                        path: file.path.clone(),
                        contents: normalize(&text),
                    });
                }
                let text = match &file.context {
                    Context::Lambda(c) => self.registry.render(name, c),
                    Context::Readme(c) => self.registry.render(name, c),
                    shared_context => {
                        match shared_key(shared_context).and_then(|key| shared.get(&key)) {
                            Some(data) => self.registry.render(name, data),
                            None => anyhow::bail!("bug: no template data for {name}"),
                        }
                    }
                }
                .with_context(|| {
                    format!("bug: template {} failed to render", file.template.name())
                })?;
                Ok(RenderedFile {
                    path: file.path.clone(),
                    contents: normalize(&(text + file.template.runtime())),
                })
            })
            .collect()
    }
}

impl Renderer {
    /// The API Gateway view model's mapping templates, rendered first (each file embeds them,
    /// escaped for its own language, as `vtl[index]`).
    fn mapping_templates(
        &self,
        context: &ApiGatewayContext,
    ) -> Result<Vec<String>, handlebars::RenderError> {
        context
            .mapping_templates
            .iter()
            .map(|t| {
                let text = self.registry.render(MAPPING_TEMPLATE.0, t)?;
                Ok(text.trim_end().to_string())
            })
            .collect()
    }
}

impl Renderer {
    /// The CloudFront files' template data: the view model plus both functions' code, rendered
    /// first, as `code.viewer_request` and `code.viewer_response` (CloudFormation embeds it).
    fn cloudfront_data(
        &self,
        context: &CloudFrontContext,
    ) -> Result<serde_json::Value, handlebars::RenderError> {
        let function = |id: TemplateId| -> Result<String, handlebars::RenderError> {
            Ok(normalize(&self.registry.render(id.name(), context)?))
        };
        let code = serde_json::json!({
            "viewer_request": function(TemplateId::CloudFrontViewerRequest)?,
            "viewer_response": function(TemplateId::CloudFrontViewerResponse)?,
        });
        with_field(context, "code", code)
    }
}

/// The rendered mapping templates of an API Gateway file's view model.
fn vtl_of<'a>(
    vtls: &'a HashMap<*const (), Vec<String>>,
    context: &Context,
) -> anyhow::Result<&'a [String]> {
    shared_key(context)
        .and_then(|key| vtls.get(&key))
        .map(Vec::as_slice)
        .context("bug: no mapping templates for an API Gateway file")
}

/// Which shared template data a file renders from: the address of the view model the files of
/// one family share; `None` for files rendered from their own view model.
fn shared_key(context: &Context) -> Option<*const ()> {
    match context {
        Context::ApiGateway(c) => Some(Arc::as_ptr(c).cast()),
        Context::CloudFront(c) => Some(Arc::as_ptr(c).cast()),
        Context::Lambda(_) | Context::Readme(_) => None,
    }
}

/// `context` as template data, plus `key` holding text rendered before it.
fn with_field(
    context: &impl serde::Serialize,
    key: &str,
    value: serde_json::Value,
) -> Result<serde_json::Value, handlebars::RenderError> {
    let mut data =
        serde_json::to_value(context).map_err(|e| RenderErrorReason::Other(e.to_string()))?;
    if let Some(map) = data.as_object_mut() {
        map.insert(key.into(), value);
    }
    Ok(data)
}

/// LF line endings, no trailing spaces, exactly one trailing newline.
fn normalize(text: &str) -> String {
    let mut out: String = text
        .replace("\r\n", "\n")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    /// Templates compile when a plan first needs them; each one compiles.
    #[test]
    fn every_embedded_template_compiles() {
        for (name, source) in super::TemplateId::ALL
            .iter()
            .filter_map(|id| Some((id.name(), id.source()?)))
            .chain([super::MAPPING_TEMPLATE, super::CLOUDFRONT_COMMON])
        {
            assert!(handlebars::Template::compile(source).is_ok(), "{name}");
        }
    }

    #[test]
    fn normalize_trims_and_ends_with_one_newline() {
        assert_eq!(normalize("a  \r\nb\n\n\n"), "a\nb\n");
    }
}
