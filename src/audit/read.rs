//! Finds the CORS surfaces in one input: a CloudFormation or SAM template (CDK's and the
//! Serverless Framework's synthesized templates included) or an OpenAPI definition with API
//! Gateway's extensions (what `aws apigateway get-export --parameters extensions=apigateway`
//! returns, and HTTP API exports with `x-amazon-apigateway-cors`).

use std::collections::BTreeMap;

use super::cloudfront::{Behavior, Function};
use super::rest::{GatewayResponse, Integration, IntegrationResponse, Method, Resource, RestApi};
use super::tree::{Node, Value};
use super::{CachePolicy, Location, Platform, StaticCors, Surfaces};

/// The field names of one platform's CORS configuration.
pub(super) struct Keys {
    pub(super) origins: &'static str,
    pub(super) credentials: Option<&'static str>,
    pub(super) methods: &'static str,
    pub(super) headers: &'static str,
    pub(super) expose: &'static str,
    pub(super) max_age: &'static str,
}

/// CloudFormation and the AWS CLI for HTTP APIs and function URLs.
const PASCAL: Keys = Keys {
    origins: "AllowOrigins",
    credentials: Some("AllowCredentials"),
    methods: "AllowMethods",
    headers: "AllowHeaders",
    expose: "ExposeHeaders",
    max_age: "MaxAge",
};

/// OpenAPI's `x-amazon-apigateway-cors`.
const CAMEL: Keys = Keys {
    origins: "allowOrigins",
    credentials: Some("allowCredentials"),
    methods: "allowMethods",
    headers: "allowHeaders",
    expose: "exposeHeaders",
    max_age: "maxAge",
};

/// `AWS::S3::Bucket` `CorsRules` (S3 has no credentials setting: it always sends them).
const S3_TEMPLATE: Keys = Keys {
    origins: "AllowedOrigins",
    credentials: None,
    methods: "AllowedMethods",
    headers: "AllowedHeaders",
    expose: "ExposedHeaders",
    max_age: "MaxAge",
};

/// `s3api get-bucket-cors`.
const S3_CLI: Keys = Keys {
    origins: "AllowedOrigins",
    credentials: None,
    methods: "AllowedMethods",
    headers: "AllowedHeaders",
    expose: "ExposeHeaders",
    max_age: "MaxAgeSeconds",
};

/// A response headers policy's `CorsConfig` (lists under `Items`).
const RESPONSE_HEADERS_POLICY: Keys = Keys {
    origins: "AccessControlAllowOrigins",
    credentials: Some("AccessControlAllowCredentials"),
    methods: "AccessControlAllowMethods",
    headers: "AccessControlAllowHeaders",
    expose: "AccessControlExposeHeaders",
    max_age: "AccessControlMaxAgeSec",
};

/// The field names of an integration and its responses in one input format.
pub(super) struct IntegrationKeys {
    pub(super) kind: &'static str,
    pub(super) passthrough: &'static str,
    pub(super) content_handling: &'static str,
    pub(super) request_templates: &'static str,
    pub(super) status: &'static str,
    /// The selection pattern's field (OpenAPI keys its responses by pattern instead).
    pub(super) pattern: &'static str,
    pub(super) parameters: &'static str,
    pub(super) templates: &'static str,
}

/// `AWS::ApiGateway::Method` `Integration`.
const CFN_INTEGRATION: IntegrationKeys = IntegrationKeys {
    kind: "Type",
    passthrough: "PassthroughBehavior",
    content_handling: "ContentHandling",
    request_templates: "RequestTemplates",
    status: "StatusCode",
    pattern: "SelectionPattern",
    parameters: "ResponseParameters",
    templates: "ResponseTemplates",
};

/// OpenAPI's `x-amazon-apigateway-integration`.
const OPENAPI_INTEGRATION: IntegrationKeys = IntegrationKeys {
    kind: "type",
    passthrough: "passthroughBehavior",
    content_handling: "contentHandling",
    request_templates: "requestTemplates",
    status: "statusCode",
    pattern: "",
    parameters: "responseParameters",
    templates: "responseTemplates",
};

/// A `Ref` / `Fn::GetAtt` target: logical id and attribute.
type Target = (String, Option<String>);

/// `AWS::ApiGateway::Resource`s by logical id: parent and path part.
type Paths = BTreeMap<String, (Option<Target>, String)>;

pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
    /// Set for a document inside a string of the file (a Terraform `body`): every location is
    /// this line and column of the file.
    pub(super) fixed: Option<(usize, usize)>,
}

impl Reader<'_> {
    pub(super) fn at(&self, node: &Node, path: &str) -> Location {
        let (line, col) = self.fixed.unwrap_or((node.line, node.col));
        Location {
            file: self.file.to_string(),
            line,
            col,
            path: path.to_string(),
        }
    }
}

/// The surfaces in `root`, read from `file`.
#[must_use]
pub fn surfaces(file: &str, root: &Node) -> Surfaces {
    let reader = Reader { file, fixed: None };
    let mut found = Surfaces::default();
    if let Some(resources) = root.get("Resources") {
        reader.template(root, resources, &mut found);
    } else if root.get("planned_values").is_some() {
        super::terraform::plan(&reader, root, &mut found);
    } else if root.get("paths").is_none()
        && root.get("swagger").is_none()
        && root.get("openapi").is_none()
    {
        reader.cli_output(root, &mut found);
    } else {
        let title = root
            .get("info")
            .and_then(|i| i.get_str("title"))
            .unwrap_or("the API")
            .to_string();
        reader.openapi(&title, root, "", &mut found);
    }
    found
}

/// A `Ref` or `Fn::GetAtt` target: the logical id (and attribute).
fn reference(node: &Node) -> Option<Target> {
    if let Some(id) = node.get_str("Ref") {
        return Some((id.to_string(), None));
    }
    let getatt = node.get("Fn::GetAtt")?;
    if let Some(text) = getatt.str() {
        let (id, attr) = text.split_once('.')?;
        return Some((id.to_string(), Some(attr.to_string())));
    }
    let items = getatt.items();
    Some((
        items.first()?.str()?.to_string(),
        Some(items.get(1)?.str()?.to_string()),
    ))
}

/// A scalar's text; a value CloudFormation computes (`!Ref`, `!If`, `!Sub`...) as
/// `{Fn::Name}`, or a `!Sub` string as written (with its `${...}`): see [`computed`].
fn text_of(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar(s) => Some(s.clone()),
        Value::Map(entries) if entries.len() == 1 => {
            let (name, inner) = &entries[0];
            if name == "Fn::Sub" {
                if let Some(text) = inner.str() {
                    return Some(text.to_string());
                }
            }
            (name == "Ref" || name.starts_with("Fn::")).then(|| format!("{{{name}}}"))
        }
        _ => None,
    }
}

/// True for a value CloudFormation fills in at deploy time, which audit cannot know.
#[must_use]
pub(crate) fn computed(value: &str) -> bool {
    value.starts_with("{Fn::") || value == "{Ref}" || value.contains("${")
}

pub(super) fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(|n| match &n.value {
        Value::Seq(items) => items.iter().filter_map(text_of).collect(),
        Value::Scalar(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        _ => Vec::new(),
    })
    .unwrap_or_default()
}

/// String entries of a map (a computed value as [`text_of`] writes it).
pub(super) fn string_map(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|(k, v)| text_of(v).map(|s| (k.clone(), s)))
            .collect()
    })
    .unwrap_or_default()
}

pub(super) fn header_parameters(node: Option<&Node>, prefix: &str) -> Vec<(String, String)> {
    string_map(node)
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|name| (name.to_string(), v)))
        .collect()
}

impl Reader<'_> {
    fn template(&self, root: &Node, resources: &Node, found: &mut Surfaces) {
        let parameters = root.get("Parameters");
        let kind = |node: &Node| node.get_str("Type").unwrap_or("").to_string();
        // REST APIs by logical id (a `Ref` to a parameter names an API defined elsewhere).
        let mut apis: BTreeMap<String, RestApi> = BTreeMap::new();
        let mut paths: Paths = BTreeMap::new();
        let mut functions: Vec<Function> = Vec::new();
        let mut distributions: Vec<(String, &Node)> = Vec::new();
        for (id, resource) in resources.entries() {
            let props = resource.get("Properties");
            let path = format!("Resources.{id}");
            match kind(resource).as_str() {
                "AWS::ApiGateway::RestApi" | "AWS::Serverless::Api" => {
                    // SAM turns these into resources only its transform writes.
                    let sam = ["Cors", "GatewayResponses", "Auth"]
                        .into_iter()
                        .filter(|k| props.and_then(|p| p.get(k)).is_some())
                        .collect::<Vec<_>>();
                    if !sam.is_empty() {
                        found.unread.push((
                            self.at(resource, &path),
                            format!(
                                "{id}'s {} exist only after the SAM transform",
                                sam.join(", ")
                            ),
                        ));
                    }
                    let mut api = RestApi {
                        name: id.clone(),
                        at: self.at(resource, &path),
                        ..RestApi::default()
                    };
                    if let Some(props) = props {
                        api.binary_media_types = strings(props.get("BinaryMediaTypes"));
                        let body = props.get("Body").or_else(|| props.get("DefinitionBody"));
                        if let Some(body) = body {
                            let body_path = if props.get("Body").is_some() {
                                format!("{path}.Properties.Body")
                            } else {
                                format!("{path}.Properties.DefinitionBody")
                            };
                            let mut inner = Surfaces::default();
                            self.openapi(id, body, &body_path, &mut inner);
                            if let Some(mut from_body) = inner.rest.pop() {
                                from_body.at = api.at.clone();
                                from_body.binary_media_types.extend(api.binary_media_types);
                                api = from_body;
                            }
                        }
                    }
                    apis.insert(id.clone(), api);
                }
                "AWS::ApiGatewayV2::Api" | "AWS::Serverless::HttpApi" => {
                    if let Some(props) = props {
                        if let Some(cors) = props.get("CorsConfiguration") {
                            found.configs.push(self.static_cors(
                                Platform::HttpApi,
                                id,
                                cors,
                                &format!("{path}.Properties.CorsConfiguration"),
                                &PASCAL,
                            ));
                        }
                        let body = props.get("Body").or_else(|| props.get("DefinitionBody"));
                        if let Some(body) = body {
                            self.openapi(id, body, &format!("{path}.Properties.Body"), found);
                        }
                    }
                }
                "AWS::Serverless::Function" => {
                    let events = props.and_then(|p| p.get("Events")).map(Node::entries);
                    let implicit = events.unwrap_or_default().iter().any(|(_, e)| {
                        matches!(e.get_str("Type"), Some("Api" | "HttpApi"))
                            && e.get("Properties")
                                .and_then(|p| p.get("RestApiId").or_else(|| p.get("ApiId")))
                                .is_none()
                    });
                    if implicit {
                        found.unread.push((
                            self.at(resource, &path),
                            format!("{id}'s API events make an implicit SAM API (with Globals' Cors), which exists only after the SAM transform"),
                        ));
                    }
                }
                "AWS::CloudFront::Function" => {
                    let code = props.and_then(|p| p.get("FunctionCode"));
                    let text =
                        code.and_then(|c| c.str().or_else(|| c.get("Fn::Sub").and_then(Node::str)));
                    match (code, text) {
                        (Some(code), Some(text)) => {
                            functions.push(Function::new(
                                id,
                                self.at(code, &format!("{path}.Properties.FunctionCode")),
                                text,
                            ));
                        }
                        _ => found.unread.push((
                            self.at(resource, &path),
                            format!("{id}'s FunctionCode is not a string in the template"),
                        )),
                    }
                }
                "AWS::CloudFront::Distribution" => distributions.push((id.clone(), resource)),
                "AWS::S3::Bucket" => {
                    let rules = props
                        .and_then(|p| p.get("CorsConfiguration"))
                        .and_then(|c| c.get("CorsRules"));
                    for (i, rule) in rules
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        found.configs.push(self.static_cors(
                            Platform::S3,
                            id,
                            rule,
                            &format!("{path}.Properties.CorsConfiguration.CorsRules[{i}]"),
                            &S3_TEMPLATE,
                        ));
                    }
                }
                "AWS::Lambda::Url" => {
                    if let Some(cors) = props.and_then(|p| p.get("Cors")) {
                        found.configs.push(self.static_cors(
                            Platform::FunctionUrl,
                            id,
                            cors,
                            &format!("{path}.Properties.Cors"),
                            &PASCAL,
                        ));
                    }
                }
                "AWS::CloudFront::ResponseHeadersPolicy" => {
                    let config = props.and_then(|p| p.get("ResponseHeadersPolicyConfig"));
                    if let Some(cors) = config.and_then(|c| c.get("CorsConfig")) {
                        found.configs.push(self.static_cors(
                            Platform::ResponseHeadersPolicy,
                            id,
                            cors,
                            &format!("{path}.Properties.ResponseHeadersPolicyConfig.CorsConfig"),
                            &RESPONSE_HEADERS_POLICY,
                        ));
                    }
                }
                "AWS::CloudFront::CachePolicy" => {
                    if let Some(config) = props.and_then(|p| p.get("CachePolicyConfig")) {
                        found.cache_policies.push(self.cache_policy(
                            id,
                            config,
                            &format!("{path}.Properties.CachePolicyConfig"),
                        ));
                    }
                }
                "AWS::ApiGateway::Resource" => {
                    if let Some(props) = props {
                        let parent = props.get("ParentId").and_then(reference);
                        let part = props.get_str("PathPart").unwrap_or("").to_string();
                        paths.insert(id.clone(), (parent, part));
                    }
                }
                _ => {}
            }
        }
        let api_id = |props: &Node| -> Option<String> {
            props.get("RestApiId").and_then(reference).map(|(id, _)| id)
        };
        let ensure = |apis: &mut BTreeMap<String, RestApi>, id: &str, node: &Node| {
            apis.entry(id.to_string()).or_insert_with(|| RestApi {
                name: format!("{id} (a REST API defined elsewhere)"),
                at: self.at(node, &format!("Parameters.{id}")),
                ..RestApi::default()
            });
        };
        for (id, resource) in resources.entries() {
            let Some(props) = resource.get("Properties") else {
                continue;
            };
            let path = format!("Resources.{id}");
            match kind(resource).as_str() {
                "AWS::ApiGateway::Method" => {
                    let Some(api) = api_id(props) else { continue };
                    ensure(&mut apis, &api, resource);
                    let (resource_path, known) =
                        resource_path(props.get("ResourceId"), &paths, parameters);
                    let method = self.cfn_method(resource, props, &path);
                    let rest = apis.get_mut(&api).expect("inserted above");
                    match rest.resources.iter_mut().find(|r| r.path == resource_path) {
                        Some(r) => r.methods.push(method),
                        None => rest.resources.push(Resource {
                            path: resource_path,
                            known,
                            methods: vec![method],
                        }),
                    }
                }
                "AWS::ApiGateway::GatewayResponse" => {
                    let Some(api) = api_id(props) else { continue };
                    ensure(&mut apis, &api, resource);
                    let response = GatewayResponse {
                        kind: props.get_str("ResponseType").unwrap_or("").to_string(),
                        status: props.get_str("StatusCode").and_then(|s| s.parse().ok()),
                        parameters: header_parameters(
                            props.get("ResponseParameters"),
                            "gatewayresponse.header.",
                        ),
                        at: self.at(resource, &path),
                    };
                    apis.get_mut(&api)
                        .expect("inserted above")
                        .gateway_responses
                        .push(response);
                }
                _ => {}
            }
        }
        // Resources with no method of their own still exist (a parent path, say).
        found.rest.extend(apis.into_values());
        self.layers(resources, found);
        self.behaviors(&functions, &distributions, found);
    }

    /// A function URL with CORS in front of a function whose inline code sets
    /// `Access-Control-Allow-Origin` too: the browser gets the header twice.
    fn layers(&self, resources: &Node, found: &mut Surfaces) {
        let sets_cors = |resource: &Node| {
            let props = resource.get("Properties");
            let code = props
                .and_then(|p| p.get("Code"))
                .and_then(|c| c.get_str("ZipFile"))
                .or_else(|| props.and_then(|p| p.get_str("InlineCode")));
            code.is_some_and(|c| {
                c.to_ascii_lowercase()
                    .contains("access-control-allow-origin")
            })
        };
        for (id, resource) in resources.entries() {
            let props = resource.get("Properties");
            let (url_cors, target) = match resource.get_str("Type") {
                Some("AWS::Lambda::Url") => (
                    props.and_then(|p| p.get("Cors")),
                    props
                        .and_then(|p| p.get("TargetFunctionArn"))
                        .and_then(reference)
                        .map(|(t, _)| t),
                ),
                Some("AWS::Serverless::Function") => (
                    props
                        .and_then(|p| p.get("FunctionUrlConfig"))
                        .and_then(|f| f.get("Cors")),
                    Some(id.clone()),
                ),
                _ => continue,
            };
            let (Some(cors), Some(target)) = (url_cors, target) else {
                continue;
            };
            if resources.get(&target).is_some_and(sets_cors) {
                found.layers.push((
                    self.at(cors, &format!("Resources.{id}")),
                    format!("the function URL of {target} has CORS, and {target}'s code sets Access-Control-Allow-Origin too: the browser gets it twice ('*, *') and refuses it"),
                ));
            }
        }
    }

    /// Each cache behavior with a function, then each function no behavior uses.
    fn behaviors(
        &self,
        functions: &[Function],
        distributions: &[(String, &Node)],
        found: &mut Surfaces,
    ) {
        let mut used = vec![false; functions.len()];
        for (id, resource) in distributions {
            let config = resource
                .get("Properties")
                .and_then(|p| p.get("DistributionConfig"));
            let Some(config) = config else { continue };
            let mut behaviors: Vec<(String, &Node, String)> = Vec::new();
            if let Some(default) = config.get("DefaultCacheBehavior") {
                behaviors.push((
                    format!("distribution {id}, default behavior"),
                    default,
                    format!("Resources.{id}.Properties.DistributionConfig.DefaultCacheBehavior"),
                ));
            }
            let listed = config
                .get("CacheBehaviors")
                .map(Node::items)
                .unwrap_or_default();
            for (i, b) in listed.iter().enumerate() {
                behaviors.push((
                    format!(
                        "distribution {id}, behavior {}",
                        b.get_str("PathPattern").unwrap_or("?")
                    ),
                    b,
                    format!("Resources.{id}.Properties.DistributionConfig.CacheBehaviors[{i}]"),
                ));
            }
            for (name, behavior, path) in behaviors {
                let pattern = behavior.get_str("PathPattern").unwrap_or("/");
                let route = format!("/{}", pattern.trim_start_matches('/').replace('*', "audit"));
                let mut surface = Behavior {
                    name,
                    at: self.at(behavior, &path),
                    route,
                    viewer_request: None,
                    viewer_response: None,
                    origin_sends_cors: false,
                };
                let associations = behavior
                    .get("FunctionAssociations")
                    .map(Node::items)
                    .unwrap_or_default();
                for association in associations {
                    let target = association
                        .get("FunctionARN")
                        .and_then(reference)
                        .map(|(id, _)| id);
                    let index = target.and_then(|t| functions.iter().position(|f| f.name == t));
                    let Some(index) = index else {
                        found.unread.push((
                            self.at(association, &path),
                            "a function association names a function the template does not define"
                                .into(),
                        ));
                        continue;
                    };
                    used[index] = true;
                    let function = functions[index].clone();
                    match association.get_str("EventType") {
                        Some("viewer-request") => surface.viewer_request = Some(function),
                        Some("viewer-response") => surface.viewer_response = Some(function),
                        _ => {}
                    }
                }
                if surface.viewer_request.is_some() || surface.viewer_response.is_some() {
                    found.cloudfront.push(surface);
                }
            }
        }
        for (function, used) in functions.iter().zip(used) {
            if !used {
                found.cloudfront.push(Behavior::alone(function.clone()));
            }
        }
    }

    /// An integration read with `keys`, with its responses (read by the caller, as each format
    /// lists them its own way).
    pub(super) fn integration(
        &self,
        fields: &Node,
        at: Location,
        keys: &IntegrationKeys,
        responses: Vec<IntegrationResponse>,
    ) -> Integration {
        Integration {
            kind: fields.get_str(keys.kind).unwrap_or("").to_ascii_uppercase(),
            passthrough: fields
                .get_str(keys.passthrough)
                .unwrap_or("WHEN_NO_MATCH")
                .to_ascii_uppercase(),
            content_handling: fields.get_str(keys.content_handling).map(str::to_string),
            request_templates: string_map(fields.get(keys.request_templates)),
            responses,
            at,
        }
    }

    /// An integration response read with `keys`; `pattern` when the format gives it apart.
    pub(super) fn integration_response(
        &self,
        fields: &Node,
        at: Location,
        keys: &IntegrationKeys,
        pattern: Option<String>,
    ) -> IntegrationResponse {
        IntegrationResponse {
            status: fields.get_str(keys.status).unwrap_or("200").to_string(),
            pattern: pattern.or_else(|| fields.get_str(keys.pattern).map(str::to_string)),
            parameters: header_parameters(fields.get(keys.parameters), "method.response.header."),
            templates: string_map(fields.get(keys.templates)),
            at,
        }
    }

    fn cfn_method(&self, resource: &Node, props: &Node, path: &str) -> Method {
        let authorization = props.get_str("AuthorizationType").unwrap_or("NONE");
        let integration = props.get("Integration").map(|i| {
            let ipath = format!("{path}.Properties.Integration");
            let responses = i
                .get("IntegrationResponses")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    let at = self.at(r, &format!("{ipath}.IntegrationResponses[{n}]"));
                    self.integration_response(r, at, &CFN_INTEGRATION, None)
                })
                .collect();
            self.integration(i, self.at(i, &ipath), &CFN_INTEGRATION, responses)
        });
        Method {
            verb: props
                .get_str("HttpMethod")
                .unwrap_or("")
                .to_ascii_uppercase(),
            at: self.at(resource, path),
            authorizer: (!authorization.eq_ignore_ascii_case("NONE"))
                .then(|| authorization.to_string()),
            api_key: props.get("ApiKeyRequired").is_some_and(Node::is_true),
            integration,
        }
    }

    /// A static configuration whose fields `keys` names.
    pub(super) fn static_cors(
        &self,
        platform: Platform,
        name: &str,
        cors: &Node,
        path: &str,
        keys: &Keys,
    ) -> StaticCors {
        // Lists are plain, or (response headers policies) under `Items` (Terraform: a block
        // list of one with `items`).
        let list = |key: &str| {
            let node = cors.get(key);
            node.and_then(|n| {
                n.get("Items")
                    .or_else(|| n.items().first().and_then(|f| f.get("items")))
            })
            .or(node)
        };
        let origins = list(keys.origins)
            .map(|n| {
                n.items()
                    .iter()
                    .enumerate()
                    .filter_map(|(i, o)| {
                        text_of(o)
                            .map(|s| (s, self.at(o, &format!("{path}.{}[{i}]", keys.origins))))
                    })
                    .collect()
            })
            .unwrap_or_default();
        StaticCors {
            platform,
            name: name.to_string(),
            at: self.at(cors, path),
            origins,
            credentials: keys
                .credentials
                .and_then(|k| cors.get(k))
                .is_some_and(Node::is_true),
            methods: strings(list(keys.methods)),
            headers: strings(list(keys.headers)),
            expose: strings(list(keys.expose)),
            max_age: cors
                .get(keys.max_age)
                .and_then(Node::str)
                .and_then(|s| s.parse().ok()),
        }
    }

    /// The output of an AWS CLI command audit reads: `apigatewayv2 get-api`, `s3api
    /// get-bucket-cors`, `lambda get-function-url-config`, `cloudfront get-response-headers-policy`
    /// and `cloudfront get-cache-policy`.
    fn cli_output(&self, root: &Node, found: &mut Surfaces) {
        // `s3-cors.BUCKET.json` names the bucket (docs/audit.md's names: KIND.NAME.json).
        let stem = std::path::Path::new(self.file).file_stem().map_or_else(
            || self.file.to_string(),
            |s| s.to_string_lossy().to_string(),
        );
        let stem = stem
            .split_once('.')
            .map_or(stem.clone(), |(_, name)| name.to_string());
        if let (Some(cors), Some(_)) = (root.get("CorsConfiguration"), root.get("ApiId")) {
            let name = root.get_str("Name").unwrap_or(&stem).to_string();
            found.configs.push(self.static_cors(
                Platform::HttpApi,
                &name,
                cors,
                "CorsConfiguration",
                &PASCAL,
            ));
        }
        if let Some(rules) = root.get("CORSRules") {
            for (i, rule) in rules.items().iter().enumerate() {
                found.configs.push(self.static_cors(
                    Platform::S3,
                    &stem,
                    rule,
                    &format!("CORSRules[{i}]"),
                    &S3_CLI,
                ));
            }
        }
        if let (Some(cors), Some(url)) = (root.get("Cors"), root.get_str("FunctionUrl")) {
            found
                .configs
                .push(self.static_cors(Platform::FunctionUrl, url, cors, "Cors", &PASCAL));
        }
        if let Some(policy) = root.get("ResponseHeadersPolicy") {
            let config = policy.get("ResponseHeadersPolicyConfig");
            let name = config
                .and_then(|c| c.get_str("Name"))
                .unwrap_or(&stem)
                .to_string();
            if let Some(cors) = config.and_then(|c| c.get("CorsConfig")) {
                found.configs.push(self.static_cors(
                    Platform::ResponseHeadersPolicy,
                    &name,
                    cors,
                    "ResponseHeadersPolicy.ResponseHeadersPolicyConfig.CorsConfig",
                    &RESPONSE_HEADERS_POLICY,
                ));
            }
        }
        // A KeyValueStore: its import file (`data`: key, value), or what `aws
        // cloudfront-keyvaluestore list-keys` prints (`Items`: Key, Value); the pairs as an
        // import file.
        let (list, key, value) = match (root.get("data"), root.get("Items")) {
            (Some(data), _) => (Some(data), "key", "value"),
            (None, items) => (items, "Key", "Value"),
        };
        if let Some(data) = list {
            let pairs: Vec<serde_json::Value> = data
                .items()
                .iter()
                .filter_map(|item| {
                    Some(serde_json::json!({
                        "key": item.get_str(key)?,
                        "value": item.get_str(value)?,
                    }))
                })
                .collect();
            if !pairs.is_empty() {
                found
                    .stores
                    .push(serde_json::json!({ "data": pairs }).to_string());
            }
        }
        if let Some(policy) = root.get("CachePolicy") {
            if let Some(config) = policy.get("CachePolicyConfig") {
                let name = config.get_str("Name").unwrap_or(&stem).to_string();
                found.cache_policies.push(self.cache_policy(
                    &name,
                    config,
                    "CachePolicy.CachePolicyConfig",
                ));
            }
        }
    }

    /// Whether a cache policy's key holds `Origin`.
    fn cache_policy(&self, name: &str, config: &Node, path: &str) -> CachePolicy {
        let headers = config
            .get("ParametersInCacheKeyAndForwardedToOrigin")
            .and_then(|p| p.get("HeadersConfig"));
        let behavior = headers
            .and_then(|h| h.get_str("HeaderBehavior"))
            .unwrap_or("none");
        let listed = headers
            .and_then(|h| h.get("Headers"))
            .map(|h| strings(h.get("Items").or(Some(h))))
            .unwrap_or_default();
        CachePolicy {
            name: name.to_string(),
            at: self.at(config, path),
            origin_in_key: behavior == "whitelist"
                && listed.iter().any(|h| h.eq_ignore_ascii_case("origin")),
        }
    }

    /// An OpenAPI definition: REST paths and gateway responses, or an HTTP API's CORS.
    pub(super) fn openapi(&self, name: &str, root: &Node, base: &str, found: &mut Surfaces) {
        let join = |rest: &str| {
            if base.is_empty() {
                rest.to_string()
            } else {
                format!("{base}.{rest}")
            }
        };
        if let Some(cors) = root.get("x-amazon-apigateway-cors") {
            found.configs.push(self.static_cors(
                Platform::HttpApi,
                name,
                cors,
                &join("x-amazon-apigateway-cors"),
                &CAMEL,
            ));
            return;
        }
        let global_security = root.get("security");
        let schemes = root.get("securityDefinitions").or_else(|| {
            root.get("components")
                .and_then(|c| c.get("securitySchemes"))
        });
        // An export names its stage: Swagger's basePath, OpenAPI 3's server variable basePath.
        let stage = root
            .get_str("basePath")
            .or_else(|| {
                root.get("servers")
                    .and_then(|s| s.items().first())
                    .and_then(|s| s.get("variables"))
                    .and_then(|v| v.get("basePath"))
                    .and_then(|b| b.get_str("default"))
            })
            .map(|b| b.trim_matches('/').to_string())
            .filter(|b| !b.is_empty());
        let mut api = RestApi {
            name: name.to_string(),
            at: self.at(root, if base.is_empty() { "$" } else { base }),
            binary_media_types: strings(root.get("x-amazon-apigateway-binary-media-types")),
            stage,
            ..RestApi::default()
        };
        for (path, item) in root.get("paths").map(Node::entries).unwrap_or_default() {
            let mut resource = Resource {
                path: path.clone(),
                known: true,
                methods: Vec::new(),
            };
            for (verb, operation) in item.entries() {
                let verb = match verb.as_str() {
                    "x-amazon-apigateway-any-method" => "ANY".to_string(),
                    v if matches!(
                        v,
                        "get" | "put" | "post" | "delete" | "options" | "head" | "patch"
                    ) =>
                    {
                        v.to_ascii_uppercase()
                    }
                    _ => continue,
                };
                let opath = join(&format!("paths.{path}.{}", verb.to_ascii_lowercase()));
                let security = operation.get("security").or(global_security);
                let (authorizer, api_key) = security_of(security, schemes);
                let integration = operation.get("x-amazon-apigateway-integration").map(|i| {
                    let ipath = format!("{opath}.x-amazon-apigateway-integration");
                    let responses = i
                        .get("responses")
                        .map(Node::entries)
                        .unwrap_or_default()
                        .iter()
                        .map(|(pattern, r)| {
                            let at = self.at(r, &format!("{ipath}.responses.{pattern}"));
                            // Keyed by selection pattern, `default` for the default response.
                            let pattern = (pattern != "default").then(|| pattern.clone());
                            self.integration_response(r, at, &OPENAPI_INTEGRATION, pattern)
                        })
                        .collect();
                    self.integration(i, self.at(i, &ipath), &OPENAPI_INTEGRATION, responses)
                });
                resource.methods.push(Method {
                    verb,
                    at: self.at(operation, &opath),
                    authorizer,
                    api_key,
                    integration,
                });
            }
            api.resources.push(resource);
        }
        if let Some(responses) = root.get("x-amazon-apigateway-gateway-responses") {
            for (kind, response) in responses.entries() {
                api.gateway_responses.push(GatewayResponse {
                    kind: kind.clone(),
                    status: response.get_str("statusCode").and_then(|s| s.parse().ok()),
                    parameters: header_parameters(
                        response.get("responseParameters"),
                        "gatewayresponse.header.",
                    ),
                    at: self.at(
                        response,
                        &join(&format!("x-amazon-apigateway-gateway-responses.{kind}")),
                    ),
                });
            }
        }
        found.rest.push(api);
    }
}

/// The authorizer and API-key requirement of an operation's `security`.
fn security_of(security: Option<&Node>, schemes: Option<&Node>) -> (Option<String>, bool) {
    let mut authorizer = None;
    let mut api_key = false;
    for requirement in security.map(Node::items).unwrap_or_default() {
        for (name, _) in requirement.entries() {
            let scheme = schemes.and_then(|s| s.get(name));
            let is_key = scheme.is_some_and(|s| {
                s.get_str("type") == Some("apiKey")
                    && s.get("x-amazon-apigateway-authtype").is_none()
                    && s.get("x-amazon-apigateway-authorizer").is_none()
                    && s.get_str("name")
                        .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
            });
            if is_key {
                api_key = true;
            } else {
                authorizer = Some(name.clone());
            }
        }
    }
    (authorizer, api_key)
}

/// A method's resource path: the chain of `AWS::ApiGateway::Resource` path parts up to the
/// API's root. A resource passed in as a parameter is named by the first `/…` word of the
/// parameter's Description (corsgen's own fragments write one), else by the parameter.
fn resource_path(
    resource_id: Option<&Node>,
    paths: &Paths,
    parameters: Option<&Node>,
) -> (String, bool) {
    let Some((mut id, mut attr)) = resource_id.and_then(reference) else {
        return ("(a resource the input does not name)".into(), false);
    };
    let mut parts = Vec::new();
    for _ in 0..64 {
        if attr.as_deref() == Some("RootResourceId") {
            parts.reverse();
            return (format!("/{}", parts.join("/")), true);
        }
        if let Some((parent, part)) = paths.get(&id) {
            parts.push(part.clone());
            match parent {
                Some((pid, pattr)) => {
                    id.clone_from(pid);
                    attr.clone_from(pattr);
                }
                None => break,
            }
            continue;
        }
        if let Some(description) = parameters
            .and_then(|p| p.get(&id))
            .and_then(|p| p.get_str("Description"))
        {
            if let Some(base) = description.split_whitespace().find(|w| w.starts_with('/')) {
                parts.reverse();
                let base = base.trim_end_matches(['.', ',', ')']);
                let joined = if parts.is_empty() {
                    base.to_string()
                } else {
                    format!("{}/{}", base.trim_end_matches('/'), parts.join("/"))
                };
                return (joined, true);
            }
        }
        break;
    }
    (format!("(resource {id})"), false)
}
