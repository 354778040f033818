//! The `[cloudfront]` rules: a KeyValueStore needs runtime 2.0. The function size limits are
//! checked on the measured plan ([`super::limits`]); the response headers policy is a target of
//! its own ([`super::response_headers_policy`]).

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{CloudFront, Policy, RoutePattern};
use crate::policy::{Caching, CloudFrontRuntime, KeyValueStoreChoice, RawCloudFront, RawPolicy};
use crate::targets::setting::{family_setting, Enabled};
use crate::targets::{Checks, Scope};

struct CloudFrontChecks<'a> {
    raw: Option<&'a RawCloudFront>,
    enabled: Enabled,
    origins_span: Option<std::ops::Range<usize>>,
    /// `path-prefix`, when valid.
    path_prefix: Option<String>,
}

/// The validation of `[cloudfront]`, unless it says `enabled = false`.
pub(super) fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    let table = raw.cloudfront.as_ref().map(Spanned::get_ref);
    let enabled = family_setting(table.and_then(|t| t.enabled.as_ref()));
    (enabled != Enabled::No).then(|| {
        Box::new(CloudFrontChecks {
            raw: table,
            enabled,
            origins_span: None,
            path_prefix: None,
        }) as Box<dyn Checks>
    })
}

impl Checks for CloudFrontChecks<'_> {
    /// Checks the runtime against the KeyValueStore choice.
    fn check_static(
        &mut self,
        _: &RawPolicy,
        _: &[Option<RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let Some(settings) = self.raw else {
            return;
        };
        if let Some(prefix) = &settings.path_prefix {
            match path_prefix_problem(prefix.get_ref()) {
                None => self.path_prefix = Some(prefix.get_ref().clone()),
                Some(problem) => push(
                    Diagnostic::new(
                        Code::CloudfrontPathPrefix,
                        prefix.span(),
                        format!("path-prefix {:?} {problem}", prefix.get_ref()),
                    )
                    .label("not a path prefix")
                    .help(match suggested_prefix(prefix.get_ref()) {
                        Some(fix) => format!("write the literal part of the cache behavior's path pattern, without its `/*`: path-prefix = {fix:?}"),
                        None => "write the literal part of the cache behavior's path pattern, without its `/*`, like path-prefix = \"/api\"".to_string(),
                    }),
                ),
            }
        }
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

    fn check_scope(&mut self, scope: &Scope<'_>, _: &mut dyn FnMut(Diagnostic)) {
        if scope.resolved {
            self.origins_span = Some(scope.default.span.clone());
        }
    }

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        policy.targets.insert(super::TARGET.name, self.enabled);
        let (settings, path_prefix) = (self.raw, self.path_prefix);
        // The resolved policy's rules are those of the resolved environment.
        let (credentials, authorization) = super::plan::authentication(policy);
        policy.cloudfront = self.origins_span.map(|origins_span| CloudFront {
            runtime: settings
                .and_then(|s| s.runtime.as_ref())
                .map_or(CloudFrontRuntime::Js2, |r| *r.get_ref()),
            key_value_store: settings
                .and_then(|s| s.key_value_store.as_ref())
                .map_or(KeyValueStoreChoice::Never, |k| *k.get_ref()),
            caching: settings.and_then(|s| s.caching.as_ref()).map_or(
                if credentials || authorization {
                    Caching::Disabled
                } else {
                    Caching::Enabled
                },
                |c| *c.get_ref(),
            ),
            caching_written: settings.is_some_and(|s| s.caching.is_some()),
            path_prefix,
            origins_span,
        });
    }
}

/// A character a path prefix may hold as written: what a browser sends in a URI path unescaped
/// and a CloudFront path pattern accepts (RFC 3986 unreserved characters and some sub-delims).
fn prefix_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~$&+,;=:@!".contains(c)
}

/// What is wrong with `prefix` as the literal start of a path pattern, if anything.
fn path_prefix_problem(prefix: &str) -> Option<&'static str> {
    if !prefix.starts_with('/') {
        return Some("does not start with `/`");
    }
    if prefix == "/" || prefix.ends_with('/') {
        return Some("ends with `/`");
    }
    if prefix.contains(['*', '?', '{', '}']) {
        return Some("is a pattern, not literal segments");
    }
    let segments: Vec<&str> = prefix[1..].split('/').collect();
    if segments.contains(&"") {
        return Some("has an empty segment (`//`)");
    }
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Some("has a `.` or `..` segment, which browsers resolve before sending");
    }
    if !segments.iter().all(|s| s.chars().all(prefix_char)) {
        return Some("has a character a browser sends percent-encoded (or not at all), so no URI would start with it");
    }
    None
}

/// The closest valid prefix: the literal segments before any pattern character, with the
/// characters no URI carries as written left out; `None` when nothing is left.
fn suggested_prefix(prefix: &str) -> Option<String> {
    let literal = prefix.split(['*', '?', '{']).next().unwrap_or_default();
    let segments: Vec<String> = literal
        .split('/')
        .map(|s| s.chars().filter(|c| prefix_char(*c)).collect::<String>())
        .filter(|s| !s.is_empty() && s != "." && s != "..")
        .collect();
    (!segments.is_empty()).then(|| format!("/{}", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::{path_prefix_problem, suggested_prefix};

    #[test]
    fn a_path_prefix_is_literal_segments() {
        for good in ["/api", "/api/v1", "/a-b_c.d~e", "/v1:beta"] {
            assert_eq!(path_prefix_problem(good), None, "{good}");
        }
        for (bad, fix) in [
            ("api", Some("/api")),
            ("/api/", Some("/api")),
            ("/api/*", Some("/api")),
            ("/", None),
            ("/a//b", Some("/a/b")),
            ("/api/{proxy+}", Some("/api")),
            ("/v1?", Some("/v1")),
            ("/a b", Some("/ab")),
            ("/caf\u{e9}", Some("/caf")),
            ("/a\\b", Some("/ab")),
            ("/..", None),
            ("/api/.", Some("/api")),
            ("/a<b", Some("/ab")),
            ("/a\u{1}b", Some("/ab")),
            ("/%61", Some("/61")),
        ] {
            assert!(path_prefix_problem(bad).is_some(), "{bad}");
            assert_eq!(suggested_prefix(bad).as_deref(), fix, "{bad}");
            if let Some(fix) = fix {
                assert_eq!(path_prefix_problem(fix), None, "{bad}");
            }
        }
    }
}
