//! A Terraform plan as `terraform show -json PLAN` prints it: the planned values of every
//! resource (root module and child modules), tied together by the references the configuration
//! section records (ids are unknown until apply). The AWS provider's resources audit reads:
//! the REST API family (`aws_api_gateway_rest_api` with its `body`, `_resource`, `_method`,
//! `_integration`, `_integration_response`, `_gateway_response`), `aws_apigatewayv2_api`'s
//! `cors_configuration`, `aws_s3_bucket_cors_configuration`, `aws_lambda_function_url`'s `cors`,
//! `aws_cloudfront_function`, `aws_cloudfront_response_headers_policy` and
//! `aws_cloudfront_cache_policy`.

use std::collections::BTreeMap;

use super::cloudfront::{Behavior, Function};
use super::read::{header_parameters, strings, IntegrationKeys, Keys, Reader};
use super::rest::{GatewayResponse, Method, Resource, RestApi};
use super::tree::Node;
use super::{CachePolicy, Platform, Surfaces};

/// `aws_api_gateway_integration` and `_integration_response`.
const INTEGRATION: IntegrationKeys = IntegrationKeys {
    kind: "type",
    passthrough: "passthrough_behavior",
    content_handling: "content_handling",
    request_templates: "request_templates",
    status: "status_code",
    pattern: "selection_pattern",
    parameters: "response_parameters",
    templates: "response_templates",
};

/// `cors_configuration` and a function URL's `cors`.
const CORS: Keys = Keys {
    origins: "allow_origins",
    credentials: Some("allow_credentials"),
    methods: "allow_methods",
    headers: "allow_headers",
    expose: "expose_headers",
    max_age: "max_age",
};

/// `aws_s3_bucket_cors_configuration`'s `cors_rule`.
const S3_RULE: Keys = Keys {
    origins: "allowed_origins",
    credentials: None,
    methods: "allowed_methods",
    headers: "allowed_headers",
    expose: "expose_headers",
    max_age: "max_age_seconds",
};

/// A response headers policy's `cors_config`.
const RESPONSE_HEADERS_POLICY: Keys = Keys {
    origins: "access_control_allow_origins",
    credentials: Some("access_control_allow_credentials"),
    methods: "access_control_allow_methods",
    headers: "access_control_allow_headers",
    expose: "access_control_expose_headers",
    max_age: "access_control_max_age_sec",
};

/// One planned resource.
struct Planned<'a> {
    address: String,
    kind: String,
    values: &'a Node,
    node: &'a Node,
}

fn planned<'a>(module: &'a Node, out: &mut Vec<Planned<'a>>) {
    for resource in module.get("resources").map(Node::items).unwrap_or_default() {
        if let (Some(address), Some(kind), Some(values)) = (
            resource.get_str("address"),
            resource.get_str("type"),
            resource.get("values"),
        ) {
            out.push(Planned {
                address: address.to_string(),
                kind: kind.to_string(),
                values,
                node: resource,
            });
        }
    }
    for child in module
        .get("child_modules")
        .map(Node::items)
        .unwrap_or_default()
    {
        planned(child, out);
    }
}

/// The address without `[index]` parts: what references name.
fn base(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Each configured resource's references, by attribute, with module prefixes applied.
fn references(module: &Node, prefix: &str, out: &mut BTreeMap<String, Vec<(String, Vec<String>)>>) {
    for resource in module.get("resources").map(Node::items).unwrap_or_default() {
        let Some(address) = resource.get_str("address") else {
            continue;
        };
        let mut attrs = Vec::new();
        for (attr, expression) in resource
            .get("expressions")
            .map(Node::entries)
            .unwrap_or_default()
        {
            let refs: Vec<String> = expression
                .get("references")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::str)
                .map(|r| format!("{prefix}{r}"))
                .collect();
            attrs.push((attr.clone(), refs));
        }
        out.insert(format!("{prefix}{address}"), attrs);
    }
    for (name, call) in module
        .get("module_calls")
        .map(Node::entries)
        .unwrap_or_default()
    {
        if let Some(inner) = call.get("module") {
            references(inner, &format!("{prefix}module.{name}."), out);
        }
    }
}

struct Plan<'a> {
    resources: Vec<Planned<'a>>,
    refs: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

impl Plan<'_> {
    /// The planned resource an attribute of `address` refers to.
    fn target(&self, address: &str, attr: &str) -> Option<&Planned<'_>> {
        let refs = self.refs.get(&base(address))?;
        let (_, list) = refs.iter().find(|(a, _)| a == attr)?;
        list.iter().find_map(|r| {
            self.resources.iter().find(|p| {
                let b = base(&p.address);
                *r == b || r.strip_prefix(&b).is_some_and(|rest| rest.starts_with('.'))
            })
        })
    }

    fn of_kind<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s Planned<'s>> + 's {
        self.resources.iter().filter(move |p| p.kind == kind)
    }
}

/// The first block of a nested block list (`cors_configuration = [{…}]`).
fn block<'a>(values: &'a Node, key: &str) -> Option<&'a Node> {
    values.get(key).and_then(|b| b.items().first())
}

/// Reads a plan's surfaces.
pub(super) fn plan(reader: &Reader<'_>, root: &Node, found: &mut Surfaces) {
    let mut resources = Vec::new();
    if let Some(module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned(module, &mut resources);
    }
    let mut refs = BTreeMap::new();
    if let Some(module) = root.get("configuration").and_then(|c| c.get("root_module")) {
        references(module, "", &mut refs);
    }
    let plan = Plan { resources, refs };
    rest_apis(reader, &plan, found);
    for p in &plan.resources {
        let at = reader.at(p.node, &p.address);
        let name = p.values.get_str("name").unwrap_or(&p.address).to_string();
        match p.kind.as_str() {
            "aws_apigatewayv2_api" => {
                if let Some(cors) = block(p.values, "cors_configuration") {
                    found.configs.push(reader.static_cors(
                        Platform::HttpApi,
                        &name,
                        cors,
                        &format!("{}.cors_configuration", p.address),
                        &CORS,
                    ));
                }
            }
            "aws_lambda_function_url" => {
                if let Some(cors) = block(p.values, "cors") {
                    let function = p.values.get_str("function_name").unwrap_or(&p.address);
                    found.configs.push(reader.static_cors(
                        Platform::FunctionUrl,
                        function,
                        cors,
                        &format!("{}.cors", p.address),
                        &CORS,
                    ));
                }
            }
            "aws_s3_bucket_cors_configuration" => {
                let bucket = p.values.get_str("bucket").unwrap_or(&p.address);
                for (i, rule) in p
                    .values
                    .get("cors_rule")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    found.configs.push(reader.static_cors(
                        Platform::S3,
                        bucket,
                        rule,
                        &format!("{}.cors_rule[{i}]", p.address),
                        &S3_RULE,
                    ));
                }
            }
            "aws_cloudfront_response_headers_policy" => {
                if let Some(cors) = block(p.values, "cors_config") {
                    found.configs.push(reader.static_cors(
                        Platform::ResponseHeadersPolicy,
                        &name,
                        cors,
                        &format!("{}.cors_config", p.address),
                        &RESPONSE_HEADERS_POLICY,
                    ));
                }
            }
            "aws_cloudfront_cache_policy" => {
                let headers = block(p.values, "parameters_in_cache_key_and_forwarded_to_origin")
                    .and_then(|k| block(k, "headers_config"));
                let listed = headers
                    .and_then(|h| block(h, "headers"))
                    .map(|h| strings(h.get("items")))
                    .unwrap_or_default();
                found.cache_policies.push(CachePolicy {
                    name,
                    at,
                    origin_in_key: headers.and_then(|h| h.get_str("header_behavior"))
                        == Some("whitelist")
                        && listed.iter().any(|h| h.eq_ignore_ascii_case("origin")),
                });
            }
            "aws_cloudfront_function" => {
                if let Some(code) = p.values.get_str("code") {
                    found.cloudfront.push(Behavior::alone(Function::new(
                        &name,
                        reader.at(
                            p.values.get("code").unwrap_or(p.node),
                            &format!("{}.code", p.address),
                        ),
                        code,
                    )));
                }
            }
            _ => {}
        }
    }
}

/// The REST APIs: each `aws_api_gateway_rest_api` (with the OpenAPI `body` it may carry), the
/// resources whose `parent_id` chain reaches it, and the methods, integrations, integration
/// responses and gateway responses that refer to them.
fn rest_apis(reader: &Reader<'_>, plan: &Plan<'_>, found: &mut Surfaces) {
    for api in plan.of_kind("aws_api_gateway_rest_api") {
        let name = api
            .values
            .get_str("name")
            .unwrap_or(&api.address)
            .to_string();
        let mut rest = RestApi {
            name: name.clone(),
            at: reader.at(api.node, &api.address),
            binary_media_types: strings(api.values.get("binary_media_types")),
            ..RestApi::default()
        };
        if let Some(body) = api.values.get_str("body") {
            match super::tree::parse(body) {
                Ok(document) => {
                    // Lines inside the body string are not lines of the plan: what the body
                    // defines is located at the API, with its path inside the body.
                    let inside = Reader {
                        file: reader.file,
                        fixed: Some((api.node.line, api.node.col)),
                    };
                    let mut inner = Surfaces::default();
                    inside.openapi(
                        &name,
                        &document,
                        &format!("{}.body", api.address),
                        &mut inner,
                    );
                    if let Some(from_body) = inner.rest.pop() {
                        rest.resources = from_body.resources;
                        rest.gateway_responses = from_body.gateway_responses;
                        rest.binary_media_types.extend(from_body.binary_media_types);
                    }
                }
                Err(e) => found.unread.push((
                    reader.at(api.node, &format!("{}.body", api.address)),
                    format!(
                        "{}'s body is not an OpenAPI document audit can read: {}",
                        api.address, e.message
                    ),
                )),
            }
        }
        let belongs = |p: &Planned<'_>| {
            plan.target(&p.address, "rest_api_id")
                .is_some_and(|t| t.address == api.address)
        };
        // The path of a resource address (or of the API itself, the root).
        let path_of = |address: &str| -> Option<String> {
            let mut parts = Vec::new();
            let mut current = address.to_string();
            for _ in 0..64 {
                if current == api.address {
                    parts.reverse();
                    return Some(format!("/{}", parts.join("/")));
                }
                let resource = plan.resources.iter().find(|p| p.address == current)?;
                parts.push(
                    resource
                        .values
                        .get_str("path_part")
                        .unwrap_or("")
                        .to_string(),
                );
                current = plan.target(&current, "parent_id")?.address.clone();
            }
            None
        };
        let method_key = |p: &Planned<'_>| {
            let resource = plan.target(&p.address, "resource_id")?.address.clone();
            Some((
                resource,
                p.values.get_str("http_method")?.to_ascii_uppercase(),
            ))
        };
        for method in plan
            .of_kind("aws_api_gateway_method")
            .filter(|m| belongs(m))
        {
            let Some((resource, verb)) = method_key(method) else {
                continue;
            };
            let Some(path) = path_of(&resource) else {
                continue;
            };
            let integration = plan
                .of_kind("aws_api_gateway_integration")
                .find(|i| method_key(i).as_ref() == Some(&(resource.clone(), verb.clone())))
                .map(|i| {
                    let responses = plan
                        .of_kind("aws_api_gateway_integration_response")
                        .filter(|r| {
                            method_key(r).as_ref() == Some(&(resource.clone(), verb.clone()))
                        })
                        .map(|r| {
                            let at = reader.at(r.node, &r.address);
                            reader.integration_response(r.values, at, &INTEGRATION, None)
                        })
                        .collect();
                    reader.integration(
                        i.values,
                        reader.at(i.node, &i.address),
                        &INTEGRATION,
                        responses,
                    )
                });
            let authorization = method.values.get_str("authorization").unwrap_or("NONE");
            let built = Method {
                verb,
                at: reader.at(method.node, &method.address),
                authorizer: (!authorization.eq_ignore_ascii_case("NONE"))
                    .then(|| authorization.to_string()),
                api_key: method
                    .values
                    .get("api_key_required")
                    .is_some_and(Node::is_true),
                integration,
            };
            match rest.resources.iter_mut().find(|r| r.path == path) {
                Some(r) => r.methods.push(built),
                None => rest.resources.push(Resource {
                    path,
                    known: true,
                    methods: vec![built],
                }),
            }
        }
        for response in plan
            .of_kind("aws_api_gateway_gateway_response")
            .filter(|g| belongs(g))
        {
            rest.gateway_responses.push(GatewayResponse {
                kind: response
                    .values
                    .get_str("response_type")
                    .unwrap_or("")
                    .to_string(),
                status: response
                    .values
                    .get_str("status_code")
                    .and_then(|s| s.parse().ok()),
                parameters: header_parameters(
                    response.values.get("response_parameters"),
                    "gatewayresponse.header.",
                ),
                at: reader.at(response.node, &response.address),
            });
        }
        found.rest.push(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::base;

    #[test]
    fn indexes_leave_the_address_references_name() {
        assert_eq!(base("aws_x.y[0]"), "aws_x.y");
        assert_eq!(base("module.m[\"a\"].aws_x.y"), "module.m.aws_x.y");
    }
}
