//! Checks on single list items and scalars: one value, one place in the file.

use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::fetch::{
    is_always_safelisted_request_header, is_forbidden_method, is_forbidden_request_header_name,
    is_forbidden_response_header, is_normalized_method, is_safelisted_method,
    is_safelisted_response_header, is_token,
};
use crate::origin::{parse_origin, OriginSpec};
use crate::policy::SpannedList;

/// The result of checking one list: the values that passed, with their spans.
#[derive(Debug, Clone, Default)]
pub(super) struct Checked {
    pub(super) values: Vec<(String, Range<usize>)>,
    pub(super) origins: Vec<(OriginSpec, Range<usize>)>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

fn duplicate(code: Code, span: Range<usize>, what: &str, value: &str) -> Diagnostic {
    Diagnostic::new(code, span, format!("{what} {value:?} is listed twice"))
        .label("duplicate")
        .help("remove the second entry")
}

pub(super) fn check_origins(list: &SpannedList) -> Checked {
    let mut out = Checked::default();
    if list.get_ref().is_empty() {
        out.diagnostics.push(
            Diagnostic::new(
                Code::EmptyList,
                list.span(),
                "allow-origins is empty, so no site may call this API",
            )
            .help("list the sites' origins, e.g. [\"https://app.example.com\"]"),
        );
    }
    for item in list.get_ref() {
        let span = item.span();
        match parse_origin(item.get_ref()) {
            Ok(spec) => {
                if out.origins.iter().any(|(o, _)| *o == spec) {
                    out.diagnostics.push(duplicate(
                        Code::DuplicateOrigin,
                        span,
                        "origin",
                        item.get_ref(),
                    ));
                } else {
                    out.origins.push((spec, span));
                }
            }
            Err(problem) => {
                let mut d = Diagnostic::new(
                    problem.code,
                    span,
                    format!("origin {:?} {}", item.get_ref(), problem.message),
                )
                .label("not what a browser sends as Origin");
                d = match problem.suggestion {
                    Some(s) => d.suggest(s),
                    None => d.help(origin_help(problem.code)),
                };
                out.diagnostics.push(d);
            }
        }
    }
    let any = out.origins.iter().find(|(o, _)| *o == OriginSpec::Any);
    if let (Some((_, span)), true) = (any, out.origins.len() > 1) {
        out.diagnostics.push(
            Diagnostic::new(
                Code::AnyOriginMixed,
                span.clone(),
                "`*` is mixed with named origins",
            )
            .label("any origin")
            .help("use either [\"*\"] (any origin, no credentials) or a list of named origins"),
        );
    }
    out
}

fn origin_help(code: Code) -> &'static str {
    match code {
        Code::OriginNull => "remove \"null\"; serve sandboxed or file:// pages from a real origin instead",
        Code::OriginScheme => "list the http:// or https:// origin of the page that calls the API",
        Code::WildcardPublicSuffix => "put the wildcard under a domain you own, e.g. \"https://*.example.co.uk\"",
        Code::WildcardMisplaced => "write the wildcard as the whole leftmost label, e.g. \"https://*.example.com\", or list origins",
        Code::OriginPort => "use a port from 1 to 65535 without leading zeros",
        Code::OriginHostForm => "write the host as browsers send it: a lowercase DNS name in valid punycode, an IPv4 address as four decimal numbers up to 255, or a compressed IPv6 address in brackets",
        _ => "write the origin as scheme://host[:port], e.g. \"https://app.example.com\"",
    }
}

pub(super) fn check_methods(list: &SpannedList) -> Checked {
    let mut out = Checked::default();
    for item in list.get_ref() {
        let (method, span) = (item.get_ref(), item.span());
        if method == "*" {
            out.values.push((method.clone(), span));
            continue;
        }
        if !is_token(method) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::MethodInvalid,
                    span,
                    format!("method {method:?} is not an HTTP token"),
                )
                .help("list one method per string, e.g. [\"PUT\", \"DELETE\"]"),
            );
            continue;
        }
        let upper = method.to_ascii_uppercase();
        if is_forbidden_method(method) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::MethodForbidden,
                    span,
                    format!("{method} is a forbidden method: browsers never send it"),
                )
                .help(
                    "remove it; fetch() and XMLHttpRequest refuse to send CONNECT, TRACE and TRACK",
                ),
            );
            continue;
        }
        if out.values.iter().any(|(m, _)| m == method) {
            out.diagnostics
                .push(duplicate(Code::DuplicateMethod, span, "method", method));
            continue;
        }
        if *method != upper {
            let mut d = Diagnostic::new(
                Code::MethodLowercase,
                span.clone(),
                format!(
                    "method {method:?} is not uppercase; browsers compare methods case-sensitively"
                ),
            );
            d = if is_normalized_method(method) {
                d.help(format!("browsers send {upper} for fetch(url, {{method: {method:?}}}); write \"{upper}\"")).with_suggestion(upper)
            } else {
                d.help(format!(
                    "browsers send {method:?} exactly as the script typed it, so \"{upper}\" requests are not allowed by this entry; write \"{upper}\" if that is what clients send"
                ))
            };
            out.diagnostics.push(d);
        } else if is_safelisted_method(method) {
            out.diagnostics.push(
                Diagnostic::new(Code::MethodSafelisted, span.clone(), format!("{method} is CORS-safelisted and needs no listing"))
                    .help(format!("browsers never check Access-Control-Allow-Methods for {method}; you can remove it")),
            );
        }
        out.values.push((method.clone(), span));
    }
    out
}

fn check_header_names(
    list: &SpannedList,
    out: &mut Checked,
    field: &str,
) -> Vec<(String, String, Range<usize>)> {
    let mut accepted = Vec::new();
    for item in list.get_ref() {
        let (name, span) = (item.get_ref(), item.span());
        if name == "*" {
            out.values.push((name.clone(), span));
            continue;
        }
        if !is_token(name) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::HeaderInvalid,
                    span,
                    format!("header name {name:?} is not an HTTP token"),
                )
                .help(format!(
                    "list one header name per string in {field}, without `:` or a value"
                )),
            );
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if accepted
            .iter()
            .any(|(h, _, _): &(String, String, Range<usize>)| h.eq_ignore_ascii_case(name))
        {
            out.diagnostics
                .push(duplicate(Code::DuplicateHeader, span, "header", name));
            continue;
        }
        accepted.push((name.clone(), lower, span));
    }
    accepted
}

/// A response header a request never sends (`Access-Control-*`, `Vary`), by lowercase name.
pub(crate) fn is_response_only_header(lower: &str) -> bool {
    lower.starts_with("access-control-") || lower == "vary"
}

pub(super) fn check_request_headers(list: &SpannedList) -> Checked {
    let mut out = Checked::default();
    for (name, lower, span) in check_header_names(list, &mut out, "allow-headers") {
        if is_forbidden_request_header_name(&lower) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::HeaderForbidden,
                    span,
                    format!("{name} is a forbidden request header: scripts can never set it"),
                )
                .help("remove it; the browser sets it itself and never asks permission for it"),
            );
            continue;
        }
        if is_response_only_header(&lower) {
            out.diagnostics.push(
                Diagnostic::new(Code::HeaderResponseOnly, span, format!("{name} is a response header, not something a request sends"))
                    .label("belongs in the response, not in allow-headers")
                    .help(format!("remove it from allow-headers; corsgen sends {name} in responses from the policy's other fields")),
            );
            continue;
        }
        if is_always_safelisted_request_header(&lower) {
            out.diagnostics.push(
                Diagnostic::new(Code::HeaderSafelisted, span.clone(), format!("{name} is a CORS-safelisted request header and needs no listing"))
                    .help("you can remove it; only values with unusual characters or over 128 bytes need it listed"),
            );
        }
        out.values.push((name, span));
    }
    out
}

pub(super) fn check_expose_headers(list: &SpannedList) -> Checked {
    let mut out = Checked::default();
    for (name, lower, span) in check_header_names(list, &mut out, "expose-headers") {
        if is_forbidden_response_header(&lower) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::ExposeSetCookie,
                    span,
                    format!("{name} can never be read by scripts"),
                )
                .help("remove it; browsers filter Set-Cookie from every response a script sees"),
            );
            continue;
        }
        if is_safelisted_response_header(&lower) {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::ExposeSafelisted,
                    span.clone(),
                    format!("{name} is a CORS-safelisted response header and is always readable"),
                )
                .help("you can remove it from expose-headers"),
            );
        }
        out.values.push((name, span));
    }
    out
}

pub(super) fn check_max_age(value: &Spanned<i64>) -> (Option<u32>, Vec<Diagnostic>) {
    let (seconds, span) = (*value.get_ref(), value.span());
    if seconds < 0 {
        let d = Diagnostic::new(Code::MaxAgeNegative, span, format!("max-age {seconds} is negative"))
            .help("use 0 to stop browsers caching the preflight, or remove max-age for their 5-second default");
        return (None, vec![d]);
    }
    if seconds > 86_400 {
        let d = Diagnostic::new(Code::MaxAgeTooLarge, span, format!("max-age {seconds} is above 86400"))
            .help("no browser caches a preflight longer than a day (Firefox 86400 s, Chromium 7200 s, WebKit/Safari 600 s); use 7200");
        return (None, vec![d]);
    }
    let mut diagnostics = Vec::new();
    if seconds > 7_200 {
        diagnostics.push(
            Diagnostic::new(Code::MaxAgeAboveChromiumCap, span, format!("max-age {seconds} is above Chromium's 7200-second cap"))
                .label("Chromium keeps the preflight 7200 s, WebKit (Safari) 600 s; only Firefox keeps it this long")
                .help("use 7200, the longest Chromium honours (WebKit caps at 600 s whatever you send)"),
        );
    }
    (u32::try_from(seconds).ok(), diagnostics)
}
