//! The response side: the CORS check, the preflight's checks in Chromium's order, what a script
//! may read, redirects, and the verdict on a whole exchange.

use serde::Serialize;

use super::{Blocked, CorsError, Credentials, Engine, FetchRequest, Note, Response};
use crate::fetch::{
    is_forbidden_response_header, is_safelisted_method, is_safelisted_response_header, is_token,
};

/// What the browser decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `None` when allowed.
    pub blocked: Option<Blocked>,
    /// What the caller should know even when allowed.
    pub notes: Vec<Note>,
    /// Response headers the script can read, when allowed (lowercase).
    pub readable_headers: Vec<String>,
    /// Seconds the engine caches a successful preflight, when there was one.
    pub preflight_cache_seconds: Option<u32>,
}

impl Verdict {
    /// True when the script gets the response.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.blocked.is_none()
    }
}

/// The CORS check on a response, in `engine`'s order: Chromium's `CheckAccess` (the value
/// first: missing, `*` with credentials, not the origin; then credentials), Firefox's
/// `CheckRequestApproved` (more than one header line first, then missing, `*` with credentials,
/// not the origin, credentials) and WebKit's `passesAccessControlCheck` (`*` without
/// credentials passes; otherwise the value must be the origin: `*`, a comma and anything else
/// are three messages, a missing header the last; then credentials). All three compare the
/// value and `Access-Control-Allow-Credentials: true` exactly (measured: `True` fails, an
/// upper-case host fails).
///
/// # Errors
/// The [`CorsError`] the engine reports, with the response's status and the origin checked.
pub fn check_access(
    engine: Engine,
    origin: &str,
    credentials: Credentials,
    response: &Response,
) -> Result<(), Blocked> {
    access(engine, origin, credentials, response).map_err(|b| Blocked {
        status: response.status,
        origin: origin.to_string(),
        ..b
    })
}

fn access(
    engine: Engine,
    origin: &str,
    credentials: Credentials,
    response: &Response,
) -> Result<(), Blocked> {
    let include = credentials == Credentials::Include;
    let acao = response.header("access-control-allow-origin");
    let credentials_check = || {
        let acac = response.header("access-control-allow-credentials");
        if include && acac.as_deref() != Some("true") {
            Err(Blocked::new(
                CorsError::InvalidAllowCredentials,
                acac.unwrap_or_default(),
            ))
        } else {
            Ok(())
        }
    };
    match engine {
        Engine::Chromium => {
            let Some(acao) = acao else {
                return Err(Blocked::new(CorsError::MissingAllowOriginHeader, ""));
            };
            if acao == "*" {
                return if include {
                    Err(Blocked::new(CorsError::WildcardOriginNotAllowed, ""))
                } else {
                    Ok(())
                };
            }
            if acao != origin {
                let error = if acao.contains([' ', ',']) {
                    CorsError::MultipleAllowOriginValues
                } else if acao == "null" || crate::address::parse(&acao).is_ok() {
                    CorsError::AllowOriginMismatch
                } else {
                    CorsError::InvalidAllowOriginValue
                };
                return Err(Blocked::new(error, acao));
            }
            credentials_check()
        }
        Engine::Firefox => {
            let lines = response
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
                .count();
            if lines > 1 {
                return Err(Blocked::new(CorsError::MultipleAllowOriginValues, ""));
            }
            let Some(acao) = acao else {
                return Err(Blocked::new(CorsError::MissingAllowOriginHeader, ""));
            };
            if acao == "*" && include {
                return Err(Blocked::new(CorsError::WildcardOriginNotAllowed, ""));
            }
            if acao != "*" && acao != origin {
                return Err(Blocked::new(CorsError::AllowOriginMismatch, acao));
            }
            credentials_check()
        }
        Engine::Webkit => {
            if acao.as_deref() == Some("*") && !include {
                return Ok(());
            }
            match acao {
                Some(acao) if acao == origin => credentials_check(),
                Some(acao) if acao == "*" => {
                    Err(Blocked::new(CorsError::WildcardOriginNotAllowed, ""))
                }
                Some(acao) if acao.contains(',') => {
                    Err(Blocked::new(CorsError::MultipleAllowOriginValues, acao))
                }
                Some(acao) => Err(Blocked::new(CorsError::AllowOriginMismatch, acao)),
                None => Err(Blocked::new(CorsError::MissingAllowOriginHeader, "")),
            }
        }
    }
}

/// Splits a comma-separated list header as the engines do: trimmed, empty elements dropped,
/// each element an HTTP token; the first element that is not one is the error.
fn parse_list(value: Option<&str>) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|v| v.trim_matches(|c| c == ' ' || c == '\t'))
        .filter(|v| !v.is_empty())
        .map(|v| {
            if is_token(v) {
                Ok(v.to_string())
            } else {
                Err(v.to_string())
            }
        })
        .collect()
}

/// How long `engine` caches a successful preflight, in seconds, from its
/// `Access-Control-Max-Age`: Chromium clamps to 0..=7200 and takes 5 when the header is absent
/// or not a number; Firefox takes 5 when it is absent or empty, does not cache a value that
/// is not all digits, and caps at 86,400; WebKit takes 5 when it is absent or not a number,
/// 0 for a negative number, and caps at 600. Measured: 5 s without the header, no cache at 0,
/// a cache at 600 (every engine); the caps are the engines' sources (see [`Engine::max_age_cap`]).
#[must_use]
pub fn preflight_cache_seconds(engine: Engine, response: &Response) -> u32 {
    let cap = i64::from(engine.max_age_cap());
    let clamp = |n: i64| u32::try_from(n.clamp(0, cap)).unwrap_or(0);
    let value = response.header("access-control-max-age");
    match engine {
        Engine::Chromium | Engine::Webkit => match value.map(|v| v.trim().parse::<i64>()) {
            Some(Ok(n)) => clamp(n),
            Some(Err(_)) | None => 5,
        },
        Engine::Firefox => match value.as_deref().map(str::trim) {
            None | Some("") => 5,
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => {
                v.parse::<i64>().map_or(engine.max_age_cap(), clamp)
            }
            Some(_) => 0,
        },
    }
}

/// The CORS-preflight fetch's checks on the preflight response, in the order of the request's
/// engine. Chromium: redirect, the CORS check (with the actual request's credentials mode), ok
/// status, parsing of both lists, the method, then the headers. Firefox: redirect, the CORS
/// check, ok status, then the methods (parsed, then matched) and the headers (parsed, then
/// matched). WebKit: ok status (a redirect is a status that is not ok), the CORS check, both
/// lists parsed, the method, then the headers. All three match methods case-sensitively, let
/// `*` stand for any method and header only without credentials, and (measured, against the
/// standard) let `*` cover `Authorization`.
///
/// # Errors
/// The [`CorsError`] the engine reports.
pub fn check_preflight(request: &FetchRequest, response: &Response) -> Result<Vec<Note>, Blocked> {
    let engine = request.engine;
    // Every failure here is this answer's.
    let answered = |b: Blocked| Blocked {
        status: response.status,
        origin: request.origin.clone(),
        ..b
    };
    let status = |error: CorsError, hint: &str| answered(Blocked::new(error, hint));
    let redirect = response.redirect_location(engine).is_some();
    let ok = (200..=299).contains(&response.status);
    let access = || {
        check_access(engine, &request.origin, request.credentials, response).map_err(|b| Blocked {
            error: b.error.on_preflight(),
            ..b
        })
    };
    match engine {
        Engine::Chromium | Engine::Firefox => {
            if redirect {
                return Err(status(CorsError::PreflightDisallowedRedirect, ""));
            }
            access()?;
            if !ok {
                return Err(status(CorsError::PreflightInvalidStatus, ""));
            }
        }
        Engine::Webkit => {
            if !ok {
                return Err(status(CorsError::PreflightInvalidStatus, ""));
            }
            access()?;
        }
    }
    let acam = response.header("access-control-allow-methods");
    let acah = response.header("access-control-allow-headers");
    // Each engine's hint: Firefox quotes the bad element, WebKit the whole header value.
    let unparsable = |error: CorsError, value: &Option<String>, bad: String| {
        let hint = match engine {
            Engine::Chromium => String::new(),
            Engine::Firefox => bad,
            Engine::Webkit => value.clone().unwrap_or_default(),
        };
        status(error, &hint)
    };
    let methods = || {
        parse_list(acam.as_deref())
            .map_err(|bad| unparsable(CorsError::InvalidAllowMethodsPreflightResponse, &acam, bad))
    };
    let names = || {
        parse_list(acah.as_deref())
            .map(|names| names.iter().map(|n| n.to_ascii_lowercase()).collect())
            .map_err(|bad| unparsable(CorsError::InvalidAllowHeadersPreflightResponse, &acah, bad))
    };
    let names: Vec<String> = match engine {
        Engine::Firefox => {
            check_method(request, &methods()?).map_err(answered)?;
            names()?
        }
        Engine::Chromium | Engine::Webkit => {
            let (methods, names) = (methods()?, names()?);
            check_method(request, &methods).map_err(answered)?;
            names
        }
    };
    check_headers(request, &names).map_err(answered)
}

/// The preflighted method against `Access-Control-Allow-Methods`.
fn check_method(request: &FetchRequest, methods: &[String]) -> Result<(), Blocked> {
    let method = request.wire_method();
    let ok = is_safelisted_method(&method)
        || methods.contains(&method)
        || (!request.include() && methods.iter().any(|m| m == "*"));
    if ok {
        Ok(())
    } else {
        Err(Blocked::new(
            CorsError::MethodDisallowedByPreflightResponse,
            method,
        ))
    }
}

/// The request's CORS-unsafe headers against `Access-Control-Allow-Headers` (lowercase
/// `names`). The hint is the first refused header: Chromium's and Firefox's in lowercase
/// sorted order, WebKit's as the script spelled it, in the script's order.
fn check_headers(request: &FetchRequest, names: &[String]) -> Result<Vec<Note>, Blocked> {
    let mut notes = Vec::new();
    let wildcard = !request.include() && names.iter().any(|n| n == "*");
    let unsafe_names = request.unsafe_header_names();
    let refused = |lower: &String| unsafe_names.contains(lower) && !names.contains(lower);
    for name in unsafe_names.iter().cloned() {
        if names.contains(&name) {
            continue;
        }
        if !wildcard {
            let hint = match request.engine {
                Engine::Webkit => request
                    .sent_headers()
                    .into_iter()
                    .map(|(n, _)| n)
                    .find(|n| refused(&n.to_ascii_lowercase()))
                    .unwrap_or(name),
                Engine::Chromium | Engine::Firefox => name,
            };
            return Err(Blocked::new(
                CorsError::HeaderDisallowedByPreflightResponse,
                hint,
            ));
        }
        if name == "authorization" {
            let standard = Blocked::new(CorsError::HeaderDisallowedByPreflightResponse, name);
            notes.push(Note::AuthorizationByWildcard {
                standard_message: standard.console_message(
                    &request.url,
                    &request.url,
                    &request.origin,
                    request.initiator,
                ),
            });
        }
    }
    Ok(notes)
}

/// Response headers the script may read after the CORS check passed, lowercase and sorted.
#[must_use]
pub fn readable_headers(credentials: Credentials, response: &Response) -> Vec<String> {
    let exposed: Vec<String> =
        parse_list(response.header("access-control-expose-headers").as_deref())
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
    let all = credentials == Credentials::Omit && exposed.iter().any(|n| n == "*");
    let mut names: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| {
            !is_forbidden_response_header(n)
                && (all || is_safelisted_response_header(n) || exposed.contains(n))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The whole exchange: the preflight answer (`None` when the request is simple, or when the
/// caller has no answer because a preflight was not needed) and the actual response (`None`
/// when it was never sent).
#[must_use]
pub fn evaluate(
    request: &FetchRequest,
    preflight: Option<&Response>,
    actual: Option<&Response>,
) -> Verdict {
    let mut notes = request.request_notes();
    let mut cache = None;
    if let Some(answer) = preflight {
        match check_preflight(request, answer) {
            Ok(found) => {
                notes.extend(found);
                cache = Some(preflight_cache_seconds(request.engine, answer));
            }
            Err(blocked) => return blocked_verdict(blocked, notes),
        }
    }
    let Some(actual) = actual else {
        return Verdict {
            blocked: None,
            notes,
            readable_headers: Vec::new(),
            preflight_cache_seconds: cache,
        };
    };
    match check_access(request.engine, &request.origin, request.credentials, actual) {
        Ok(()) => Verdict {
            blocked: None,
            notes,
            readable_headers: readable_headers(request.credentials, actual),
            preflight_cache_seconds: cache,
        },
        Err(blocked) => blocked_verdict(blocked, notes),
    }
}

pub(super) fn blocked_verdict(blocked: Blocked, notes: Vec<Note>) -> Verdict {
    Verdict {
        blocked: Some(blocked),
        notes,
        readable_headers: Vec::new(),
        preflight_cache_seconds: None,
    }
}

/// Checks a redirect of the actual request from `url` before the browser follows it: the
/// target must be http(s), may carry no credentials when it is cross-origin or the hop was, and
/// a cross-origin hop's redirect response must itself pass the CORS check.
///
/// # Errors
/// The [`CorsError`] Chromium reports for the redirect.
pub fn check_redirect(
    request: &FetchRequest,
    url: &str,
    response: &Response,
    location: &str,
) -> Result<(), Blocked> {
    let target = crate::address::parse(location).ok();
    if !target
        .as_ref()
        .is_some_and(|t| matches!(t.scheme(), "http" | "https"))
    {
        return Err(Blocked {
            redirect_to: Some(location.to_string()),
            ..Blocked::new(CorsError::UnsafeRedirect, "")
        });
    }
    let cors = request.is_cross_origin(url);
    if target
        .as_ref()
        .is_some_and(|t| !t.username().is_empty() || t.password().is_some())
        && (cors || request.is_cross_origin(location))
    {
        return Err(Blocked {
            redirect_to: Some(location.to_string()),
            // Chromium quotes no location (measured: `Redirect location ''`).
            ..Blocked::new(CorsError::RedirectContainsCredentials, "")
        });
    }
    if cors {
        check_access(
            request.engine,
            &request.origin,
            request.credentials,
            response,
        )
        .map_err(|b| Blocked {
            redirect_to: Some(location.to_string()),
            ..b
        })
    } else {
        Ok(())
    }
}

/// The verdict on a response the page reads without CORS (a same-origin request): allowed,
/// every header readable but `Set-Cookie`.
#[must_use]
pub fn same_origin_verdict(request: &FetchRequest, response: &Response) -> Verdict {
    let mut readable: Vec<String> = response
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !is_forbidden_response_header(n))
        .collect();
    readable.sort();
    readable.dedup();
    Verdict {
        blocked: None,
        notes: request.request_notes(),
        readable_headers: readable,
        preflight_cache_seconds: None,
    }
}
