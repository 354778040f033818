//! A REST API's findings: its OPTIONS methods (authorizer, API key, a failing integration,
//! then every check all surfaces get), resources without OPTIONS, integration responses and
//! gateway responses.

use crate::browser::{Credentials, FetchRequest, Initiator};

use super::{
    judge, location_of, not_serialized, origin_checks, origins_in, sample_path, Candidate, Kind,
    Out, Shape, Target, API, PROBE,
};
use crate::audit::answer::{Answer, ApiRequest, Source};
use crate::audit::rest::{Method, Resource, RestApi};
use crate::audit::{Finding, Location, Severity};

/// The method a preflight asks for on `resource`: its first method that is not simple, else
/// GET with a JSON body type (which needs a preflight too).
fn asked_method(resource: &Resource) -> &str {
    resource
        .methods
        .iter()
        .map(|m| m.verb.as_str())
        .find(|v| !matches!(*v, "GET" | "HEAD" | "POST" | "OPTIONS" | "ANY"))
        .unwrap_or("GET")
}

/// The probes of a resource's OPTIONS method.
pub(crate) fn rest_target<'a>(
    api: &'a RestApi,
    resource: &'a Resource,
    at: &'a Location,
) -> Target<'a> {
    Target {
        surface: api,
        route: &resource.path,
        method: asked_method(resource),
        kind: Kind::Preflight,
        at,
        header_case_matters: true,
    }
}

/// Origins written in the API's responses and templates (VTL comments left out), and the
/// findings for those written as no browser sends them.
pub(crate) fn candidates(api: &RestApi) -> (Vec<Candidate>, Vec<(String, String, Location)>) {
    let mut texts: Vec<(String, bool, Location)> = Vec::new();
    for resource in &api.resources {
        for method in &resource.methods {
            method_texts(method, &mut texts);
        }
    }
    for response in &api.gateway_responses {
        for (name, value) in &response.parameters {
            if name.eq_ignore_ascii_case("access-control-allow-origin") {
                texts.push((value.clone(), true, response.at.clone()));
            }
        }
    }
    origins_in(texts)
}

/// The origins one method's integration responses name.
fn method_candidates(method: &Method) -> Vec<Candidate> {
    let mut texts = Vec::new();
    method_texts(method, &mut texts);
    origins_in(texts).0
}

/// A method's static Access-Control-Allow-Origin values and its templates (VTL comments left
/// out), each with whether it is a header value.
fn method_texts(method: &Method, texts: &mut Vec<(String, bool, Location)>) {
    for response in method.integration.iter().flat_map(|i| &i.responses) {
        for (name, value) in &response.parameters {
            if name.eq_ignore_ascii_case("access-control-allow-origin") {
                texts.push((value.clone(), true, response.at.clone()));
            }
        }
        for (_, template) in &response.templates {
            let code: String = template
                .lines()
                .filter(|l| !l.trim_start().starts_with("##"))
                .collect::<Vec<_>>()
                .join("\n");
            texts.push((code, false, response.at.clone()));
        }
    }
}

fn has_cors(api: &RestApi) -> bool {
    api.resources.iter().flat_map(|r| &r.methods).any(|m| {
        m.integration.iter().flat_map(|i| &i.responses).any(|r| {
            r.parameters
                .iter()
                .any(|(n, _)| n.to_ascii_lowercase().starts_with("access-control-"))
                || r.templates
                    .iter()
                    .any(|(_, t)| t.contains("Access-Control-Allow-Origin"))
        })
    }) || api.gateway_responses.iter().any(|g| {
        g.parameters
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
    })
}

/// The findings for one REST API. `policy` turns deviations it declares into notes.
#[must_use]
pub fn rest(api: &RestApi, policy: Option<&crate::model::Policy>) -> Vec<Finding> {
    let surface = format!("REST API {}", api.name);
    let mut out = Out {
        findings: Vec::new(),
        surface: &surface,
    };
    let (candidates, problems) = candidates(api);
    not_serialized(problems, &mut out);
    let cors = has_cors(api) || !candidates.is_empty();
    let mut allowed_anywhere: Vec<String> = Vec::new();
    for resource in api.resources.iter().filter(|r| r.known) {
        let verbs: Vec<&Method> = resource
            .methods
            .iter()
            .filter(|m| m.verb != "OPTIONS")
            .collect();
        let options = resource.methods.iter().find(|m| m.verb == "OPTIONS");
        let Some(options) = options else {
            if cors && !verbs.is_empty() && !verbs.iter().any(|m| m.verb == "ANY") {
                let origin = candidates.first().map_or(PROBE, |c| c.origin.as_str());
                let probe = rest_target(api, resource, &api.at).probe(origin, &Shape::default());
                let at = verbs[0].at.clone();
                // Only requests that need a preflight fail: all of them, when a method does.
                let needs = verbs
                    .iter()
                    .any(|m| !crate::fetch::is_safelisted_method(&m.verb));
                out.add(
                    "options-missing",
                    if needs { Severity::Error } else { Severity::Warning },
                    &at,
                    format!(
                        "{} has {} but no OPTIONS method: API Gateway answers every preflight with {}",
                        resource.path,
                        verbs.iter().map(|m| m.verb.as_str()).collect::<Vec<_>>().join(", "),
                        probe.repro.status
                    ),
                    Some(&probe),
                    "add an OPTIONS method (a MOCK integration) to the resource, as corsgen's apigateway/ artifacts do",
                );
            }
            continue;
        };
        let named = method_candidates(options);
        let fallback = candidates.first().map_or(PROBE, |c| c.origin.as_str());
        let allowed = preflights(api, resource, options, &named, fallback, &mut out);
        for origin in allowed {
            if !allowed_anywhere.contains(&origin) {
                allowed_anywhere.push(origin);
            }
        }
    }
    for resource in api.resources.iter().filter(|r| r.known) {
        integration_responses(api, resource, &allowed_anywhere, cors, &mut out);
    }
    if cors {
        gateway_responses(api, &candidates, &allowed_anywhere, policy, &mut out);
    }
    out.findings
}

/// Probes one OPTIONS method; returns the origins it allows.
#[allow(clippy::too_many_lines)]
fn preflights(
    api: &RestApi,
    resource: &Resource,
    options: &Method,
    candidates: &[Candidate],
    fallback: &str,
    out: &mut Out<'_>,
) -> Vec<String> {
    let at = &options.at;
    let target = rest_target(api, resource, at);
    // The origin a failure is shown with: one the method names, else one the API names.
    let first = candidates.first().map_or(fallback, |c| c.origin.as_str());
    if options.authorizer.is_some() || options.api_key {
        let probe = target.probe(first, &Shape::default());
        let (code, what, fix) = if options.authorizer.is_some() {
            (
                "options-authorizer",
                "needs an authorizer: a preflight carries no credentials, so it is refused",
                "set AuthorizationType: NONE on the OPTIONS method (OpenAPI: `security: []`)",
            )
        } else {
            (
                "options-api-key",
                "needs an API key: a preflight never sends x-api-key, so it is refused",
                "set ApiKeyRequired: false on the OPTIONS method (OpenAPI: drop the API key from its `security`)",
            )
        };
        out.add(
            code,
            Severity::Error,
            at,
            format!("OPTIONS {} {what} ({})", resource.path, probe.repro.status),
            Some(&probe),
            fix,
        );
        return Vec::new();
    }
    let probe = target.probe(PROBE, &Shape::default());
    if let Answer::Unknown(why) = &probe.answer {
        if why.contains("not evaluated") {
            out.add(
                "not-evaluated",
                Severity::Warning,
                at,
                format!("OPTIONS {}: {why}", resource.path),
                None,
                "check this answer by hand or with `corsgen probe` against the deployed API",
            );
        }
        return Vec::new();
    }
    if matches!(
        probe.answer,
        Answer::Response(_, Source::Gateway("API_CONFIGURATION_ERROR", _))
    ) {
        let binary = !api.binary_media_types.is_empty()
            && options
                .integration
                .as_ref()
                .is_some_and(|i| i.content_handling.as_deref() != Some("CONVERT_TO_TEXT"));
        let (code, what, fix) = if binary {
            (
                "preflight-binary",
                format!("the API's binary media types ({}) make the preflight's body binary, and the MOCK integration fails", api.binary_media_types.join(", ")),
                "set ContentHandling: CONVERT_TO_TEXT on the OPTIONS integration",
            )
        } else {
            (
                "preflight-blocked",
                "the OPTIONS integration fails for every preflight (its request template gives no statusCode, or no integration response matches)".to_string(),
                "give the MOCK integration the request template {\"statusCode\": 200} and a default integration response",
            )
        };
        let shown = target.probe(first, &Shape::default());
        out.add(
            code,
            Severity::Error,
            at,
            format!("OPTIONS {}: {what} ({})", resource.path, shown.repro.status),
            Some(&shown),
            fix,
        );
        return Vec::new();
    }
    let methods: Vec<&str> = resource.methods.iter().map(|m| m.verb.as_str()).collect();
    let allowed = origin_checks(&target, candidates, &[], &methods, out);
    let credentials = probe
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let shape = Shape {
        credentials,
        ..Shape::default()
    };
    let Some(good) = allowed.iter().find(|o| *o != PROBE) else {
        return allowed;
    };
    let good_probe = target.probe(good, &shape);
    let typed = target.probe(
        good,
        &Shape {
            content_type: Some("text/plain"),
            ..shape.clone()
        },
    );
    // 415 (PassthroughBehavior NEVER) is the answer the fix asks for; a 500 is the defect.
    if good_probe.origin_allowed
        && matches!(
            typed.answer,
            Answer::Response(_, Source::Gateway("API_CONFIGURATION_ERROR", _))
        )
    {
        out.add(
            "preflight-content-type",
            Severity::Warning,
            at,
            format!("OPTIONS {} fails ({}) when the preflight carries a Content-Type with no request template (aws-cdk#18297)", resource.path, typed.repro.status),
            Some(&typed),
            "set PassthroughBehavior: NEVER and a request template for every content type clients send (corsgen's artifacts do)",
        );
    }
    allowed
}

fn integration_responses(
    api: &RestApi,
    resource: &Resource,
    allowed: &[String],
    cors: bool,
    out: &mut Out<'_>,
) {
    let Some(origin) = allowed.first().filter(|_| cors) else {
        return;
    };
    for method in resource.methods.iter().filter(|m| m.verb != "OPTIONS") {
        let non_proxy = method
            .integration
            .as_ref()
            .is_some_and(|i| matches!(i.kind.as_str(), "MOCK" | "AWS" | "HTTP"));
        if !non_proxy || method.verb == "ANY" {
            continue;
        }
        let target = Target {
            surface: api,
            route: &resource.path,
            method: &method.verb,
            kind: Kind::Actual,
            at: &method.at,
            header_case_matters: true,
        };
        // With credentials for the authorizer and the key, as the page sends them.
        let shape = Shape {
            authorization: method.authorizer.is_some(),
            api_key: method.api_key,
            ..Shape::default()
        };
        let p = target.probe(origin, &shape);
        if let Answer::Response(r, Source::Config(at)) = &p.answer {
            if r.header("access-control-allow-origin").is_none() {
                out.add(
                    "integration-response-no-cors",
                    Severity::Warning,
                    at,
                    format!("{} {} ({} integration) answers without Access-Control-Allow-Origin, so the browser hides the response", method.verb, resource.path, method.integration.as_ref().map_or("", |i| i.kind.as_str())),
                    Some(&p),
                    "map Access-Control-Allow-Origin (and Vary: Origin) in the integration response, as corsgen's apigateway/integration-responses.json shows",
                );
            }
        }
    }
}

fn gateway_responses(
    api: &RestApi,
    candidates: &[Candidate],
    allowed: &[String],
    policy: Option<&crate::model::Policy>,
    out: &mut Out<'_>,
) {
    let origin = allowed
        .first()
        .or_else(|| candidates.first().map(|c| &c.origin))
        .map_or(PROBE, String::as_str);
    let declared_reflect = policy
        .and_then(|p| p.apigateway.as_ref())
        .is_some_and(|a| a.gateway_origin == crate::model::GatewayOrigin::Reflect);
    let mut kinds: Vec<&'static str> = vec!["DEFAULT_4XX", "DEFAULT_5XX"];
    for g in &api.gateway_responses {
        if let Some(kind) = crate::engine::gateway_response_type(&g.kind) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    let path = api
        .resources
        .iter()
        .find(|r| r.known)
        .map_or("/".to_string(), |r| sample_path(&r.path));
    for kind in kinds {
        let request = |o: &str| {
            let headers = vec![("Origin".to_string(), o.to_string())];
            let answer = api.gateway_answer(
                kind,
                &ApiRequest {
                    method: "GET",
                    path: &path,
                    query: &[],
                    headers: &headers,
                },
            );
            let fetch = FetchRequest {
                engine: crate::browser::Engine::Chromium,
                url: format!("{API}{path}"),
                origin: o.to_string(),
                method: "GET".into(),
                headers: Vec::new(),
                credentials: Credentials::Omit,
                initiator: Initiator::Fetch,
            };
            judge(&fetch, headers, &[], answer, false)
        };
        let p = request(origin);
        let at = location_of(&p.answer, &api.at);
        let Answer::Response(response, _) = &p.answer else {
            out.add(
                "not-evaluated",
                Severity::Warning,
                &at,
                format!(
                    "gateway response {kind}: {}",
                    match &p.answer {
                        Answer::Unknown(w) => w.as_str(),
                        Answer::Response(..) => "",
                    }
                ),
                None,
                "check it with `corsgen probe` against the deployed API",
            );
            continue;
        };
        let acao = response.header("access-control-allow-origin");
        match acao {
            None => out.add(
                "gateway-response-no-cors",
                Severity::Warning,
                &at,
                format!("gateway response {kind} (status {}) has no Access-Control-Allow-Origin: the page sees a CORS error instead of the status", response.status),
                Some(&p),
                &format!("add gateway response {kind} with the CORS headers (corsgen's apigateway/ artifacts define them)"),
            ),
            Some(value)
                if value == "*"
                    && response
                        .header("access-control-allow-credentials")
                        .is_some_and(|v| v.eq_ignore_ascii_case("true")) =>
            {
                out.add(
                    "wildcard-with-credentials",
                    Severity::Error,
                    &at,
                    format!("gateway response {kind} answers `*` together with credentials: browsers refuse it, so its errors reach a credentialed page as CORS errors"),
                    Some(&p),
                    "send the origin (corsgen: gateway-response-origin = \"first\"), or drop Access-Control-Allow-Credentials",
                );
            }
            Some(value) if value != origin && value != "*" => out.add(
                "gateway-response-one-origin",
                Severity::Note,
                &at,
                format!("gateway response {kind} answers only {value}; other allowed origins see its errors as CORS errors (a gateway response cannot run a mapping template)"),
                Some(&p),
                "accept it (corsgen's `gateway-response-origin = \"first\"`), or put one origin per API",
            ),
            Some(_) => {
                let reflected = request(PROBE);
                if reflected.repro.response_headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("access-control-allow-origin") && v == PROBE) {
                    let credentials = response.header("access-control-allow-credentials").is_some_and(|v| v.eq_ignore_ascii_case("true"));
                    let severity = if declared_reflect {
                        Severity::Note
                    } else if credentials {
                        Severity::Critical
                    } else {
                        Severity::Error
                    };
                    out.add(
                        "origin-reflected",
                        severity,
                        &at,
                        format!("gateway response {kind} sends any Origin back as allowed{}", if declared_reflect { " (the policy's gateway-response-origin = \"reflect\" declares it)" } else { "" }),
                        Some(&reflected),
                        "send one static origin in gateway responses (corsgen: gateway-response-origin = \"first\")",
                    );
                }
            }
        }
    }
}
