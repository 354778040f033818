//! The CloudFront view model: the functions' origin tables, rules and routes (derived from the
//! same rule tables as the Lambda snippets, so both agree with the engine), the KeyValueStore
//! entries when origins live there, resource names, and the functions' code once rendered (the
//! plan measures it against CloudFront's limits).

use serde::Serialize;

use crate::engine;
use crate::model::{CloudFront, Policy};
use crate::plan::tables::{HeaderPair, RouteContext, RuleTables};
use crate::plan::Header;
use crate::policy::KeyValueStoreChoice;

/// One origin set as the functions hold it.
#[derive(Debug, Clone, Serialize)]
pub struct OriginSetContext {
    /// `https://` origins without the scheme (`host[:port]`), space-separated; empty when the
    /// KeyValueStore holds them.
    pub https: String,
    /// `http://` origins without the scheme, likewise.
    pub http: String,
    /// Wildcards as `[prefix, suffix]`: the middle must be one or more DNS labels.
    pub wildcards: Vec<[String; 2]>,
}

/// One rule, with lowercase header names as CloudFront requires.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionRule {
    /// Any origin, answered with `*`.
    pub any: bool,
    /// Index into `sets`.
    pub set: usize,
    /// Headers after ACAO on a preflight answer.
    pub preflight: Vec<HeaderPair>,
    /// Headers after ACAO on any other response.
    pub actual: Vec<HeaderPair>,
}

/// One KeyValueStore entry: `"<allowlist index> <origin>"` for each exact origin of each
/// allowlist, with the value `1`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoreEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Names of the CloudFront resources (letters, digits, `-`, `_`; at most 64 characters).
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    /// The viewer-request function.
    pub viewer_request: String,
    /// The viewer-response function.
    pub viewer_response: String,
    /// The cache policy.
    pub cache_policy: String,
    /// The KeyValueStore.
    pub key_value_store: String,
    /// The response headers policy.
    pub response_headers_policy: String,
}

/// The view model of every `cloudfront/` file.
#[derive(Debug, Clone, Serialize)]
pub struct CloudFrontContext {
    /// Generated-file header.
    pub header: Header,
    /// The CloudFormation templates' description.
    pub description: String,
    /// `cloudfront-js-1.0` or `cloudfront-js-2.0`.
    pub runtime: &'static str,
    /// Whether exact origins live in a KeyValueStore.
    pub kvs: bool,
    /// Origin sets.
    pub sets: Vec<OriginSetContext>,
    /// Distinct rules.
    pub rules: Vec<FunctionRule>,
    /// Routes in match order.
    pub routes: Vec<RouteContext>,
    /// Index into `rules` for paths no route matches.
    pub default_rule: usize,
    /// What the functions strip from the URI before matching routes; empty for none.
    pub path_prefix: String,
    /// Status of an allowed preflight.
    pub preflight_allowed: u16,
    /// Status of a refused preflight.
    pub preflight_refused: u16,
    /// The KeyValueStore's entries, sorted by key (empty unless `kvs`).
    pub store: Vec<StoreEntry>,
    /// The key of the entry that carries the generated-file header.
    pub store_header_key: &'static str,
    /// The header lines joined, as that entry's value.
    pub store_header_value: String,
    /// What the cache behavior caches and forwards.
    pub cache: CachePlan,
    /// Resource names.
    pub names: Names,
    /// Both functions' code, once rendered.
    pub code: FunctionCode,
}

/// The code of both functions, rendered from the view model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FunctionCode {
    /// `cloudfront/viewer-request.js`
    pub viewer_request: String,
    /// `cloudfront/viewer-response.js`
    pub viewer_response: String,
}

/// The KeyValueStore key that carries the generated-file header: never an origin, so never
/// matched.
pub const STORE_HEADER_KEY: &str = "corsgen:generated";

/// The cache key: every response depends on Origin; a preflight the origin server answers may
/// also depend on what it asks for.
const CACHE_KEY_HEADERS: [&str; 3] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
];

/// The managed CachingDisabled cache policy.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// The managed AllViewerExceptHostHeader origin request policy: every viewer header, cookie and
/// query string but `Host` (an API Gateway origin needs its own), and, with caching disabled,
/// `Authorization`.
pub const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// What the cache behavior caches, and what reaches the origin.
#[derive(Debug, Clone, Serialize)]
pub struct CachePlan {
    /// Caching disabled: the managed policies only, no cache policy of ours.
    pub disabled: bool,
    /// Why, in words, for the generated README.
    pub reason: String,
    /// With caching: the headers in the cache key (`Origin` and the preflight's, plus
    /// `Authorization` when a rule allows it: an origin request policy cannot forward it).
    pub key_headers: Vec<String>,
    /// With caching: cookies in the cache key (a rule allows credentials).
    pub cookies: bool,
    /// The cache policy id when caching is disabled (the managed CachingDisabled).
    pub managed_cache_policy: &'static str,
    /// The origin request policy id (the managed AllViewerExceptHostHeader), in both cases.
    pub origin_request_policy: &'static str,
}

/// Whether a rule of `policy` allows credentials, and whether one lets `Authorization` through
/// (listed, or covered by `*`): what decides the default caching and the cache key.
pub(super) fn authentication(policy: &Policy) -> (bool, bool) {
    let rules =
        || std::iter::once(&policy.default_rule).chain(policy.routes.iter().map(|r| &r.rule));
    let credentials = rules().any(|r| r.credentials);
    let authorization = rules().any(|r| {
        r.headers
            .iter()
            .any(|h| h == "*" || h.eq_ignore_ascii_case("authorization"))
    });
    (credentials, authorization)
}

/// The cache plan of `settings` for `policy`'s rules.
fn cache(policy: &Policy, settings: &CloudFront) -> CachePlan {
    let (credentials, authorization) = authentication(policy);
    let disabled = settings.caching == crate::policy::Caching::Disabled;
    let reason = match (disabled, settings.caching_written) {
        (true, true) => "the policy says caching = \"disabled\"".to_string(),
        (false, true) => "the policy says caching = \"enabled\"".to_string(),
        (true, false) => format!(
            "the policy allows {}, which a cached API must not mix between users",
            match (credentials, authorization) {
                (true, true) => "credentials and Authorization",
                (true, false) => "credentials",
                _ => "Authorization",
            }
        ),
        (false, false) => "the policy allows neither credentials nor Authorization".to_string(),
    };
    let mut key_headers: Vec<String> = CACHE_KEY_HEADERS.iter().map(|h| (*h).to_string()).collect();
    if authorization {
        key_headers.push("Authorization".to_string());
    }
    CachePlan {
        disabled,
        reason,
        key_headers,
        cookies: credentials,
        managed_cache_policy: CACHING_DISABLED,
        origin_request_policy: ALL_VIEWER_EXCEPT_HOST_HEADER,
    }
}

/// Whether the functions keep exact origins in a KeyValueStore on the first attempt; with
/// `if-needed` the caller retries with `true` when an inline function is too large.
#[must_use]
pub fn starts_with_store(settings: &CloudFront) -> bool {
    settings.key_value_store == KeyValueStoreChoice::Always
}

pub(super) fn plan(
    policy: &Policy,
    settings: &CloudFront,
    tables: &RuleTables,
    header: &Header,
    kvs: bool,
) -> CloudFrontContext {
    let sets: Vec<OriginSetContext> = tables
        .origin_sets
        .iter()
        .map(|list| {
            let hosts = |scheme: &str| -> String {
                if kvs {
                    return String::new();
                }
                compress_hosts(list.exact.iter().filter_map(|o| o.strip_prefix(scheme)))
            };
            OriginSetContext {
                https: hosts("https://"),
                http: hosts("http://"),
                wildcards: list
                    .wildcards
                    .iter()
                    .map(|w| [w.prefix.clone(), w.suffix.clone()])
                    .collect(),
            }
        })
        .collect();
    // One key per allowlist and origin, so a value never grows with the number of allowlists
    // and a key stays far below 512 characters (an origin has at most 267).
    let mut store: Vec<StoreEntry> = Vec::new();
    if kvs {
        for (index, list) in tables.origin_sets.iter().enumerate() {
            store.extend(list.exact.iter().map(|origin| StoreEntry {
                key: format!("{index} {origin}"),
                value: "1".to_string(),
            }));
        }
        store.sort_by(|a, b| a.key.cmp(&b.key));
    }
    let lower = |pairs: &[HeaderPair]| -> Vec<HeaderPair> {
        pairs
            .iter()
            .map(|p| HeaderPair {
                name: p.name.to_ascii_lowercase(),
                value: p.value.clone(),
            })
            .collect()
    };
    let rules = tables
        .rules
        .iter()
        .map(|r| FunctionRule {
            any: r.any_origin,
            set: r.origin_set,
            preflight: lower(&r.preflight),
            actual: lower(&r.actual),
        })
        .collect();
    CloudFrontContext {
        header: header.clone(),
        description: description(policy),
        runtime: settings.runtime.as_str(),
        kvs,
        sets,
        rules,
        routes: tables.routes.clone(),
        default_rule: tables.default_rule,
        path_prefix: settings.path_prefix.clone().unwrap_or_default(),
        preflight_allowed: engine::PREFLIGHT_ALLOWED,
        preflight_refused: engine::PREFLIGHT_REFUSED,
        store,
        store_header_key: STORE_HEADER_KEY,
        store_header_value: store_value(&header.lines.join(" ")),
        cache: cache(policy, settings),
        names: names(policy),
        code: FunctionCode::default(),
    }
}

/// A KeyValueStore value holds at most 1,024 bytes: the generated-file header (which names
/// the policy, whose name has no length limit) is cut there, on a character boundary, with `…`.
fn store_value(text: &str) -> String {
    crate::plan::cut(text, STORE_VALUE_LIMIT)
}

/// A KeyValueStore value holds at most 1,024 bytes.
const STORE_VALUE_LIMIT: usize = 1_024;

/// The functions' host list: space-separated items, each a host, or `label,label/parent` for
/// hosts that share everything after their first label (`a,b/example.com` stands for
/// `a.example.com b.example.com`), so a large allowlist of subdomains stays small. Hosts never
/// contain ` `, `,` or `/`.
fn compress_hosts<'a>(hosts: impl Iterator<Item = &'a str>) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    let mut items: Vec<Result<&str, usize>> = Vec::new();
    for host in hosts {
        match host.split_once('.') {
            Some((label, parent)) if !label.is_empty() => {
                let group = *index.entry(parent).or_insert_with(|| {
                    groups.push((parent, Vec::new()));
                    items.push(Err(groups.len() - 1));
                    groups.len() - 1
                });
                groups[group].1.push(label);
            }
            _ => items.push(Ok(host)),
        }
    }
    items
        .into_iter()
        .map(|item| match item {
            Ok(host) => host.to_string(),
            Err(group) => match &groups[group] {
                (parent, labels) if labels.len() == 1 => format!("{}.{parent}", labels[0]),
                (parent, labels) => format!("{}/{parent}", labels.join(",")),
            },
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The CloudFormation templates' description (the functions' and the response headers
/// policy's).
pub(super) fn description(policy: &Policy) -> String {
    crate::plan::cut(
        &format!("CORS at CloudFront for policy {} (corsgen)", policy.name),
        crate::plan::DESCRIPTION_LIMIT,
    )
}

/// `[A-Za-z0-9_-]` only, at most 64 characters: what CloudFront accepts for every name.
pub(super) fn names(policy: &Policy) -> Names {
    let mut base: String = policy
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let mut base = base.trim_matches('-').to_string();
    base.truncate(16);
    if base.trim_matches('-').is_empty() {
        base = "corsgen".to_string();
    }
    if let Some(env) = &policy.env {
        let mut env = env.clone();
        env.truncate(14);
        base = format!("{}-{env}", base.trim_end_matches('-'));
    }
    // Names are unique per account: the cut name and environment get a digest of the whole
    // ones, so two policies whose names start alike never share a function or a policy.
    let digest = crate::source::hex_prefix(
        &format!(
            "{}\0{}",
            policy.name,
            policy.env.as_deref().unwrap_or_default()
        ),
        3,
    );
    let base = format!("{}-{digest}", base.trim_matches('-'));
    Names {
        viewer_request: format!("{base}-cors-viewer-request"),
        viewer_response: format!("{base}-cors-viewer-response"),
        cache_policy: format!("{base}-cors-origin-in-cache-key"),
        key_value_store: format!("{base}-cors-origins"),
        response_headers_policy: format!("{base}-cors"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hosts_that_share_a_parent_are_grouped() {
        let hosts = [
            "a.example.com",
            "localhost:3000",
            "b.example.com",
            "www.other.org",
            "c.example.com",
            "[::1]:8080",
            "a.example.com:8443",
        ];
        assert_eq!(
            super::compress_hosts(hosts.into_iter()),
            "a,b,c/example.com localhost:3000 www.other.org [::1]:8080 a.example.com:8443"
        );
    }

    #[test]
    fn a_store_value_is_cut_at_1024_bytes_on_a_character_boundary() {
        assert_eq!(super::store_value("short"), "short");
        let long = "é".repeat(600);
        let value = super::store_value(&long);
        assert!(value.len() <= 1_024, "{}", value.len());
        assert!(value.ends_with('…'));
        assert!(value.len() > 1_000);
    }

    #[test]
    fn names_are_cloudfront_names() {
        let text = "version = 1\nname = \"it's a very long \\\"quoted\\\" name é with spaces and more\"\n[cors]\nallow-origins = [\"https://a.example\"]\n[env.production-eu-west]\n";
        let source = crate::source::PolicySource::new("p.toml", text);
        let policy = crate::load_source(source, Some("production-eu-west"))
            .unwrap()
            .policy
            .unwrap();
        let names = super::names(&policy);
        for name in [
            &names.viewer_request,
            &names.viewer_response,
            &names.cache_policy,
            &names.key_value_store,
            &names.response_headers_policy,
        ] {
            assert!(name.len() <= 64, "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{name}"
            );
            assert!(!name.contains("--"), "{name}");
        }
        assert!(
            names
                .viewer_request
                .starts_with("it-s-a-very-long-production-eu-"),
            "{}",
            names.viewer_request
        );
        // Two names alike in their first characters still get their own resources.
        let other = crate::load_source(
            crate::source::PolicySource::new("p.toml", &text.replace("more", "less")),
            Some("production-eu-west"),
        )
        .unwrap()
        .policy
        .unwrap();
        assert_ne!(super::names(&other).viewer_request, names.viewer_request);
    }
}
