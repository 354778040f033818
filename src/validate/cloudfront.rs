//! The `[cloudfront]` rules: a KeyValueStore needs runtime 2.0, and whether a CloudFront response
//! headers policy can express the policy (per environment checked). The 10,240-byte function
//! limit is checked on the rendered functions, in `crate::limits`.

use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::CloudFront;
use crate::policy::{CloudFrontRuntime, KeyValueStoreChoice, RawCloudFront, RawPolicy};

use super::RuleSite;

/// Methods a response headers policy accepts (`ALL` aside).
const RESPONSE_HEADERS_POLICY_METHODS: [&str; 7] =
    ["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"];

/// True unless the policy says `enabled = false`.
pub(super) fn enabled(raw: &RawPolicy) -> bool {
    raw.cloudfront
        .as_ref()
        .and_then(|c| c.get_ref().enabled)
        .unwrap_or(true)
}

/// Checks the runtime against the KeyValueStore choice.
pub(super) fn check_static(raw: &RawPolicy, push: &mut dyn FnMut(Diagnostic)) {
    let Some(settings) = raw.cloudfront.as_ref().map(Spanned::get_ref) else {
        return;
    };
    if let (Some(runtime), Some(store)) = (&settings.runtime, &settings.key_value_store) {
        if *runtime.get_ref() == CloudFrontRuntime::Js1
            && *store.get_ref() != KeyValueStoreChoice::Never
        {
            push(
                Diagnostic::new(
                    Code::KeyValueStoreRuntime,
                    store.span(),
                    "a CloudFront KeyValueStore can only be read by cloudfront-js-2.0 functions, and runtime is cloudfront-js-1.0",
                )
                .label("needs cloudfront-js-2.0")
                .help("set runtime = \"cloudfront-js-2.0\" in [cloudfront], or key-value-store = \"never\""),
            );
        }
    }
}

/// Resolves `[cloudfront]` for one environment: whether a response headers policy fits.
pub(super) fn check_scope(
    raw: &RawPolicy,
    default: &RuleSite<'_>,
    routes: &[RuleSite<'_>],
    push: &mut dyn FnMut(Diagnostic),
) -> CloudFront {
    let settings: Option<&RawCloudFront> = raw.cloudfront.as_ref().map(Spanned::get_ref);
    let wanted = settings.and_then(|s| s.response_headers_policy.as_ref());
    // Unasked, a policy that does not fit is skipped quietly (the functions express every
    // policy; the generated README says why); asked for, it is an error.
    let mut skipped = Vec::new();
    let response_headers_policy = match wanted.map(|w| *w.get_ref()) {
        Some(false) => false,
        requested => {
            let problems = response_headers_policy_problems(default, routes);
            for (span, problem) in &problems {
                if requested == Some(true) {
                    push(
                        Diagnostic::new(Code::ResponseHeadersPolicyUnfit, span.clone(), problem.clone())
                            .label("a response headers policy cannot express this")
                            .help("use the CloudFront Functions (cloudfront/viewer-*.js), which express every policy, or set response-headers-policy = false in [cloudfront]"),
                    );
                } else {
                    skipped.push(problem.clone());
                }
            }
            problems.is_empty()
        }
    };
    CloudFront {
        runtime: settings
            .and_then(|s| s.runtime.as_ref())
            .map_or(CloudFrontRuntime::Js2, |r| *r.get_ref()),
        key_value_store: settings
            .and_then(|s| s.key_value_store.as_ref())
            .map_or(KeyValueStoreChoice::Never, |k| *k.get_ref()),
        response_headers_policy,
        response_headers_policy_skipped: skipped,
        origins_span: default.span.clone(),
    }
}

fn response_headers_policy_problems(
    default: &RuleSite<'_>,
    routes: &[RuleSite<'_>],
) -> Vec<(Range<usize>, String)> {
    let mut problems = Vec::new();
    let rule = default.rule;
    if let Some(method) = rule
        .methods
        .iter()
        .find(|m| !RESPONSE_HEADERS_POLICY_METHODS.contains(&m.as_str()))
    {
        problems.push((
            default.span.clone(),
            format!(
                "a response headers policy allows only the methods {}, not \"{method}\"",
                RESPONSE_HEADERS_POLICY_METHODS.join(", ")
            ),
        ));
    }
    if rule.headers.is_empty() {
        problems.push((
            default.span.clone(),
            "a response headers policy needs at least one allowed header, and [cors] allows none"
                .to_string(),
        ));
    }
    for site in routes {
        if let Some(path) = site.own_rule(rule) {
            problems.push((
                site.span.clone(),
                format!("a response headers policy is one configuration per cache behavior, and route {path:?} has its own rule"),
            ));
        }
    }
    problems
}
