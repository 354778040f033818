//! The Serverless Framework stack: a `resources:` fragment for `serverless.yml` in the
//! framework's own logical ids (`ApiGatewayRestApi`, `ApiGatewayResource…`,
//! `ApiGatewayMethod…Options`, derived from paths exactly as the framework's `naming` derives
//! them), with the OPTIONS methods, every resource they sit on (a resource the framework also
//! creates from a function event is the same resource, which it merges), and the gateway
//! responses; and, where the policy fits HTTP API CORS, the `provider.httpApi.cors` block.
//!
//! Table `[serverless]`: `enabled` (default false: a stack's output is opt-in). It needs the API
//! Gateway artifacts (see [`super::stack`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use toml::Spanned;

use crate::plan::{Header, Plans};
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::apigateway::plan::ResourceContext;
use crate::targets::fit::StaticContext;
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Kind, Target};

/// `[serverless]`: the Serverless Framework fragments.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawServerless {
    /// Emit the Serverless Framework fragments (`serverless/resources.yml`, and
    /// `serverless/http-api-cors.yml` where the policy fits HTTP API CORS): `true`, `false` or
    /// `"if-fits"`. They need the API Gateway artifacts: with `[apigateway] enabled = false`,
    /// `true` is an error; when they are skipped under `"if-fits"`, these are skipped with them
    /// (the generated README says so). Paths the framework's logical ids cannot tell apart are
    /// an error under `true` and a skip under `"if-fits"`. Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
}

/// `serverless/resources.yml`
pub static RESOURCES: Template = Template {
    path: "serverless/resources.yml",
    source: Some(include_str!("../../../templates/serverless/resources.yml.hbs")),
    runtime: "",
    describe: "Serverless Framework: the resources: fragment (OPTIONS methods, their resources, gateway responses) in the framework's logical ids",
};

/// `serverless/http-api-cors.yml`
pub static HTTP_API_CORS: Template = Template {
    path: "serverless/http-api-cors.yml",
    source: Some(include_str!(
        "../../../templates/serverless/http-api-cors.yml.hbs"
    )),
    runtime: "",
    describe: "Serverless Framework: the provider.httpApi.cors block",
};

/// The Serverless Framework stack.
pub static TARGET: Target = Target {
    name: "serverless",
    what: "the Serverless Framework fragments",
    alternative: "merge apigateway/cloudformation.yaml into the resources: section instead",
    kind: Kind::Stack,
    depends_on: &["apigateway", "http-api"],
    requires: &["apigateway"],
    table: Some(("[serverless]", "RawServerless")),
    files: &[&RESOURCES, &HTTP_API_CORS],
    embedded: &[],
    checks,
    plan,
    limits: Some(limits),
    render,
    answer: None,
};

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    super::stack::checks(
        &TARGET,
        raw.serverless.as_ref().and_then(|t| t.enabled.as_ref()),
    )
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    super::stack::plan(&TARGET, plans);
    Ok(())
}

/// Paths the framework's logical ids cannot tell apart (they keep only letters and digits, the
/// case of the first): one would replace the other in the template. Checked on the plan, where
/// the resources are final.
fn limits(plans: &Plans<'_>) -> Vec<crate::diagnostic::Diagnostic> {
    use crate::diagnostic::{Code, Diagnostic};
    let (Some(planned), Some(api)) = (
        super::stack::api_plan(&TARGET, plans),
        plans.policy.apigateway.as_ref(),
    ) else {
        return Vec::new();
    };
    let mut named: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for (prefix, _, _) in prefixes(&planned.context.resources) {
        let id = if normalize_path(&prefix).is_empty() {
            "ApiGatewayMethodOptions".to_string()
        } else {
            resource_logical_id(&prefix)
        };
        if let Some(other) = named.insert(id.clone(), prefix.clone()) {
            out.push(
                Diagnostic::new(
                    Code::TargetUnfit,
                    api.resources_span.clone(),
                    format!("the Serverless Framework names {other} and {prefix} alike ({id}): its logical ids keep only the letters and digits of a path, in its own case, so one would replace the other"),
                )
                .label("the Serverless Framework fragments cannot express this")
                .help("rename one of the paths, or set enabled = false in [serverless]"),
            );
        }
    }
    out
}

/// Every resource path the resources' paths pass through, each once, parents first:
/// `(path, its parent's path, its last part)` (`/orders/{id}`: `/orders`, then `/orders/{id}`).
fn prefixes(resources: &[ResourceContext]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for resource in resources {
        let parts: Vec<&str> = resource.path.split('/').filter(|p| !p.is_empty()).collect();
        for depth in 1..=parts.len() {
            let prefix = format!("/{}", parts[..depth].join("/"));
            if !out.iter().any(|(known, _, _)| *known == prefix) {
                let parent = format!("/{}", parts[..depth - 1].join("/"));
                out.push((prefix, parent, parts[depth - 1].to_string()));
            }
        }
    }
    out
}

/// lodash's `capitalize`: the first character upper-cased, the rest lower-cased.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect()
    })
}

/// The framework's `normalizePathPart`: capitalize, `-` → `Dash`, `{x}` → `xVar`, only
/// alphanumerics, the first upper-cased.
fn normalize_path_part(part: &str) -> String {
    let text = capitalize(part).replace('-', "Dash");
    // /\{(.*)\}/: from the first `{` to the last `}`.
    let text = match (text.find('{'), text.rfind('}')) {
        (Some(open), Some(close)) if open < close => format!(
            "{}{}Var{}",
            &text[..open],
            &text[open + 1..close],
            &text[close + 1..]
        ),
        _ => text,
    };
    let text: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The framework's `normalizePath` of an API path (`/orders/{id}` → `OrdersIdVar`).
fn normalize_path(path: &str) -> String {
    path.trim_matches('/')
        .split('/')
        .map(normalize_path_part)
        .collect()
}

/// `ApiGatewayResource…` of a path other than `/`.
fn resource_logical_id(path: &str) -> String {
    format!("ApiGatewayResource{}", normalize_path(path))
}

/// `ApiGatewayMethod…Options` (`ApiGatewayMethodOptions` on `/`).
fn options_logical_id(path: &str) -> String {
    format!("ApiGatewayMethod{}Options", normalize_path(path))
}

/// The framework's reference to a resource's id: `Ref` of its logical id, or the REST API's
/// root resource.
fn resource_ref(path: &str) -> Value {
    if path.trim_matches('/').is_empty() {
        json!({"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]})
    } else {
        json!({"Ref": resource_logical_id(path)})
    }
}

/// Every resource the OPTIONS methods sit on, and the ones above them, parents first:
/// `(logical id, Properties)`.
fn resources(resources: &[ResourceContext]) -> Vec<(String, Value)> {
    prefixes(resources)
        .into_iter()
        .map(|(path, parent, part)| {
            (
                resource_logical_id(&path),
                json!({
                    "ParentId": resource_ref(&parent),
                    "PathPart": part,
                    "RestApiId": {"Ref": "ApiGatewayRestApi"},
                }),
            )
        })
        .collect()
}

#[derive(Serialize)]
struct ServerlessContext<'a> {
    header: &'a Header,
    /// The API Gateway template data, each resource with `sls_method` (its OPTIONS method's
    /// logical id) and `sls_resource` (the framework's reference to its id).
    api: Value,
    /// The `AWS::ApiGateway::Resource`s: `[logical id, Properties]`.
    path_resources: Vec<(String, Value)>,
    /// `provider.httpApi.cors`, where the policy fits it.
    http_api: Option<Value>,
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let Some(planned) = super::stack::api_plan(&TARGET, plans) else {
        return Ok(());
    };
    let mut api = planned.data.clone();
    let paths: Vec<&str> = planned
        .context
        .resources
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    if let Some(list) = api.get_mut("resources").and_then(Value::as_array_mut) {
        for (item, path) in list.iter_mut().zip(&paths) {
            item["sls_method"] = Value::from(options_logical_id(path));
            item["sls_resource"] = resource_ref(path);
        }
    }
    let http_api = plans
        .get::<StaticContext>(super::apigateway::http_api::TARGET.name)
        .map(|s| {
            let mut cors = json!({
                "allowedOrigins": s.cors.allow_origins,
                "allowedHeaders": s.cors.allow_headers,
                "allowedMethods": s.cors.allow_methods,
                "allowCredentials": s.cors.allow_credentials,
                "exposedResponseHeaders": s.cors.expose_headers,
            });
            if let Some(max_age) = s.cors.max_age {
                cors["maxAge"] = Value::from(max_age);
            }
            json!({"provider": {"httpApi": {"cors": cors}}})
        });
    let context = ServerlessContext {
        header: &plans.header,
        api,
        path_resources: resources(&planned.context.resources),
        http_api,
    };
    out.push(templates.file(&RESOURCES, &context)?);
    if context.http_api.is_some() {
        out.push(templates.file(&HTTP_API_CORS, &context)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{normalize_path, options_logical_id, resource_logical_id};

    /// The framework's own examples (its naming tests and documentation), and the cases its
    /// regular expressions make tricky.
    #[test]
    fn logical_ids_are_the_frameworks() {
        for (path, normalized) in [
            ("users/create", "UsersCreate"),
            ("users/{id}", "UsersIdVar"),
            ("/users/{userId}/", "UsersUseridVar"),
            ("my-path/{proxy+}", "MyDashpathProxyVar"),
            ("orderItems", "Orderitems"),
            ("v1.2", "V12"),
            ("", ""),
        ] {
            assert_eq!(normalize_path(path), normalized, "{path}");
        }
        assert_eq!(
            resource_logical_id("/orders/{id}"),
            "ApiGatewayResourceOrdersIdVar"
        );
        assert_eq!(options_logical_id("/"), "ApiGatewayMethodOptions");
        assert_eq!(
            options_logical_id("/{proxy+}"),
            "ApiGatewayMethodProxyVarOptions"
        );
    }
}
