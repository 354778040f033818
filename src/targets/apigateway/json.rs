//! The API Gateway JSON files, serialized from typed documents with serde_json: the REST API's
//! OpenAPI and integration responses, the HTTP API's OpenAPI.
//! Every value is escaped by the serializer, and no comma is placed by hand.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::targets::fit::StaticContext;

use super::plan::{ApiGatewayContext, Entry, Responses};

/// A JSON object whose keys keep the order they were added in.
pub(crate) struct Ordered<T>(pub(crate) Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `key: value` pairs as an object.
pub(crate) fn entries(pairs: &[Entry]) -> Ordered<&str> {
    Ordered(
        pairs
            .iter()
            .map(|e| (e.key.clone(), e.value.as_str()))
            .collect(),
    )
}

#[derive(serde::Serialize)]
struct Info<'a> {
    title: &'a str,
    description: &'static str,
    version: &'static str,
}

#[derive(serde::Serialize)]
struct StringSchema {
    #[serde(rename = "type")]
    kind: &'static str,
}

const STRING: StringSchema = StringSchema { kind: "string" };

#[derive(serde::Serialize)]
struct HeaderSchema {
    schema: StringSchema,
}

#[derive(serde::Serialize)]
struct PathParameter<'a> {
    name: &'a str,
    #[serde(rename = "in")]
    location: &'static str,
    required: bool,
    schema: StringSchema,
}

#[derive(serde::Serialize)]
struct MethodResponse {
    description: &'static str,
    headers: Ordered<HeaderSchema>,
}

#[derive(serde::Serialize)]
pub(crate) struct JsonTemplate<'a> {
    #[serde(rename = "application/json")]
    json: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IntegrationResponse<'a> {
    pub(crate) status_code: &'a str,
    pub(crate) response_parameters: Ordered<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_templates: Option<JsonTemplate<'a>>,
}

#[derive(serde::Serialize)]
struct DefaultResponse<'a> {
    default: IntegrationResponse<'a>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MockIntegration<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    passthrough_behavior: &'static str,
    content_handling: &'static str,
    request_templates: Ordered<&'a str>,
    responses: DefaultResponse<'a>,
}

#[derive(serde::Serialize)]
struct Operation<'a> {
    summary: &'a str,
    security: [(); 0],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<PathParameter<'a>>,
    responses: Ordered<MethodResponse>,
    #[serde(rename = "x-amazon-apigateway-integration")]
    integration: MockIntegration<'a>,
}

#[derive(serde::Serialize)]
struct PathItem<'a> {
    options: Operation<'a>,
}

#[derive(serde::Serialize)]
struct GatewayResponse<'a> {
    #[serde(rename = "responseParameters")]
    response_parameters: Ordered<&'a str>,
}

#[derive(serde::Serialize)]
struct RestOpenApi<'a> {
    #[serde(rename = "x-generated-by")]
    generated_by: &'a [String],
    openapi: &'static str,
    info: Info<'a>,
    paths: Ordered<PathItem<'a>>,
    #[serde(rename = "x-amazon-apigateway-gateway-responses")]
    gateway_responses: Ordered<GatewayResponse<'a>>,
}

/// The mapping template a response embeds, when it has one.
pub(crate) fn template<'a>(responses: &Responses, vtl: &'a [String]) -> Option<JsonTemplate<'a>> {
    responses
        .template
        .and_then(|i| vtl.get(i))
        .map(|json| JsonTemplate { json })
}

fn pretty(document: &impl Serialize) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(document)?;
    text.push('\n');
    Ok(text)
}

/// `apigateway/openapi.json`: an OPTIONS method (MOCK integration) per resource and the
/// gateway responses; `vtl` holds the rendered mapping templates the responses refer to.
pub(crate) fn rest_openapi(c: &ApiGatewayContext, vtl: &[String]) -> serde_json::Result<String> {
    let paths = c
        .resources
        .iter()
        .map(|r| {
            let p = &r.preflight;
            let mut responses = vec![(
                p.status.clone(),
                MethodResponse {
                    description: "Preflight accepted",
                    headers: Ordered(
                        p.declared
                            .iter()
                            .map(|h| (h.clone(), HeaderSchema { schema: STRING }))
                            .collect(),
                    ),
                },
            )];
            if let Some(refused) = &p.refused_status {
                responses.push((
                    refused.clone(),
                    MethodResponse {
                        description: "Preflight refused: the origin is not allowed",
                        headers: Ordered(vec![("Vary".into(), HeaderSchema { schema: STRING })]),
                    },
                ));
            }
            let operation = Operation {
                summary: &r.summary,
                security: [],
                parameters: r
                    .path_params
                    .iter()
                    .map(|name| PathParameter {
                        name,
                        location: "path",
                        required: true,
                        schema: STRING,
                    })
                    .collect(),
                responses: Ordered(responses),
                integration: MockIntegration {
                    kind: "mock",
                    passthrough_behavior: "never",
                    content_handling: "CONVERT_TO_TEXT",
                    request_templates: entries(&c.request_templates),
                    responses: DefaultResponse {
                        default: IntegrationResponse {
                            status_code: &p.status,
                            response_parameters: entries(&p.parameters),
                            response_templates: template(p, vtl),
                        },
                    },
                },
            };
            (r.path.clone(), PathItem { options: operation })
        })
        .collect();
    pretty(&RestOpenApi {
        generated_by: &c.header.lines,
        openapi: "3.0.1",
        info: Info {
            title: &c.policy_name,
            description: "CORS preflight methods (MOCK integrations) and gateway responses for an API Gateway REST API. Merge these paths and x-amazon-apigateway-gateway-responses into the API's OpenAPI definition.",
            version: "1",
        },
        paths: Ordered(paths),
        gateway_responses: Ordered(
            c.gateway_responses
                .iter()
                .map(|g| {
                    (
                        g.response_type.clone(),
                        GatewayResponse {
                            response_parameters: entries(&g.parameters),
                        },
                    )
                })
                .collect(),
        ),
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DeclaredResponse {
    status_code: String,
    response_parameters: Ordered<bool>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ActualResponses<'a> {
    method_response: DeclaredResponse,
    integration_response: IntegrationResponse<'a>,
}

#[derive(serde::Serialize)]
struct IntegrationResponses<'a> {
    #[serde(rename = "x-generated-by")]
    generated_by: &'a [String],
    description: &'static str,
    resources: Ordered<ActualResponses<'a>>,
}

/// `apigateway/integration-responses.json`: per resource, what a non-proxy integration's 2XX
/// method and integration responses declare and map.
pub(super) fn integration_responses(
    c: &ApiGatewayContext,
    vtl: &[String],
) -> serde_json::Result<String> {
    pretty(&IntegrationResponses {
        generated_by: &c.header.lines,
        description: "CORS for the actual (non-preflight) responses of NON-PROXY integrations (AWS, HTTP, MOCK), per REST resource: declare methodResponse.responseParameters on each method's 2XX method response and merge integrationResponse into its integration response. Lambda and HTTP proxy integrations have no integration response: use the Lambda snippets instead.",
        resources: Ordered(
            c.resources
                .iter()
                .map(|r| {
                    let a = &r.actual;
                    let responses = ActualResponses {
                        method_response: DeclaredResponse {
                            status_code: a.status.clone(),
                            response_parameters: Ordered(
                                a.declared_keys.iter().map(|k| (k.clone(), true)).collect(),
                            ),
                        },
                        integration_response: IntegrationResponse {
                            status_code: &a.status,
                            response_parameters: entries(&a.parameters),
                            response_templates: template(a, vtl),
                        },
                    };
                    (r.path.clone(), responses)
                })
                .collect(),
        ),
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpApiCors<'a> {
    allow_origins: &'a [String],
    allow_credentials: bool,
    allow_methods: &'a [String],
    allow_headers: &'a [String],
    expose_headers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u32>,
}

#[derive(serde::Serialize)]
struct HttpApiOpenApi<'a> {
    #[serde(rename = "x-generated-by")]
    generated_by: &'a [String],
    openapi: &'static str,
    info: Info<'a>,
    paths: Ordered<()>,
    #[serde(rename = "x-amazon-apigateway-cors")]
    cors: HttpApiCors<'a>,
}

/// `apigateway/http-api.openapi.json`: the HTTP API's `x-amazon-apigateway-cors`.
pub(super) fn http_api_openapi(c: &StaticContext) -> serde_json::Result<String> {
    let cors = &c.cors;
    pretty(&HttpApiOpenApi {
        generated_by: &c.header.lines,
        openapi: "3.0.1",
        info: Info {
            title: &c.policy_name,
            description: "CORS for an API Gateway HTTP API: merge x-amazon-apigateway-cors into the API's OpenAPI definition. API Gateway then answers preflights itself and ignores CORS headers from integrations.",
            version: "1",
        },
        paths: Ordered(Vec::new()),
        cors: HttpApiCors {
            allow_origins: &cors.allow_origins,
            allow_credentials: cors.allow_credentials,
            allow_methods: &cors.allow_methods,
            allow_headers: &cors.allow_headers,
            expose_headers: &cors.expose_headers,
            max_age: cors.max_age,
        },
    })
}
