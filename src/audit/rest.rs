//! An API Gateway REST API as audit reads it (from CloudFormation resources or an OpenAPI
//! definition with API Gateway's extensions) and what it answers: the method a request reaches,
//! its authorizer and API key, a MOCK or non-proxy integration run with its mapping templates
//! (request template for the status, integration response, response parameters, response
//! template overrides), and the gateway response for every error on the way.

use crate::browser::Response;

use super::answer::{Answer, Answers, ApiRequest, Source};
use super::vtl::{self, Input, VtlError};
use super::Location;

/// A REST API.
#[derive(Debug, Clone, Default)]
pub struct RestApi {
    /// Its name (logical id or title).
    pub name: String,
    /// Where it is defined.
    pub at: Location,
    /// `binaryMediaTypes`.
    pub binary_media_types: Vec<String>,
    /// Resources with their methods.
    pub resources: Vec<Resource>,
    /// Gateway responses defined.
    pub gateway_responses: Vec<GatewayResponse>,
    /// The stage an export was taken from (its base path), when it says.
    pub stage: Option<String>,
    /// Its mapping templates, parsed once.
    pub parsed: vtl::Parsed,
}

/// A resource and its methods.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// Its path (`/orders/{id}`); a resource whose path the input does not show is named by
    /// what the input says about it.
    pub path: String,
    /// True when the path is known.
    pub known: bool,
    /// Methods, `ANY` for `x-amazon-apigateway-any-method`.
    pub methods: Vec<Method>,
}

/// A method.
#[derive(Debug, Clone, Default)]
pub struct Method {
    /// The verb, uppercase, or `ANY`.
    pub verb: String,
    /// Where it is defined.
    pub at: Location,
    /// The authorizer (`COGNITO_USER_POOLS`, `CUSTOM`, `AWS_IAM`, a security scheme), if any.
    pub authorizer: Option<String>,
    /// `apiKeyRequired`.
    pub api_key: bool,
    /// The integration.
    pub integration: Option<Integration>,
}

/// An integration.
#[derive(Debug, Clone, Default)]
pub struct Integration {
    /// `MOCK`, `AWS`, `AWS_PROXY`, `HTTP`, `HTTP_PROXY`, uppercase.
    pub kind: String,
    /// `WHEN_NO_MATCH`, `WHEN_NO_TEMPLATES` or `NEVER`, uppercase.
    pub passthrough: String,
    /// `contentHandling`.
    pub content_handling: Option<String>,
    /// Request templates by content type.
    pub request_templates: Vec<(String, String)>,
    /// Integration responses.
    pub responses: Vec<IntegrationResponse>,
    /// Where it is defined.
    pub at: Location,
}

/// An integration response.
#[derive(Debug, Clone, Default)]
pub struct IntegrationResponse {
    /// The method response status it maps to.
    pub status: String,
    /// `selectionPattern`; `None` for the default response.
    pub pattern: Option<String>,
    /// Response parameters: header name and mapping expression.
    pub parameters: Vec<(String, String)>,
    /// Response templates by content type.
    pub templates: Vec<(String, String)>,
    /// Where it is defined.
    pub at: Location,
}

/// A gateway response.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponse {
    /// Its type (`DEFAULT_4XX`, `UNAUTHORIZED`, ...).
    pub kind: String,
    /// The status it answers with, when set.
    pub status: Option<u16>,
    /// Header name and mapping expression.
    pub parameters: Vec<(String, String)>,
    /// Where it is defined.
    pub at: Location,
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// How well `pattern` matches `path`: `None` when it does not, else one rank per segment
/// (literal 2, `{param}` 1, greedy `{proxy+}` 0), compared segment by segment as API Gateway
/// prefers the more literal match at the first segment where two differ.
fn path_score(pattern: &str, path: &str) -> Option<Vec<u8>> {
    let (pattern, path) = (segments(pattern), segments(path));
    let mut ranks = Vec::new();
    for (i, part) in pattern.iter().enumerate() {
        if part.starts_with('{') && part.ends_with("+}") {
            ranks.push(0);
            return (path.len() > i).then_some(ranks);
        }
        let segment = path.get(i)?;
        if part.starts_with('{') && part.ends_with('}') {
            ranks.push(1);
        } else if part == segment {
            ranks.push(2);
        } else {
            return None;
        }
    }
    // An exact-length match beats a greedy one that stops at the same segment.
    ranks.push(3);
    (pattern.len() == path.len()).then_some(ranks)
}

impl Answers for RestApi {
    fn answer(&self, request: &ApiRequest<'_>) -> Answer {
        self.answer_request(request)
    }
}

/// The status API Gateway gives each gateway response type by default.
fn default_status(kind: &str) -> u16 {
    match kind {
        "UNAUTHORIZED" => 401,
        "MISSING_AUTHENTICATION_TOKEN" | "INVALID_API_KEY" | "ACCESS_DENIED" => 403,
        "UNSUPPORTED_MEDIA_TYPE" => 415,
        "API_CONFIGURATION_ERROR" => 500,
        "DEFAULT_5XX" => 500,
        _ => 400,
    }
}

/// A header value from a mapping expression: `'static'`, or a request header, query string
/// parameter or path parameter. `Err` for an expression audit does not evaluate.
/// A gateway response may map request parameters; an integration response may not (API
/// Gateway refuses to deploy it), so there `from_request` is false.
fn expression_value(
    expression: &str,
    request: &ApiRequest<'_>,
    from_request: bool,
) -> Result<Option<String>, String> {
    let e = expression.trim();
    if super::read::computed(e) {
        return Err(format!(
            "{e}, a value CloudFormation fills in at deploy time"
        ));
    }
    if let Some(inner) = e.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Ok(Some(inner.to_string()));
    }
    if !from_request && e.starts_with("method.request.") {
        return Err(format!(
            "the mapping expression {e}, which API Gateway refuses in an integration response"
        ));
    }
    if let Some(name) = e.strip_prefix("method.request.header.") {
        return Ok(request.header(name).map(str::to_string));
    }
    if let Some(name) = e.strip_prefix("method.request.querystring.") {
        return Ok(request
            .query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone()));
    }
    Err(format!("the mapping expression {e}"))
}

impl RestApi {
    /// The resource and method `request` reaches.
    #[must_use]
    pub fn route(&self, method: &str, path: &str) -> Option<(&Resource, &Method)> {
        let resource = self
            .resources
            .iter()
            .filter(|r| r.known)
            .filter_map(|r| path_score(&r.path, path).map(|s| (s, r)))
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, r)| r)?;
        let found = resource
            .methods
            .iter()
            .find(|m| m.verb == method)
            .or_else(|| resource.methods.iter().find(|m| m.verb == "ANY"))?;
        Some((resource, found))
    }

    /// The gateway response of `kind` (falling back to its default), as sent.
    #[must_use]
    pub fn gateway_answer(&self, kind: &'static str, request: &ApiRequest<'_>) -> Answer {
        let fallback = if default_status(kind) >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let defined = self
            .gateway_responses
            .iter()
            .find(|g| g.kind == kind)
            .or_else(|| self.gateway_responses.iter().find(|g| g.kind == fallback));
        let status = defined
            .and_then(|g| g.status.filter(|_| g.kind == kind))
            .unwrap_or_else(|| default_status(kind));
        let mut headers = Vec::new();
        if let Some(g) = defined {
            for (name, expression) in &g.parameters {
                match expression_value(expression, request, true) {
                    Ok(Some(value)) => headers.push((name.clone(), value)),
                    Ok(None) => {}
                    Err(what) => return Answer::Unknown(format!("not evaluated: {what}")),
                }
            }
        }
        Answer::Response(
            Response { status, headers },
            Source::Gateway(kind, defined.map(|g| g.at.clone())),
        )
    }

    /// What the API answers to `request`.
    #[must_use]
    pub fn answer_request(&self, request: &ApiRequest<'_>) -> Answer {
        let Some((_, method)) = self.route(request.method, request.path) else {
            return self.gateway_answer("MISSING_AUTHENTICATION_TOKEN", request);
        };
        if let Some(authorizer) = method
            .authorizer
            .as_deref()
            .filter(|_| request.header("authorization").is_none())
        {
            // A preflight carries no credentials: the authorizer refuses it (IAM, unsigned:
            // "Missing Authentication Token").
            return if authorizer.eq_ignore_ascii_case("AWS_IAM") {
                self.gateway_answer("MISSING_AUTHENTICATION_TOKEN", request)
            } else {
                self.gateway_answer("UNAUTHORIZED", request)
            };
        }
        if method.api_key && request.header("x-api-key").is_none() {
            return self.gateway_answer("INVALID_API_KEY", request);
        }
        let Some(integration) = &method.integration else {
            return Answer::Unknown("the method has no integration in the input".into());
        };
        match integration.kind.as_str() {
            "MOCK" | "AWS" | "HTTP" => self.integration_answer(method, integration, request),
            _ => Answer::Unknown(format!(
                "the backend answers ({} integration)",
                integration.kind
            )),
        }
    }

    fn is_binary(&self, content_type: &str) -> bool {
        let (kind, _) = content_type.split_once('/').unwrap_or((content_type, ""));
        self.binary_media_types.iter().any(|t| {
            let t = t.trim().to_ascii_lowercase();
            t == "*/*" || t == content_type || t == format!("{kind}/*")
        })
    }

    fn integration_answer(
        &self,
        method: &Method,
        integration: &Integration,
        request: &ApiRequest<'_>,
    ) -> Answer {
        let content_type =
            request
                .header("content-type")
                .map_or("application/json".to_string(), |c| {
                    c.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                });
        if self.is_binary(&content_type)
            && integration.content_handling.as_deref() != Some("CONVERT_TO_TEXT")
            && !integration.request_templates.is_empty()
        {
            // "Execution failed due to configuration error: Unable to transform request".
            return self.gateway_answer("API_CONFIGURATION_ERROR", request);
        }
        let template = integration
            .request_templates
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(&content_type))
            .map(|(_, body)| body.as_str());
        let input = Input {
            path: Vec::new(),
            query: request.query.to_vec(),
            headers: request.headers.to_vec(),
            body: String::new(),
        };
        let status_code = match (template, integration.passthrough.as_str()) {
            (Some(template), _) => match self.parsed.render(template, &input) {
                Ok(rendered) => mock_status(&rendered.text),
                Err(VtlError::Unsupported(what)) => {
                    return Answer::Unknown(format!("request template not evaluated: {what}"))
                }
                // A template that fails is a configuration error, whatever the integration.
                Err(VtlError::Failed(_)) => {
                    return self.gateway_answer("API_CONFIGURATION_ERROR", request)
                }
            },
            (None, "NEVER") => return self.gateway_answer("UNSUPPORTED_MEDIA_TYPE", request),
            (None, "WHEN_NO_TEMPLATES") if !integration.request_templates.is_empty() => {
                return self.gateway_answer("UNSUPPORTED_MEDIA_TYPE", request)
            }
            // The body passes through; a MOCK reads no status from an empty body.
            (None, _) => None,
        };
        let selector = match integration.kind.as_str() {
            "MOCK" => match status_code {
                Some(code) => code.to_string(),
                // "statusCode should be an integer which defined in request template".
                None => return self.gateway_answer("API_CONFIGURATION_ERROR", request),
            },
            // A backend behind a non-proxy integration: audit assumes it succeeds.
            _ => "200".to_string(),
        };
        let chosen = integration
            .responses
            .iter()
            .find(|r| {
                r.pattern.as_deref().is_some_and(|p| {
                    !p.is_empty() && vtl::whole_match(p).is_some_and(|re| re.is_match(&selector))
                })
            })
            .or_else(|| {
                integration
                    .responses
                    .iter()
                    .find(|r| r.pattern.as_deref().is_none_or(str::is_empty))
            });
        let Some(chosen) = chosen else {
            // "No match for output mapping and no default output mapping specified".
            return self.gateway_answer("API_CONFIGURATION_ERROR", request);
        };
        let mut status: u16 = chosen.status.parse().unwrap_or(200);
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, expression) in &chosen.parameters {
            match expression_value(expression, request, false) {
                Ok(Some(value)) => headers.push((name.clone(), value)),
                Ok(None) => {}
                Err(what) => return Answer::Unknown(format!("not evaluated: {what}")),
            }
        }
        let accept = request.header("accept").unwrap_or("application/json");
        let template = chosen
            .templates
            .iter()
            .find(|(t, _)| accept.contains(t.as_str()))
            .or_else(|| {
                chosen
                    .templates
                    .iter()
                    .find(|(t, _)| t == "application/json")
            })
            .or_else(|| chosen.templates.first());
        if let Some((_, template)) = template {
            match self.parsed.render(template, &input) {
                Ok(rendered) => {
                    for (name, value) in rendered.headers {
                        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                        headers.push((name, value));
                    }
                    if let Some(code) = rendered.status {
                        match code.trim().parse() {
                            Ok(code) => status = code,
                            Err(_) => {
                                return self.gateway_answer("API_CONFIGURATION_ERROR", request)
                            }
                        }
                    }
                }
                Err(VtlError::Unsupported(what)) => {
                    return Answer::Unknown(format!("response template not evaluated: {what}"))
                }
                Err(VtlError::Failed(_)) => {
                    return self.gateway_answer("API_CONFIGURATION_ERROR", request)
                }
            }
        }
        Answer::Response(
            Response { status, headers },
            Source::Config(method.at.clone()),
        )
    }
}

/// The `statusCode` a MOCK integration reads from its request template's output (JSON, or the
/// relaxed `{ statusCode: 200 }` API Gateway accepts too).
fn mock_status(text: &str) -> Option<u16> {
    let at = text.find("statusCode")?;
    let rest = text[at + "statusCode".len()..].trim_start();
    let rest = rest.strip_prefix('"').unwrap_or(rest).trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_beat_parameters_and_greedy_paths() {
        assert!(
            path_score("/orders/{id}", "/orders/7") < path_score("/orders/list", "/orders/list")
        );
        assert!(path_score("/{proxy+}", "/orders/7") < path_score("/orders/{id}", "/orders/7"));
        assert_eq!(path_score("/{proxy+}", "/"), None);
        assert!(path_score("/", "/").is_some());
    }

    #[test]
    fn mock_status_reads_json_and_the_relaxed_form() {
        assert_eq!(mock_status("{\"statusCode\": 200}"), Some(200));
        assert_eq!(mock_status("{ statusCode: 204 }"), Some(204));
        assert_eq!(mock_status("{}"), None);
    }
}
