//! The API Gateway view model: REST preflight methods (MOCK integration, method and integration
//! responses), integration responses for non-proxy methods, gateway responses. Every header value comes from the engine; which values are static and
//! which need a mapping template is decided here.

use serde::Serialize;

use crate::engine::{self, ACAO, VARY};
use crate::model::{AllowedOrigins, ApiGateway, GatewayOrigin, Policy, Rule};
use crate::origin::LABEL_RUN_REGEX;

use crate::plan::tables::{describe_rule, pairs, HeaderPair};
use crate::plan::{Header, Interner};

/// Content types that get the MOCK request template. Browsers send no Content-Type on a
/// preflight (API Gateway then uses `application/json`); the others keep a preflight that some
/// client or proxy sends with a body type from answering 415 or 500.
pub const REQUEST_CONTENT_TYPES: [&str; 7] = [
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data",
    "text/plain",
    "text/xml",
];

/// The MOCK integration's request template: it only chooses the integration status.
pub const MOCK_REQUEST_TEMPLATE: &str = "{\"statusCode\": 200}";

/// A `key: value` pair of a mapping (response parameters, templates).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The key, e.g. `method.response.header.Vary`.
    pub key: String,
    /// The value, e.g. `'Origin'`.
    pub value: String,
}

/// A wildcard origin as the mapping template checks it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct WildcardCheck {
    /// What the origin must start with.
    pub prefix: String,
    /// What it must end with.
    pub suffix: String,
    /// Length of the prefix (where the labels start).
    pub start: usize,
    /// The origin must be longer than prefix and suffix together.
    pub min_len: usize,
    /// Length of the suffix (how far before the end the labels stop).
    pub suffix_len: usize,
}

/// The view model of one mapping template (`templates/apigateway/origin.vtl.hbs`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MappingTemplate {
    /// Preflight (refuses with a status) or an actual response (passes the body through).
    pub preflight: bool,
    /// Exact origins, compared with `==` semantics (`List.contains`).
    pub exact: Vec<String>,
    /// Leftmost-label wildcards.
    pub wildcards: Vec<WildcardCheck>,
    /// The regular expression a wildcard's labels must match (a constant, never an origin).
    pub label_regex: String,
    /// Headers set, after ACAO, for an allowed origin.
    pub headers: Vec<HeaderPair>,
    /// Status of a refused preflight.
    pub refused_status: u16,
}

/// The responses of one method: what to declare and what to map.
#[derive(Debug, Clone, Serialize)]
pub struct Responses {
    /// Status of the integration (and method) response.
    pub status: String,
    /// Headers declared on the method response (all of them may be set).
    pub declared: Vec<String>,
    /// The same as `method.response.header.NAME` keys.
    pub declared_keys: Vec<String>,
    /// Integration-response parameters: static values, `'...'`.
    pub parameters: Vec<Entry>,
    /// Index into the file's rendered mapping templates, when origins need one.
    pub template: Option<usize>,
    /// A second status the template may set (a refused preflight), to declare too.
    pub refused_status: Option<String>,
}

/// One REST resource.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceContext {
    /// The resource path.
    pub path: String,
    /// Names of its path parameters as the path template spells them (`proxy+` for
    /// `{proxy+}`: OpenAPI requires every template variable to be declared by that name).
    pub path_params: Vec<String>,
    /// CloudFormation logical-id suffix, e.g. `OrdersId`.
    pub id: String,
    /// What to pass as this resource's id (CloudFormation parameter, Terraform map key).
    pub parameter_description: String,
    /// Terraform name suffix, e.g. `orders_id`.
    pub tf_name: String,
    /// The OPTIONS method's responses.
    pub preflight: Responses,
    /// The responses to merge into this resource's non-proxy methods.
    pub actual: Responses,
    /// The OPTIONS method's summary: the rule in words.
    pub summary: String,
}

/// One gateway response.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayResponseContext {
    /// The type, e.g. `DEFAULT_4XX`.
    pub response_type: String,
    /// CloudFormation logical-id suffix.
    pub id: String,
    /// Terraform name suffix.
    pub tf_name: String,
    /// `gatewayresponse.header.*` parameters.
    pub parameters: Vec<Entry>,
}

impl GatewayResponseContext {
    /// The headers, by name: the parameters without their `gatewayresponse.header.` prefix,
    /// as CDK's `responseHeaders` and SAM's `ResponseParameters.Headers` take them.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parameters.iter().map(|e| {
            let name = e.key.strip_prefix("gatewayresponse.header.");
            (name.unwrap_or(&e.key), e.value.as_str())
        })
    }
}

/// The view model of every `apigateway/` file.
#[derive(Debug, Clone, Serialize)]
pub struct ApiGatewayContext {
    /// Generated-file header.
    pub header: Header,
    /// The policy's name.
    pub policy_name: String,
    /// One-line description for the CloudFormation templates.
    pub description: String,
    /// What the Terraform `resource_ids` map must hold.
    pub resource_ids_description: String,
    /// Request templates of the MOCK integration.
    pub request_templates: Vec<Entry>,
    /// REST resources, most specific first.
    pub resources: Vec<ResourceContext>,
    /// Gateway responses.
    pub gateway_responses: Vec<GatewayResponseContext>,
    /// Distinct mapping templates, referenced by index.
    pub mapping_templates: Vec<MappingTemplate>,
}

/// An API Gateway static mapping value: the text in single quotes. Validation refuses values
/// with `'`, which this notation cannot carry.
fn static_value(value: &str) -> String {
    debug_assert!(!value.contains('\''), "validated: {value:?}");
    format!("'{value}'")
}

fn method_header(name: &str) -> String {
    format!("method.response.header.{name}")
}

fn responses(rule: &Rule, preflight: bool, templates: &mut Interner<MappingTemplate>) -> Responses {
    let rest = if preflight {
        engine::preflight_headers(rule)
    } else {
        engine::actual_headers(rule)
    };
    let mut declared = vec![ACAO.to_string()];
    declared.extend(rest.iter().map(|(name, _)| (*name).to_string()));
    declared.push(VARY.to_string());
    let declared_keys = declared.iter().map(|name| method_header(name)).collect();
    let vary = Entry {
        key: method_header(VARY),
        value: static_value("Origin"),
    };
    let status = if preflight {
        engine::PREFLIGHT_ALLOWED.to_string()
    } else {
        "200".to_string()
    };
    // Any origin is one static answer. An allowlist, even of one origin, goes through a mapping
    // template, so that an origin it does not list gets the engine's answer (403 to a
    // preflight, no CORS headers), not a static Access-Control-Allow-Origin for another site.
    match &rule.origins {
        AllowedOrigins::Any => {
            let mut parameters: Vec<Entry> = std::iter::once((ACAO, "*".to_string()))
                .chain(rest)
                .map(|(name, value)| Entry {
                    key: method_header(name),
                    value: static_value(&value),
                })
                .collect();
            parameters.push(vary);
            Responses {
                status,
                declared,
                declared_keys,
                parameters,
                template: None,
                refused_status: None,
            }
        }
        AllowedOrigins::List(list) => {
            let template = templates.intern(MappingTemplate {
                preflight,
                exact: list.exact.clone(),
                wildcards: list
                    .wildcards
                    .iter()
                    .map(|w| WildcardCheck {
                        prefix: w.prefix.clone(),
                        suffix: w.suffix.clone(),
                        start: w.prefix.len(),
                        min_len: w.prefix.len() + w.suffix.len(),
                        suffix_len: w.suffix.len(),
                    })
                    .collect(),
                label_regex: LABEL_RUN_REGEX.to_string(),
                headers: pairs(rest),
                refused_status: engine::PREFLIGHT_REFUSED,
            });
            Responses {
                status,
                declared,
                declared_keys,
                parameters: vec![vary],
                template: Some(template),
                refused_status: preflight.then(|| engine::PREFLIGHT_REFUSED.to_string()),
            }
        }
    }
}

/// `OrdersId` and `orders_id` from `/orders/{id}`; `Root` and `root` for `/`. A short hash of
/// the path keeps names unique when two paths differ only in punctuation.
fn names(path: &str, taken: &mut Vec<String>) -> (String, String) {
    let words: Vec<String> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let (mut id, mut tf) = if words.is_empty() {
        ("Root".to_string(), "root".to_string())
    } else {
        let id = words
            .iter()
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect::<String>();
        (id, words.join("_"))
    };
    if path.ends_with("+}") {
        id.push_str("Greedy");
        tf.push_str("_greedy");
    }
    if taken.contains(&id) {
        let digest = crate::source::short_digest(path);
        id.push_str(&digest);
        tf.push('_');
        tf.push_str(&digest);
    }
    taken.push(id.clone());
    (id, tf)
}

fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_string)
        .collect()
}

/// The CloudFormation templates' description (the REST API's and the HTTP API's).
pub(super) fn description(policy: &Policy) -> String {
    crate::plan::cut(
        &format!(
            "CORS for the API Gateway API of policy \"{}\" (generated by corsgen)",
            policy.name
        ),
        crate::plan::DESCRIPTION_LIMIT,
    )
}

pub(super) fn plan(policy: &Policy, api: &ApiGateway, header: &Header) -> ApiGatewayContext {
    let mut templates = Interner::new();
    let mut taken = Vec::new();
    let resources = api
        .resources
        .iter()
        .map(|resource| {
            let rule = policy.rule_for_resource(&resource.pattern);
            let (id, tf_name) = names(&resource.path, &mut taken);
            ResourceContext {
                path: resource.path.clone(),
                path_params: path_params(&resource.path),
                parameter_description: if resource.pattern.segments.is_empty() {
                    "Id of the resource / (the REST API's RootResourceId)".to_string()
                } else {
                    format!("Id of the resource {}", resource.path)
                },
                id,
                tf_name,
                preflight: responses(rule, true, &mut templates),
                actual: responses(rule, false, &mut templates),
                summary: format!("CORS preflight: {}", describe_rule(rule)),
            }
        })
        .collect();

    // What gateway responses carry is the engine's answer; here it becomes response parameters.
    let gateway_headers = engine::gateway_response_headers(policy);
    let origin_value = match &api.gateway_origin {
        GatewayOrigin::Static(origin) => static_value(origin),
        GatewayOrigin::Reflect => "method.request.header.Origin".to_string(),
    };
    let mut gateway_taken = Vec::new();
    let gateway_responses = api
        .gateway_responses
        .iter()
        .map(|kind| {
            let mut parameters = vec![Entry {
                key: format!("gatewayresponse.header.{ACAO}"),
                value: origin_value.clone(),
            }];
            parameters.extend(gateway_headers.iter().map(|(name, value)| Entry {
                key: format!("gatewayresponse.header.{name}"),
                value: static_value(value),
            }));
            let (id, tf_name) = names(kind, &mut gateway_taken);
            GatewayResponseContext {
                response_type: (*kind).to_string(),
                id,
                tf_name,
                parameters,
            }
        })
        .collect();

    ApiGatewayContext {
        header: header.clone(),
        policy_name: policy.name.clone(),
        description: description(policy),
        resource_ids_description: format!(
            "Resource ids keyed by resource path: {}",
            api.resources
                .iter()
                .map(|r| format!("\"{}\"", r.path))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        request_templates: REQUEST_CONTENT_TYPES
            .iter()
            .map(|t| Entry {
                key: (*t).to_string(),
                value: MOCK_REQUEST_TEMPLATE.to_string(),
            })
            .collect(),
        resources,
        gateway_responses,
        mapping_templates: templates.items,
    }
}
