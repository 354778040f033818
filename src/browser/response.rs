//! The response side: the CORS check, the preflight's checks in Chromium's order, what a script
//! may read, redirects, and the verdict on a whole exchange.

use serde::Serialize;

use super::{Blocked, CorsError, Credentials, FetchRequest, Note, Response};
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
    /// Seconds Chromium caches a successful preflight, when there was one.
    pub preflight_cache_seconds: Option<u32>,
}

impl Verdict {
    /// True when the script gets the response.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.blocked.is_none()
    }
}

/// The CORS check (`CheckAccess`), in Chromium's order, on the actual response.
///
/// # Errors
/// The non-preflight [`CorsError`] Chromium reports.
pub fn check_access(
    origin: &str,
    credentials: Credentials,
    response: &Response,
) -> Result<(), Blocked> {
    let include = credentials == Credentials::Include;
    let Some(acao) = response.header("access-control-allow-origin") else {
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
    if include {
        let acac = response.header("access-control-allow-credentials");
        if acac.as_deref() != Some("true") {
            return Err(Blocked::new(
                CorsError::InvalidAllowCredentials,
                acac.unwrap_or_default(),
            ));
        }
    }
    Ok(())
}

/// Splits a comma-separated list header as Chromium does: trimmed, empty elements dropped, each
/// element an HTTP token; `None` when one is not.
fn parse_list(value: Option<&str>) -> Option<Vec<String>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    value
        .split(',')
        .map(|v| v.trim_matches(|c| c == ' ' || c == '\t'))
        .filter(|v| !v.is_empty())
        .map(|v| is_token(v).then(|| v.to_string()))
        .collect()
}

/// Chromium's preflight cache lifetime: `Access-Control-Max-Age` clamped to 0..=7200, 5 when
/// absent or not a number.
#[must_use]
pub fn preflight_cache_seconds(response: &Response) -> u32 {
    match response.header("access-control-max-age") {
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n < 0 => 0,
            Ok(n) => u32::try_from(n.min(7200)).unwrap_or(7200),
            Err(_) => 5,
        },
        None => 5,
    }
}

/// The CORS-preflight fetch's checks on the preflight response, in Chromium's order: redirect,
/// the CORS check (with the actual request's credentials mode), ok status, parsing of the two
/// lists, the method, then the headers.
///
/// # Errors
/// The [`CorsError`] Chromium reports.
pub fn check_preflight(request: &FetchRequest, response: &Response) -> Result<Vec<Note>, Blocked> {
    if response.redirect_location().is_some() {
        return Err(Blocked::new(CorsError::PreflightDisallowedRedirect, ""));
    }
    check_access(&request.origin, request.credentials, response).map_err(|b| Blocked {
        error: b.error.on_preflight(),
        hint: b.hint,
    })?;
    if !(200..=299).contains(&response.status) {
        return Err(Blocked::new(CorsError::PreflightInvalidStatus, ""));
    }
    let acam = response.header("access-control-allow-methods");
    let methods = parse_list(acam.as_deref())
        .ok_or_else(|| Blocked::new(CorsError::InvalidAllowMethodsPreflightResponse, ""))?;
    let acah = response.header("access-control-allow-headers");
    let names: Vec<String> = parse_list(acah.as_deref())
        .ok_or_else(|| Blocked::new(CorsError::InvalidAllowHeadersPreflightResponse, ""))?
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();

    let include = request.include();
    let method = request.wire_method();
    let method_ok = is_safelisted_method(&method)
        || methods.contains(&method)
        || (!include && methods.iter().any(|m| m == "*"));
    if !method_ok {
        return Err(Blocked::new(
            CorsError::MethodDisallowedByPreflightResponse,
            method,
        ));
    }

    let mut notes = Vec::new();
    let wildcard = !include && names.iter().any(|n| n == "*");
    for name in request.unsafe_header_names() {
        if names.contains(&name) {
            continue;
        }
        if !wildcard {
            return Err(Blocked::new(
                CorsError::HeaderDisallowedByPreflightResponse,
                name,
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
                cache = Some(preflight_cache_seconds(answer));
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
    match check_access(&request.origin, request.credentials, actual) {
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
        return Err(Blocked::new(CorsError::CorsDisabledScheme, ""));
    }
    let cors = request.is_cross_origin(url);
    if target
        .as_ref()
        .is_some_and(|t| !t.username().is_empty() || t.password().is_some())
        && (cors || request.is_cross_origin(location))
    {
        return Err(Blocked::new(
            CorsError::RedirectContainsCredentials,
            location,
        ));
    }
    if cors {
        check_access(&request.origin, request.credentials, response)
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
