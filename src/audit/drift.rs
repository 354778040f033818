//! Drift: where what the input answers differs from what the policy's engine answers, per
//! surface and route, and the surfaces the policy expects that the input lacks.

use std::collections::BTreeSet;

use crate::check::engine_answer;
use crate::engine::Request;
use crate::fetch::is_safelisted_method;
use crate::model::{AllowedOrigins, Policy, Rule};

use super::answer::{Answer, ApiRequest};
use super::cloudfront::Behavior;
use super::findings::{
    candidates, origins_in, rest_target, sample_path, Candidate, Kind, Shape, Target, MAX_TRIED,
    PROBE,
};
use super::rest::RestApi;
use super::{Finding, Location, Platform, Severity, StaticCors, Surfaces};

/// The drift code for a CORS response header.
fn code_for(header: &str) -> Option<&'static str> {
    Some(match header.to_ascii_lowercase().as_str() {
        "access-control-allow-origin" => "drift-origins",
        "access-control-allow-methods" => "drift-methods",
        "access-control-allow-headers" => "drift-headers",
        "access-control-allow-credentials" => "drift-credentials",
        "access-control-max-age" => "drift-max-age",
        "access-control-expose-headers" => "drift-expose-headers",
        _ => return None,
    })
}

/// A list header's value as a set: items trimmed, see [`set`].
fn items(value: Option<&str>, header: &str) -> BTreeSet<String> {
    set(
        value
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        header,
    )
}

/// The items of `header` as a set: header names compared in lowercase, methods as written and
/// without the safelisted ones (allowed whether listed or not, so never drift).
fn set<'a>(list: impl Iterator<Item = &'a str>, header: &str) -> BTreeSet<String> {
    let methods = header.eq_ignore_ascii_case("access-control-allow-methods");
    let fold = !methods;
    list.filter(|s| !(methods && is_safelisted_method(s)))
        .map(|s| {
            if fold {
                s.to_ascii_lowercase()
            } else {
                s.to_string()
            }
        })
        .collect()
}

/// Origins standing for a rule's: each exact origin, one host under each wildcard.
fn expected_origins(rule: &Rule) -> Vec<String> {
    match &rule.origins {
        AllowedOrigins::Any => vec![PROBE.to_string()],
        AllowedOrigins::List(_) => Candidate::of_rule(rule)
            .into_iter()
            .map(|c| c.origin)
            .collect(),
    }
}

fn drift_finding(
    code: &'static str,
    surface: &str,
    at: &Location,
    message: String,
    fix: &str,
) -> Finding {
    Finding {
        code,
        severity: Severity::Warning,
        surface: surface.to_string(),
        location: at.clone(),
        message,
        request: None,
        chromium: None,
        fix: fix.to_string(),
    }
}

/// Every drift of `surfaces` from `policy`.
#[must_use]
pub fn drift(surfaces: &Surfaces, policy: &Policy) -> Vec<Finding> {
    let mut out = Vec::new();
    for api in &surfaces.rest {
        rest(api, policy, &mut out);
    }
    for cors in &surfaces.configs {
        configuration(cors, policy, &mut out);
    }
    for behavior in &surfaces.cloudfront {
        cloudfront(behavior, policy, &mut out);
    }
    let first = surfaces
        .rest
        .iter()
        .map(|a| &a.at)
        .chain(surfaces.configs.iter().map(|h| &h.at))
        .chain(surfaces.cloudfront.iter().map(|b| &b.at))
        .next()
        .cloned()
        .unwrap_or_default();
    if policy.apigateway.is_some() && surfaces.rest.is_empty() {
        out.push(drift_finding(
            "drift-missing",
            "REST API",
            &first,
            "the policy emits API Gateway REST artifacts, and the input has no REST API".into(),
            "audit the template or export that defines the REST API too",
        ));
    }
    if policy.cloudfront.is_some() && surfaces.cloudfront.is_empty() {
        out.push(drift_finding(
            "drift-missing",
            "CloudFront",
            &first,
            "the policy emits CloudFront Functions, and the input has none".into(),
            "audit the template that defines the distribution, or the functions' code, too",
        ));
    }
    for platform in Platform::ALL {
        let expected = policy.configurations.contains(&platform.target());
        if expected && !surfaces.configs.iter().any(|c| c.platform == platform) {
            out.push(drift_finding(
                "drift-missing",
                platform.name(),
                &first,
                format!(
                    "the policy emits a {} CORS configuration, and the input has none",
                    platform.name()
                ),
                "audit the template or AWS CLI output that holds it too",
            ));
        }
    }
    out
}

/// Drift of one surface's answers on one route: the policy's origins must be allowed and no
/// other the input names, and the other CORS headers must be the engine's.
fn target_drift(
    target: &Target<'_>,
    policy: &Policy,
    named: &[Candidate],
    surface: &str,
    out: &mut Vec<Finding>,
) {
    let at = target.at;
    let label = target.label();
    let path = sample_path(target.route);
    let rule = policy.rule_for(&path);
    let preflight = target.kind == Kind::Preflight;
    let method = if preflight {
        rule.methods.first().map_or("GET", String::as_str)
    } else {
        target.method
    };
    let shape = Shape {
        method: Some(method),
        credentials: rule.credentials,
        ..Shape::default()
    };
    let engine = |origin: &str| {
        engine_answer(
            policy,
            &Request {
                method: if preflight { "OPTIONS" } else { method },
                path: &path,
                origin: Some(origin),
                request_method: preflight.then_some(method),
            },
        )
    };
    let mut compared = None;
    for origin in expected_origins(rule).into_iter().take(MAX_TRIED) {
        let p = target.probe(&origin, &shape);
        if matches!(p.answer, Answer::Unknown(_)) {
            return;
        }
        let expected = engine(&origin);
        let got = p.header("access-control-allow-origin");
        if got != expected.header("access-control-allow-origin") {
            out.push(drift_finding(
                "drift-origins",
                surface,
                at,
                format!(
                    "{label}: the policy allows {origin}; the input answers it {}",
                    got.map_or("without Access-Control-Allow-Origin".to_string(), |v| {
                        format!("with Access-Control-Allow-Origin: {v}")
                    })
                ),
                "re-emit and deploy the policy's artifacts, or change the policy",
            ));
        } else if compared.is_none() {
            compared = Some((p, expected));
        }
    }
    for candidate in named.iter().take(MAX_TRIED) {
        let expected = engine(&candidate.origin);
        if expected.header("access-control-allow-origin").is_some() {
            continue;
        }
        let p = target.probe(&candidate.origin, &shape);
        if p.header("access-control-allow-origin").as_deref() == Some(candidate.origin.as_str()) {
            out.push(drift_finding(
                "drift-origins",
                surface,
                at,
                format!(
                    "{label}: the input allows {}, which the policy does not",
                    candidate.origin
                ),
                "remove it from the input, or add it to the policy",
            ));
        }
    }
    let Some((p, expected)) = compared else {
        return;
    };
    let Some(got) = p.response() else { return };
    let headers: &[&str] = if preflight {
        &[
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-allow-credentials",
            "access-control-max-age",
        ]
    } else {
        &[
            "access-control-allow-credentials",
            "access-control-expose-headers",
        ]
    };
    for header in headers {
        let (a, b) = (got.header(header), expected.header(header));
        if items(a.as_deref(), header) != items(b.as_deref(), header) {
            out.push(drift_finding(
                code_for(header).unwrap_or("drift-origins"),
                surface,
                at,
                format!(
                    "{label}: {header} is {} in the input, {} in the policy",
                    a.map_or("absent".to_string(), |v| format!("`{v}`")),
                    b.map_or("absent".to_string(), |v| format!("`{v}`")),
                ),
                "re-emit and deploy the policy's artifacts, or change the policy",
            ));
        }
    }
}

fn cloudfront(behavior: &Behavior, policy: &Policy, out: &mut Vec<Finding>) {
    let surface = format!("CloudFront {}", behavior.name);
    for (function, kind) in [
        (&behavior.viewer_request, Kind::Preflight),
        (&behavior.viewer_response, Kind::Actual),
    ] {
        let Some(function) = function else { continue };
        let target = Target {
            surface: behavior,
            route: &behavior.route,
            method: "GET",
            kind,
            at: &function.at,
            header_case_matters: false,
        };
        let (named, _) = origins_in(vec![(function.code.clone(), false, function.at.clone())]);
        target_drift(&target, policy, &named, &surface, out);
    }
}

fn rest(api: &RestApi, policy: &Policy, out: &mut Vec<Finding>) {
    let surface = format!("REST API {}", api.name);
    let (found, _) = candidates(api);
    for resource in api.resources.iter().filter(|r| r.known) {
        let Some(options) = resource.methods.iter().find(|m| m.verb == "OPTIONS") else {
            continue;
        };
        target_drift(
            &rest_target(api, resource, &options.at),
            policy,
            &found,
            &surface,
            out,
        );
    }
    let Some(gateway) = policy.apigateway.as_ref() else {
        return;
    };
    for resource in &gateway.resources {
        let has = api.resources.iter().any(|r| {
            r.known && r.path == resource.path && r.methods.iter().any(|m| m.verb == "OPTIONS")
        });
        if !has {
            out.push(drift_finding(
                "drift-missing",
                &surface,
                &api.at,
                format!(
                    "the policy expects an OPTIONS method on {}, and the input has none",
                    resource.path
                ),
                "merge corsgen's apigateway/ artifacts into the API",
            ));
        }
    }
    let origin = expected_origins(&policy.default_rule)
        .into_iter()
        .next()
        .unwrap_or_else(|| PROBE.to_string());
    for kind in &gateway.gateway_responses {
        let Some(defined) = api.gateway_responses.iter().find(|g| g.kind == *kind) else {
            out.push(drift_finding(
                "drift-missing",
                &surface,
                &api.at,
                format!("the policy expects gateway response {kind} with CORS headers, and the input has none"),
                "merge corsgen's gateway responses into the API",
            ));
            continue;
        };
        let Some(expected) = crate::engine::gateway_response(policy, kind, Some(&origin), None)
        else {
            continue;
        };
        let headers = vec![("Origin".to_string(), origin.clone())];
        let got = match api.gateway_answer(
            kind,
            &ApiRequest {
                method: "GET",
                path: "/",
                query: &[],
                headers: &headers,
            },
        ) {
            Answer::Response(r, _) => r,
            Answer::Unknown(_) => continue,
        };
        let names: BTreeSet<String> = expected
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .chain(got.headers.iter().map(|(n, _)| n.to_ascii_lowercase()))
            .collect();
        for name in names {
            let Some(code) = code_for(&name) else {
                continue;
            };
            let want = expected
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                .map(|(_, v)| v.clone());
            let have = got.header(&name);
            if items(have.as_deref(), &name) != items(want.as_deref(), &name) {
                out.push(drift_finding(
                    code,
                    &surface,
                    &defined.at,
                    format!(
                        "gateway response {kind}: {name} is {} in the input, {} in the policy",
                        have.map_or("absent".to_string(), |v| format!("`{v}`")),
                        want.map_or("absent".to_string(), |v| format!("`{v}`")),
                    ),
                    "re-emit and deploy the policy's gateway responses, or change the policy",
                ));
            }
        }
    }
}

/// A static configuration against the policy's default rule. Safelisted methods (allowed whether
/// listed or not) are left out, and S3's declared deviation is not drift: it always sends
/// credentials.
fn configuration(cors: &StaticCors, policy: &Policy, out: &mut Vec<Finding>) {
    if cors
        .origins
        .iter()
        .any(|(o, _)| crate::audit::read::computed(o))
    {
        return; // reported as not evaluated
    }
    let surface = format!("{} {}", cors.platform.name(), cors.name);
    let rule = &policy.default_rule;
    let want_origins: BTreeSet<String> = match &rule.origins {
        AllowedOrigins::Any => ["*".to_string()].into(),
        AllowedOrigins::List(list) => list
            .exact
            .iter()
            .cloned()
            .chain(
                list.wildcards
                    .iter()
                    .map(crate::origin::WildcardOrigin::pattern),
            )
            .collect(),
    };
    let have_origins: BTreeSet<String> = cors.origins.iter().map(|(o, _)| o.clone()).collect();
    let mut differ = |code: &'static str, what: &str, have: String, want: String| {
        out.push(drift_finding(
            code,
            &surface,
            &cors.at,
            format!("{what}: {have} in the input, {want} in the policy"),
            "re-emit and deploy the policy's configuration, or change the policy",
        ));
    };
    let show = |set: &BTreeSet<String>| {
        format!("[{}]", set.iter().cloned().collect::<Vec<_>>().join(", "))
    };
    if have_origins != want_origins {
        differ(
            "drift-origins",
            "the allowed origins",
            show(&have_origins),
            show(&want_origins),
        );
    }
    let s3 = cors.platform == Platform::S3;
    let of = |list: &[String], header: &str| set(list.iter().map(String::as_str), header);
    let pairs = [
        (
            "drift-methods",
            "the allowed methods",
            of(&cors.methods, "access-control-allow-methods"),
            of(&rule.methods, "access-control-allow-methods"),
        ),
        (
            "drift-headers",
            "the allowed headers",
            of(&cors.headers, "access-control-allow-headers"),
            of(&rule.headers, "access-control-allow-headers"),
        ),
        (
            "drift-expose-headers",
            "the exposed headers",
            of(&cors.expose, "access-control-expose-headers"),
            of(&rule.expose, "access-control-expose-headers"),
        ),
    ];
    for (code, what, have, want) in pairs {
        if have != want {
            differ(code, what, show(&have), show(&want));
        }
    }
    if !s3 && cors.credentials != rule.credentials {
        differ(
            "drift-credentials",
            "credentials",
            cors.credentials.to_string(),
            rule.credentials.to_string(),
        );
    }
    if cors.max_age != rule.max_age.map(i64::from) {
        let show = |v: Option<i64>| v.map_or("absent".to_string(), |v| v.to_string());
        differ(
            "drift-max-age",
            "max-age",
            show(cors.max_age),
            show(rule.max_age.map(i64::from)),
        );
    }
}
