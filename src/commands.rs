//! What each command does, as library calls: the binary parses arguments, calls one of these,
//! prints what it returns and maps it to an exit code. Nothing here prints.

use std::path::Path;
use std::time::Duration;

use crate::browser::{Engine, FetchRequest};
use crate::check::{Difference, Exchange, PolicyPlace};
use crate::diagnostic::Diagnostic;
use crate::doctor::Report;
use crate::render::RenderedFile;
use crate::write::{Options, Owner, Report as WriteReport};
use crate::{Failure, Loaded};

/// `validate`: the policy read, validated, and its artifacts' platform limits checked (only
/// the code those limits measure is rendered), for `env`, or without one for the base policy
/// and every environment. `policy` is `None` when anything is an error.
///
/// # Errors
/// A usage failure for an unknown environment, an I/O failure reading the file.
pub fn validate(path: &Path, env: Option<&str>) -> Result<Loaded, Failure> {
    let mut loaded = crate::load(path, env)?;
    let Some(valid) = &loaded.policy else {
        return Ok(loaded);
    };
    let mut found = crate::limit_diagnostics(valid, &loaded.source)?;
    if let (None, Some(raw)) = (env, &loaded.raw) {
        for name in crate::validate::env_names(raw) {
            let scoped = crate::validate::validate(raw, &loaded.source, Some(&name));
            let Some(policy) = scoped.policy else {
                continue;
            };
            for mut d in crate::limit_diagnostics(&policy, &loaded.source)? {
                let seen = found
                    .iter()
                    .any(|f| f.code == d.code && f.span == d.span && f.message == d.message);
                if !seen {
                    d.message = format!("env {name}: {}", d.message);
                    found.push(d);
                }
            }
        }
    }
    if found.iter().any(Diagnostic::is_error) {
        loaded.policy = None;
    }
    loaded.diagnostics.extend(found);
    Ok(loaded)
}

/// What `emit` did.
#[derive(Debug)]
pub struct Emitted {
    /// The policy and every diagnostic, the skipped targets' warnings included.
    pub loaded: Loaded,
    /// What happened to each file: `None` when the policy is invalid or breaks a platform
    /// limit, and nothing was touched.
    pub files: Option<WriteReport>,
}

/// `emit` (or `emit --check` when `check`): renders every artifact in memory, then writes the
/// files the out directory's manifest lets corsgen own, all or nothing, or compares them.
///
/// # Errors
/// A usage failure for an unknown environment; an I/O failure reading the policy or writing.
pub fn emit(
    path: &Path,
    env: Option<&str>,
    out: &Path,
    check: bool,
    options: Options,
) -> Result<Emitted, Failure> {
    let mut loaded = crate::load(path, env)?;
    let Some(files) = generate(&mut loaded)? else {
        return Ok(Emitted {
            loaded,
            files: None,
        });
    };
    let Some(valid) = &loaded.policy else {
        return Ok(Emitted {
            loaded,
            files: None,
        });
    };
    let owner = Owner::of(valid);
    let result = if check {
        crate::write::check(out, &files, owner, options)?
    } else {
        crate::write::write(out, &files, owner, options)?
    };
    Ok(Emitted {
        loaded,
        files: Some(result),
    })
}

/// Renders a valid policy's artifacts; `None` when the policy is invalid or an artifact would
/// break a platform limit (those diagnostics are added to `loaded`).
fn generate(loaded: &mut Loaded) -> Result<Option<Vec<RenderedFile>>, Failure> {
    let Some(valid) = &loaded.policy else {
        return Ok(None);
    };
    match crate::generate(valid, &loaded.source)? {
        Ok(generated) => {
            loaded.diagnostics.extend(generated.warnings);
            Ok(Some(generated.files))
        }
        Err(broken) => {
            loaded.diagnostics.extend(broken);
            loaded.policy = None;
            Ok(None)
        }
    }
}

/// The request a page's script makes, as the command line gives it.
#[derive(Debug, Clone)]
pub struct RequestSpec<'a> {
    /// `--origin`: the page's origin.
    pub origin: &'a str,
    /// `--method`.
    pub method: &'a str,
    /// `--header NAME: VALUE`, each.
    pub headers: &'a [String],
    /// `--credentials`.
    pub credentials: bool,
    /// `--xhr`: `XMLHttpRequest` instead of `fetch`.
    pub xhr: bool,
    /// `--browser`: the engines to judge the request in, in report order (at least one).
    pub engines: Vec<Engine>,
}

impl RequestSpec<'_> {
    /// The request to `url`, as the browser model takes it.
    ///
    /// # Errors
    /// A usage failure for an origin or URL that cannot be parsed.
    pub fn to(&self, url: &str) -> Result<FetchRequest, Failure> {
        crate::check::fetch_request(
            url,
            self.origin,
            self.method,
            self.headers,
            self.credentials,
            self.xhr,
        )
    }
}

/// The request `check` simulates and how the answer is chosen.
#[derive(Debug, Clone)]
pub struct CheckRequest<'a> {
    /// What the page's script calls.
    pub request: RequestSpec<'a>,
    /// `--url`.
    pub url: Option<&'a str>,
    /// `--path`.
    pub path: Option<&'a str>,
    /// `--stage`.
    pub stage: Option<&'a str>,
    /// `--gateway-response TYPE`.
    pub gateway_response: Option<&'a str>,
    /// `--status CODE`.
    pub status: Option<u16>,
    /// `--target NAME`: answer as this target really does.
    pub target: Option<&'a str>,
}

/// `check`: the exchange the artifacts of a valid policy give the request in each engine asked
/// for (in that order), and what answered it, in words.
///
/// # Errors
/// A usage failure for a target it cannot place or a gateway response it does not know, and
/// for gateway responses of a policy that emits no API Gateway artifacts.
pub fn check(
    loaded: &Loaded,
    env: Option<&str>,
    request: CheckRequest<'_>,
) -> Result<(Vec<Exchange>, String), Failure> {
    let place = place(loaded, env)?;
    let target = crate::check::target(request.url, request.path, request.stage)?;
    let fetch = request.request.to(&target.url)?;
    let errors = gateway_types(request.gateway_response, request.status)?;
    if !errors.is_empty() && place.policy.apigateway.is_none() {
        return Err(Failure::usage(format!(
            "{} emits no API Gateway REST artifacts ([apigateway] enabled = false, or skipped under \"if-fits\"): there are no gateway responses to check",
            loaded.source.path
        )));
    }
    let chosen = match request.target {
        Some(name) => Some(chosen_target(place.policy, name, &loaded.source.path)?),
        None => sole_deviating_target(place.policy),
    };
    if let (Some(chosen), false) = (chosen, errors.is_empty()) {
        if chosen.name != "apigateway" {
            return Err(Failure::usage(format!(
                "--gateway-response and --status are API Gateway's own errors; --target {} has none",
                crate::check::target_name(chosen)
            )));
        }
    }
    let deviation = chosen.and_then(|t| t.answer.as_ref().map(|d| (t, d)));
    let judge = |engine: Engine| {
        let fetch = FetchRequest {
            engine,
            ..fetch.clone()
        };
        match deviation {
            Some((_, deviation)) => crate::check::check_target(&place, fetch, &target, deviation),
            None if errors.is_empty() => crate::check::check(&place, fetch, &target),
            None => crate::check::check_gateway_responses(
                &place,
                &fetch,
                &target,
                &errors,
                request.status,
            ),
        }
    };
    let mut exchanges: Vec<Exchange> = request.request.engines.iter().map(|&e| judge(e)).collect();
    for exchange in &mut exchanges {
        exchange.fixes = crate::check::or_chromiums(
            exchange.request.engine,
            !exchange.verdict.allowed(),
            std::mem::take(&mut exchange.fixes),
            || judge(Engine::Chromium).fixes,
        );
    }
    // The targets that answer otherwise, shown once: for the first engine.
    if let (None, None, true) = (deviation, chosen, errors.is_empty()) {
        exchanges[0].targets_differ = crate::check::differing_targets(place.policy, &exchanges[0]);
    }
    let what = match (deviation, chosen) {
        (Some((t, _)), _) => format!("{}, as the platform really answers,", t.what),
        (None, Some(t)) => format!("{} (it answers as the engine)", t.what),
        (None, None) if errors.is_empty() => "the artifacts".to_string(),
        (None, None) => "the OPTIONS method, then API Gateway's own error response, as".to_string(),
    };
    let by = format!(
        "{what} generated from {} ({}{})",
        loaded.source.path,
        place.rule_name(&target.route.path),
        target.note()
    );
    Ok((exchanges, by))
}

/// The one target whose real answer a policy gets, when nothing it emits answers as the engine
/// (an S3-only policy): `check` then answers as that target without `--target`.
fn sole_deviating_target(policy: &crate::model::Policy) -> Option<&'static crate::targets::Target> {
    let emitted: Vec<&'static crate::targets::Target> = crate::check::answering_targets()
        .filter(|t| crate::check::emits(policy, t))
        .collect();
    match emitted.as_slice() {
        [only] if only.answer.is_some() => Some(only),
        _ => None,
    }
}

/// The target `--target NAME` names, when the policy emits it.
///
/// # Errors
/// A usage failure for a name that is no target's, or a target the policy does not emit.
fn chosen_target(
    policy: &crate::model::Policy,
    name: &str,
    file: &str,
) -> Result<&'static crate::targets::Target, Failure> {
    let Some(target) =
        crate::check::answering_targets().find(|t| crate::check::target_name(t) == name)
    else {
        let names: Vec<&str> = crate::check::answering_targets()
            .map(crate::check::target_name)
            .collect();
        return Err(Failure::usage(format!(
            "--target `{name}` is not one of {}",
            names.join(", ")
        )));
    };
    if !crate::check::emits(policy, target) {
        return Err(Failure::usage(format!(
            "{file} does not emit {} (it is disabled, or skipped under \"if-fits\"): there is nothing to check against with --target {name}",
            target.what
        )));
    }
    Ok(target)
}

/// The gateway-response types `check` answers with: the one named, or those of a status.
///
/// # Errors
/// A usage failure for a name or status API Gateway does not answer with itself.
pub fn gateway_types(
    named: Option<&str>,
    status: Option<u16>,
) -> Result<Vec<&'static str>, Failure> {
    if let Some(name) = named {
        return crate::engine::gateway_response_type(name)
            .map(|t| vec![t])
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--gateway-response `{name}` is not one of API Gateway's gateway-response types (e.g. UNAUTHORIZED, ACCESS_DENIED, THROTTLED, DEFAULT_4XX, DEFAULT_5XX)"
                ))
            });
    }
    match status {
        None => Ok(Vec::new()),
        Some(code) => {
            let types = crate::engine::gateway_response_types_for(code);
            if types.is_empty() {
                Err(Failure::usage(format!(
                    "--status {code} is not an error API Gateway answers itself (4XX or 5XX)"
                )))
            } else {
                Ok(types)
            }
        }
    }
}

/// `probe`: the exchange a live endpoint gives the request, as each engine in `engines` would
/// make it (a request two engines send alike is sent once); with a valid policy, how the
/// answers differ from the policy's and the fixes `check` would give.
///
/// # Errors
/// A usage failure for a value that cannot be sent; an I/O failure when the endpoint cannot
/// be reached.
pub fn probe(
    url: &str,
    fetch: FetchRequest,
    engines: &[Engine],
    timeout: Duration,
    policy: Option<(&Loaded, Option<&str>, Option<&str>)>,
) -> Result<(Vec<Exchange>, Vec<Difference>), Failure> {
    let mut exchanges = crate::probe::probe(&fetch, engines, timeout)?;
    let mut differences = Vec::new();
    if let Some((loaded, env, stage)) = policy {
        let place = place(loaded, env)?;
        let target = crate::check::target(Some(url), None, stage)?;
        differences = crate::check::differences(place.policy, &exchanges[0], &target);
        for exchange in &mut exchanges {
            let fixes = |engine| {
                let request = FetchRequest {
                    engine,
                    ..exchange.request.clone()
                };
                crate::check::check(&place, request, &target).fixes
            };
            exchange.fixes = crate::check::or_chromiums(
                exchange.request.engine,
                !exchange.verdict.allowed(),
                fixes(exchange.request.engine),
                || fixes(Engine::Chromium),
            );
        }
    }
    Ok((exchanges, differences))
}

/// `--timeout SECONDS` as a duration.
///
/// # Errors
/// A usage failure unless it is a positive, finite number.
pub fn timeout(seconds: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::usage("--timeout must be a positive number of seconds (at most about 5.8e11)")
        })
}

/// `doctor`: the diagnosis of a HAR capture, judged by a valid policy when one is given.
///
/// # Errors
/// An I/O failure reading the capture; an invalid-input failure for one that is not a HAR.
pub fn doctor(
    har: &Path,
    policy: Option<(&Loaded, Option<&str>)>,
    stage: Option<&str>,
) -> Result<Report, Failure> {
    let place = match policy {
        Some((loaded, env)) => Some(place(loaded, env)?),
        None => None,
    };
    let capture = crate::doctor::read(har)?;
    crate::doctor::diagnose(&capture, place.as_ref(), stage)
}

/// The failure for an invalid policy whose diagnostics were printed.
#[must_use]
pub fn invalid(loaded: &Loaded) -> Failure {
    Failure::invalid(format!("{} is invalid", loaded.source.path)).reported()
}

fn place<'a>(loaded: &'a Loaded, env: Option<&'a str>) -> Result<PolicyPlace<'a>, Failure> {
    PolicyPlace::of(loaded, env).ok_or_else(|| invalid(loaded))
}
