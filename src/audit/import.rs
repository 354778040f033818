//! `corsgen import`: a starter policy from what audit reads. The origins each surface names
//! (written as the browser sends them), credentials, methods, headers, exposed headers and
//! max-age from what the surfaces answer, the REST resources that need an OPTIONS method, the
//! gateway-response choice, an environment per stage when the inputs are exports of several
//! stages, and a comment at each place where the input did something the policy refuses (a
//! reflected origin, a look-alike match, `*` with credentials...). The text is validated before
//! it is returned.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::answer::{Answer, Source};
use super::findings::{self, Shape, PROBE};
use super::{Finding, Platform, Severity, Surfaces};
use crate::fetch::is_safelisted_method;
use crate::origin::{parse_origin, OriginSpec};
use crate::Failure;

/// What the inputs show, gathered for one policy.
#[derive(Default)]
struct Evidence {
    /// Origins by stage (`None`: every stage).
    origins: Vec<(Option<String>, String)>,
    credentials: bool,
    methods: Vec<String>,
    headers: Vec<String>,
    any_header: bool,
    expose: Vec<String>,
    max_age: Option<i64>,
    resources: Vec<String>,
    gateway_responses: Vec<String>,
    gateway_reflects: bool,
    rest: bool,
    proxy: bool,
    cloudfront: bool,
    platforms: Vec<Platform>,
    /// Comments for what the policy refuses, from audit's findings.
    refusals: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, item: &str, fold: bool) {
    let same = |a: &String| {
        if fold {
            a.eq_ignore_ascii_case(item)
        } else {
            a == item
        }
    };
    if !item.is_empty() && !list.iter().any(same) {
        list.push(item.to_string());
    }
}

/// An origin as the policy writes it: a candidate standing for a wildcard becomes the pattern,
/// one written wrong becomes what the browser sends; `None` when it cannot be either.
fn policy_origin(origin: &str, wildcard: bool) -> Option<String> {
    let written = if wildcard {
        origin.replacen("audit", "*", 1)
    } else {
        origin.to_string()
    };
    match parse_origin(&written) {
        Ok(OriginSpec::Any) => None,
        Ok(spec) => Some(spec.as_policy_string()),
        Err(problem) => problem.suggestion,
    }
}

impl Evidence {
    fn answer_headers(&mut self, response: &crate::browser::Response) {
        let list = |name: &str| -> Vec<String> {
            response
                .header(name)
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        if response
            .header("access-control-allow-credentials")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            self.credentials = true;
        }
        for method in list("access-control-allow-methods") {
            let method = method.to_ascii_uppercase();
            if method != "OPTIONS" && method != "*" && !is_safelisted_method(&method) {
                push_unique(&mut self.methods, &method, false);
            }
        }
        for header in list("access-control-allow-headers") {
            if header == "*" {
                self.any_header = true;
            } else {
                push_unique(&mut self.headers, &header, true);
            }
        }
        for header in list("access-control-expose-headers") {
            push_unique(&mut self.expose, &header, true);
        }
        if let Some(age) = response
            .header("access-control-max-age")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            self.max_age = Some(self.max_age.map_or(age, |a| a.max(age)));
        }
    }

    fn rest(&mut self, surfaces: &Surfaces) {
        for api in &surfaces.rest {
            self.rest = true;
            let (named, _) = findings::candidates(api);
            for candidate in &named {
                if let Some(origin) = policy_origin(&candidate.origin, candidate.wildcard) {
                    self.origins.push((api.stage.clone(), origin));
                }
            }
            for resource in api.resources.iter().filter(|r| r.known) {
                let methods = resource.methods.iter().filter(|m| m.verb != "OPTIONS");
                if methods.clone().next().is_some()
                    || resource.methods.iter().any(|m| m.verb == "OPTIONS")
                {
                    push_unique(&mut self.resources, &resource.path, false);
                }
                for method in methods {
                    self.proxy |= method
                        .integration
                        .as_ref()
                        .is_some_and(|i| i.kind.ends_with("_PROXY"));
                    if method.verb != "ANY" && !is_safelisted_method(&method.verb) {
                        push_unique(&mut self.methods, &method.verb, false);
                    }
                }
                let Some(options) = resource.methods.iter().find(|m| m.verb == "OPTIONS") else {
                    continue;
                };
                let target = findings::rest_target(api, resource, &options.at);
                let origin = named.first().map_or(PROBE, |c| c.origin.as_str());
                // The OPTIONS method's own answer; a gateway response's (an authorizer's 401)
                // says nothing of what the method allows.
                let answer = target.probe(origin, &Shape::default()).answer;
                if let Answer::Response(response, Source::Config(_)) = answer {
                    self.answer_headers(&response);
                }
            }
            for response in &api.gateway_responses {
                let cors = response
                    .parameters
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"));
                for (name, value) in &response.parameters {
                    let value = value.trim().trim_matches('\'');
                    if name.eq_ignore_ascii_case("access-control-expose-headers") {
                        for header in value.split(',') {
                            push_unique(&mut self.expose, header.trim(), true);
                        }
                    }
                }
                if let Some((_, value)) = cors {
                    if crate::engine::gateway_response_type(&response.kind).is_some() {
                        push_unique(&mut self.gateway_responses, &response.kind, false);
                    }
                    self.gateway_reflects |= value.trim().starts_with("method.request.header");
                }
            }
        }
    }

    fn configurations(&mut self, surfaces: &Surfaces) {
        for cors in &surfaces.configs {
            if !self.platforms.contains(&cors.platform) {
                self.platforms.push(cors.platform);
            }
            for (origin, _) in &cors.origins {
                // Written as the platform takes it: a `*` pattern is parsed as written.
                if let Some(origin) = policy_origin(origin, false) {
                    self.origins.push((None, origin));
                }
            }
            self.credentials |= cors.credentials;
            for method in &cors.methods {
                let method = method.to_ascii_uppercase();
                if method != "OPTIONS" && method != "*" && !is_safelisted_method(&method) {
                    push_unique(&mut self.methods, &method, false);
                }
            }
            for header in &cors.headers {
                if header == "*" {
                    self.any_header = true;
                } else {
                    push_unique(&mut self.headers, header, true);
                }
            }
            for header in &cors.expose {
                push_unique(&mut self.expose, header, true);
            }
            if let Some(age) = cors.max_age {
                self.max_age = Some(self.max_age.map_or(age, |a| a.max(age)));
            }
        }
    }

    /// CloudFront Functions: the origins their code names, and what they answer to the first.
    fn cloudfront(&mut self, surfaces: &Surfaces) {
        for behavior in &surfaces.cloudfront {
            self.cloudfront = true;
            for (function, kind) in [
                (&behavior.viewer_request, findings::Kind::Preflight),
                (&behavior.viewer_response, findings::Kind::Actual),
            ] {
                let Some(function) = function else { continue };
                let (named, _) =
                    findings::origins_in(vec![(function.code.clone(), false, function.at.clone())]);
                for candidate in &named {
                    if let Some(origin) = policy_origin(&candidate.origin, candidate.wildcard) {
                        self.origins.push((None, origin));
                    }
                }
                let Some(first) = named.first() else { continue };
                let target = findings::Target {
                    surface: behavior,
                    route: &behavior.route,
                    method: "GET",
                    kind,
                    at: &function.at,
                    header_case_matters: false,
                };
                let answer = target.probe(&first.origin, &Shape::default()).answer;
                if let Answer::Response(response, Source::Config(_)) = answer {
                    self.answer_headers(&response);
                }
            }
        }
    }
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| toml_string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// `line` as `#` comment lines of at most about 100 columns.
fn comment(text: &mut String, line: &str) {
    let line = crate::report::printable_line(line);
    let mut current = String::from("#");
    for word in line.split_whitespace() {
        if current.len() + 1 + word.len() > 98 && current.len() > 1 {
            let _ = writeln!(text, "{current}");
            current = String::from("#");
        }
        current.push(' ');
        current.push_str(word);
    }
    let _ = writeln!(text, "{current}");
}

/// The starter policy for `surfaces` (read from `inputs`), with `found` (audit's findings) turned
/// into comments where the policy refuses what the input did.
fn render(inputs: &[String], surfaces: &Surfaces, found: &[Finding]) -> String {
    let mut evidence = Evidence::default();
    evidence.rest(surfaces);
    evidence.configurations(surfaces);
    evidence.cloudfront(surfaces);
    for f in found {
        let refused = matches!(
            f.code,
            "origin-reflected"
                | "origin-look-alike"
                | "origin-list-in-header"
                | "origin-not-serialized"
                | "wildcard-with-credentials"
                | "origin-from-query"
                | "static-first-origin"
                | "two-layers"
                | "not-evaluated"
        );
        if refused && f.severity >= Severity::Warning {
            let file = std::path::Path::new(&f.location.file)
                .file_name()
                .map_or_else(
                    || f.location.file.clone(),
                    |n| n.to_string_lossy().to_string(),
                );
            evidence.refusals.push(format!(
                "{} [{}] at {file}:{}:{}: {}",
                f.severity, f.code, f.location.line, f.location.col, f.message
            ));
        }
    }
    let stages: BTreeSet<&String> = evidence
        .origins
        .iter()
        .filter_map(|(s, _)| s.as_ref())
        .collect();
    let per_stage = stages.len() > 1;
    // Origins every stage has go to [cors]; the rest to their stage's environment.
    let mut common: Vec<String> = Vec::new();
    for (stage, origin) in &evidence.origins {
        let everywhere = !per_stage
            || stage.is_none()
            || stages.iter().all(|s| {
                evidence
                    .origins
                    .iter()
                    .any(|(t, o)| t.as_ref() == Some(*s) && o == origin)
            });
        if everywhere {
            push_unique(&mut common, origin, false);
        }
    }
    let mut text = String::new();
    comment(
        &mut text,
        &format!(
            "Imported by `corsgen import` from {}. Review every line: it is what the input answers, not necessarily what the API should allow.",
            inputs.join(", ")
        ),
    );
    let name = surfaces
        .rest
        .iter()
        .map(|a| a.name.as_str())
        .chain(surfaces.configs.iter().map(|c| c.name.as_str()))
        .find(|n| !n.contains("://"))
        .unwrap_or("imported");
    let _ = writeln!(text, "version = 1\nname = {}\n\n[cors]", toml_string(name));
    for refusal in &evidence.refusals {
        comment(&mut text, &format!("audit: {refusal}"));
    }
    if common.is_empty() {
        comment(
            &mut text,
            "The input names no origin (it allows any, or reflects it): name the sites your pages are served from.",
        );
        common.push("https://www.example.com".into());
    }
    let _ = writeln!(text, "allow-origins = {}", toml_list(&common));
    if evidence.credentials {
        text.push_str("allow-credentials = true\n");
    }
    if !evidence.methods.is_empty() {
        let _ = writeln!(text, "allow-methods = {}", toml_list(&evidence.methods));
    }
    if evidence.any_header && evidence.credentials {
        comment(
            &mut text,
            "The input allowed any request header (`*`), which browsers refuse together with credentials: name them.",
        );
    }
    if evidence.any_header && !evidence.credentials {
        evidence.headers = vec!["*".into()];
    }
    if !evidence.headers.is_empty() {
        let _ = writeln!(text, "allow-headers = {}", toml_list(&evidence.headers));
    }
    if !evidence.expose.is_empty() {
        let _ = writeln!(text, "expose-headers = {}", toml_list(&evidence.expose));
    }
    if let Some(age) = evidence.max_age {
        if age > 7200 {
            comment(
                &mut text,
                &format!("The input asked for {age} s; Chromium keeps a preflight 7200 s at most."),
            );
        }
        let _ = writeln!(text, "max-age = {}", age.clamp(0, 7200));
    }
    if per_stage {
        for stage in &stages {
            let extra: Vec<String> = evidence
                .origins
                .iter()
                .filter(|(s, o)| s.as_ref() == Some(*stage) && !common.contains(o))
                .map(|(_, o)| o.clone())
                .collect();
            let _ = writeln!(text, "\n[env.{}]", sanitize_env(stage));
            if extra.is_empty() {
                comment(
                    &mut text,
                    &format!("Stage {stage} allows no origin beyond [cors]."),
                );
            } else {
                let _ = writeln!(text, "extra-origins = {}", toml_list(&extra));
            }
        }
    }
    let _ = writeln!(
        text,
        "\n[lambda]\nenabled = {}",
        evidence.proxy || evidence.platforms.contains(&Platform::FunctionUrl)
    );
    if evidence.rest {
        text.push_str("\n[apigateway]\n");
        if !evidence.resources.is_empty() {
            let _ = writeln!(text, "resources = {}", toml_list(&evidence.resources));
        }
        let missing: Vec<&str> = ["DEFAULT_4XX", "DEFAULT_5XX"]
            .into_iter()
            .filter(|k| !evidence.gateway_responses.iter().any(|g| g == k))
            .collect();
        if !missing.is_empty() {
            comment(
                &mut text,
                &format!(
                    "The input's {} {} no CORS headers: the policy gives API Gateway's own errors them.",
                    missing.join(" and "),
                    if missing.len() == 1 { "carries" } else { "carry" }
                ),
            );
            evidence
                .gateway_responses
                .extend(missing.iter().map(|k| (*k).to_string()));
        }
        let _ = writeln!(
            text,
            "gateway-responses = {}",
            toml_list(&evidence.gateway_responses)
        );
        if evidence.gateway_reflects {
            comment(
                &mut text,
                "The input's gateway responses sent any Origin back; the policy sends the first origin instead (\"reflect\" is refused with credentials).",
            );
        }
        if common.len() > 1 {
            text.push_str("gateway-response-origin = \"first\"\n");
        }
        let http = evidence.platforms.contains(&Platform::HttpApi);
        let _ = writeln!(
            text,
            "\n[apigateway.http-api]\nenabled = {}",
            if http { "\"if-fits\"" } else { "false" }
        );
    } else {
        text.push_str("\n[apigateway]\nenabled = false\n");
        if evidence.platforms.contains(&Platform::HttpApi) {
            text.push_str("\n[apigateway.http-api]\nenabled = \"if-fits\"\n");
        }
    }
    let _ = writeln!(text, "\n[cloudfront]\nenabled = {}", evidence.cloudfront);
    if evidence.cloudfront
        && evidence
            .platforms
            .contains(&Platform::ResponseHeadersPolicy)
    {
        text.push_str("response-headers-policy = \"if-fits\"\n");
    }
    if evidence.platforms.contains(&Platform::S3) {
        text.push_str("\n[s3]\nenabled = \"if-fits\"\n");
        if evidence.credentials {
            text.push_str("accept-credentials = true\n");
        }
    }
    if evidence.platforms.contains(&Platform::FunctionUrl) {
        text.push_str("\n[function-url]\nenabled = \"if-fits\"\n");
    }
    text
}

/// An environment name from a stage: letters, digits, `-` and `_`.
fn sanitize_env(stage: &str) -> String {
    stage
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The starter policy for `inputs`, validated.
///
/// # Errors
/// What reading the inputs fails with; an internal failure when the policy does not validate.
pub fn import(inputs: &[std::path::PathBuf]) -> Result<String, Failure> {
    let (surfaces, files) = super::read_all(inputs)?;
    let report = super::judge(&surfaces, &files, None);
    let names: Vec<String> = files
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().to_string(),
            )
        })
        .collect();
    let text = render(&names, &surfaces, &report.findings);
    let loaded = crate::load_source(
        crate::source::PolicySource::new("imported.toml", &text),
        None,
    )?;
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity() == crate::diagnostic::Severity::Error)
        .map(|d| format!("{:?}: {}", d.code, d.message))
        .collect();
    if loaded.policy.is_none() || !errors.is_empty() {
        return Err(Failure::io(anyhow::anyhow!(
            "bug: the imported policy does not validate ({}):\n{text}",
            errors.join("; ")
        )));
    }
    Ok(text)
}
