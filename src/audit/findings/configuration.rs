//! Static CORS configurations (HTTP API, S3, function URL, response headers policy), judged as
//! written, since each platform answers as configured; and cache keys without `Origin` in front
//! of answers that depend on it.

use crate::audit::{Finding, Platform, Severity, StaticCors, Surfaces};
use crate::origin::parse_origin;

use super::{candidates, Out};

/// An origin an S3 pattern (its `*` matches any text, dots included) allows although it only
/// looks like the pattern's site: `None` when the `*` stands for whole leading labels.
fn s3_look_alike(pattern: &str) -> Option<String> {
    let star = pattern.find('*')?;
    if pattern == "*" || parse_origin(pattern).is_ok() {
        return None;
    }
    let (before, after) = (&pattern[..star], &pattern[star + 1..]);
    Some(if after.is_empty() {
        format!("{before}evil.com")
    } else if before.is_empty() {
        format!("http://evil{after}")
    } else {
        format!("{before}evil{after}")
    })
}

/// The findings for one static configuration.
#[must_use]
pub fn configuration(cors: &StaticCors) -> Vec<Finding> {
    let surface = format!("{} {}", cors.platform.name(), cors.name);
    let mut out = Out {
        findings: Vec::new(),
        surface: &surface,
    };
    for (origin, at) in &cors.origins {
        if crate::audit::read::computed(origin) {
            out.add(
                "not-evaluated",
                Severity::Warning,
                at,
                format!("an allowed origin is {origin}, a value CloudFormation fills in at deploy time"),
                None,
                "audit the deployed configuration (docs/audit.md's collection script), or the processed template",
            );
            continue;
        }
        if origin == "*" {
            if cors.credentials {
                out.add(
                    "wildcard-with-credentials",
                    Severity::Error,
                    at,
                    format!("allowed origins `*` together with credentials on the {}: browsers refuse `*` with credentials", cors.platform.name()),
                    None,
                    "name the origins, or stop allowing credentials",
                );
            }
            continue;
        }
        if cors.platform == Platform::S3 {
            if let Some(look_alike) = s3_look_alike(origin) {
                out.add(
                    "origin-look-alike",
                    Severity::Error,
                    at,
                    format!("S3 matches `{origin}` with its `*` standing for any text, so {look_alike} is allowed too"),
                    None,
                    "put the `*` in place of whole leading labels only (https://*.example.com), or name the origins",
                );
                continue;
            }
            if origin.contains('*') {
                continue;
            }
        }
        if let Err(problem) = parse_origin(origin) {
            out.add(
                "origin-not-serialized",
                Severity::Error,
                at,
                format!("`{origin}` {}; it never matches", problem.message),
                None,
                &problem.suggestion.map_or_else(
                    || "write the origin as the browser sends it".to_string(),
                    |s| format!("write it as the browser sends it: {s}"),
                ),
            );
        }
    }
    if let Some(age) = cors.max_age.filter(|a| *a > 7200) {
        out.add(
            "max-age-capped",
            Severity::Warning,
            &cors.at,
            format!("max-age {age} s: Chromium keeps a preflight at most 7200 s"),
            None,
            "set the max-age to 7200 or less",
        );
    }
    out.findings
}

/// A cache policy that leaves `Origin` out of the cache key, in inputs where an answer depends
/// on `Origin` (a REST API's CORS, a static configuration naming origins): CloudFront then serves
/// one origin's answer, or its lack of CORS headers, to every other.
#[must_use]
pub fn cache_keys(surfaces: &Surfaces) -> Vec<Finding> {
    let depends: Vec<String> = surfaces
        .configs
        .iter()
        // A response headers policy answers at the edge, after the cache.
        .filter(|c| c.platform != Platform::ResponseHeadersPolicy)
        .filter(|c| c.origins.iter().any(|(o, _)| o != "*"))
        .map(|c| format!("{} {}", c.platform.name(), c.name))
        .chain(
            surfaces
                .rest
                .iter()
                .filter(|api| !candidates(api).0.is_empty())
                .map(|api| format!("REST API {}", api.name)),
        )
        .collect();
    if depends.is_empty() {
        return Vec::new();
    }
    let depends = depends.join(", ");
    let mut findings = Vec::new();
    for policy in surfaces.cache_policies.iter().filter(|p| !p.origin_in_key) {
        let surface = format!("cache policy {}", policy.name);
        let mut out = Out {
            findings: Vec::new(),
            surface: &surface,
        };
        out.add(
            "cache-key-missing-origin",
            Severity::Warning,
            &policy.at,
            format!("cache policy {} leaves Origin out of the cache key while answers depend on Origin ({depends}): behind it, CloudFront serves one origin's cached answer to the others", policy.name),
            None,
            "add Origin to the cache policy's headers (HeadersConfig whitelist), or answer CORS at the edge with corsgen's CloudFront Functions",
        );
        findings.extend(out.findings);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::s3_look_alike;

    #[test]
    fn s3_stars_that_span_more_than_leading_labels_allow_look_alikes() {
        assert_eq!(s3_look_alike("https://*.example.com"), None);
        assert_eq!(s3_look_alike("*"), None);
        assert_eq!(
            s3_look_alike("https://*example.com").as_deref(),
            Some("https://evilexample.com")
        );
        assert_eq!(
            s3_look_alike("https://www.example.*").as_deref(),
            Some("https://www.example.evil.com")
        );
        assert_eq!(
            s3_look_alike("*.example.com").as_deref(),
            Some("http://evil.example.com")
        );
    }
}
