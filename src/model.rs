//! The resolved policy: defaults applied, one environment chosen, routes sorted most specific
//! first. Built only by `validate`; every value in it has passed every rule.

use std::sync::Arc;

use crate::origin::WildcardOrigin;

/// A validated policy for one environment (or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The policy's name.
    pub name: String,
    /// The environment overlay applied, if any.
    pub env: Option<String>,
    /// The rule for paths no route matches.
    pub default_rule: Rule,
    /// Where the default rule's fields are written.
    pub default_written: Written,
    /// Routes, most specific first; the first that matches a path wins.
    pub routes: Vec<Route>,
    /// Which Lambda snippets to emit.
    pub lambda_languages: Vec<crate::policy::LambdaLanguage>,
    /// The API Gateway REST artifacts, unless `[apigateway] enabled = false` or they are
    /// skipped under `"if-fits"`.
    pub apigateway: Option<ApiGateway>,
    /// The CloudFront artifacts, unless `[cloudfront] enabled = false`.
    pub cloudfront: Option<CloudFront>,
    /// Each enabled target's `enabled` setting, by target name (a disabled target is absent).
    pub targets: std::collections::BTreeMap<&'static str, crate::targets::Enabled>,
    /// The static configurations that are enabled and fit the policy, by target name.
    pub configurations: Vec<&'static str>,
    /// Targets skipped under `enabled = "if-fits"`, with the reasons.
    pub skipped: Vec<Skipped>,
}

/// A target skipped under `enabled = "if-fits"`, and why: what the generated README says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// The target.
    pub target: &'static str,
    /// What it is, in words.
    pub what: &'static str,
    /// What it could not express.
    pub reasons: Vec<String>,
    /// What expresses the policy instead.
    pub alternative: &'static str,
}

impl Skipped {
    /// `target` is not emitted because `needed` (what it requires) is not.
    #[must_use]
    pub fn because(target: &crate::targets::Target, needed: &str) -> Self {
        Skipped {
            target: target.name,
            what: target.what,
            reasons: vec![format!("it needs {needed}, which are not emitted")],
            alternative: target.alternative,
        }
    }
}

/// What the CloudFront artifacts cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudFront {
    /// The functions' runtime.
    pub runtime: crate::policy::CloudFrontRuntime,
    /// Where exact origins are looked up.
    pub key_value_store: crate::policy::KeyValueStoreChoice,
    /// Whether CloudFront caches responses.
    pub caching: crate::policy::Caching,
    /// Whether the policy chose it (else it follows from credentials and `Authorization`).
    pub caching_written: bool,
    /// What the functions strip from the URI before matching routes (`/api`), when they run
    /// behind a path pattern; a URI outside it gets no CORS headers.
    pub path_prefix: Option<String>,
    /// The allow-origins list in effect, where a function-size diagnostic points.
    pub origins_span: std::ops::Range<usize>,
}

/// What the API Gateway artifacts cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiGateway {
    /// REST resources that get an OPTIONS method, most specific first.
    pub resources: Vec<Resource>,
    /// Gateway-response types that carry CORS headers, in API order.
    pub gateway_responses: Vec<&'static str>,
    /// What gateway responses send as `Access-Control-Allow-Origin`.
    pub gateway_origin: GatewayOrigin,
    /// Where the resources are written: `resources` in `[apigateway]`, else that table, else
    /// `[cors]` (the defaults and the routes).
    pub resources_span: std::ops::Range<usize>,
}

/// A REST API resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its path, e.g. `/orders/{id}`.
    pub path: String,
    /// The parsed path.
    pub pattern: RoutePattern,
}

/// The `Access-Control-Allow-Origin` of gateway responses, which cannot run a mapping template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOrigin {
    /// A static value: `*` or one origin.
    Static(String),
    /// Echo the request's `Origin` header, whatever it is (chosen explicitly in the policy).
    Reflect,
}

/// A route and its resolved rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path as written, e.g. `/orders/{id}`.
    pub path: String,
    /// The parsed path.
    pub pattern: RoutePattern,
    /// The rule for requests to this route.
    pub rule: Rule,
    /// Where its fields are written.
    pub written: Written,
}

/// Which table of the policy file a rule's field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// `[cors]`.
    Cors,
    /// The selected `[env.NAME]`.
    Env,
    /// The route's own `[[route]]`.
    Route,
}

/// Where a field is written: its value's span and its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenAt {
    /// The value as written.
    pub span: std::ops::Range<usize>,
    /// Its table.
    pub layer: Layer,
}

/// Where each field of a resolved rule is written (`None`: left at its default), recorded by
/// validation as it layers `[cors]`, the environment and the route: what a fix points at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Written {
    /// The rule's own table: `[cors]`, or the route's `path`.
    pub table: std::ops::Range<usize>,
    /// `allow-origins`.
    pub origins: Option<WrittenAt>,
    /// `allow-credentials`.
    pub credentials: Option<WrittenAt>,
    /// `allow-methods`.
    pub methods: Option<WrittenAt>,
    /// `allow-headers`.
    pub headers: Option<WrittenAt>,
}

/// The CORS rule for a set of paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    /// Who may read responses.
    pub origins: AllowedOrigins,
    /// `Access-Control-Allow-Credentials: true` for allowed origins.
    pub credentials: bool,
    /// `Access-Control-Allow-Methods`, in policy order.
    pub methods: Vec<String>,
    /// `Access-Control-Allow-Headers`, in policy order.
    pub headers: Vec<String>,
    /// `Access-Control-Expose-Headers`, in policy order.
    pub expose: Vec<String>,
    /// `Access-Control-Max-Age`, when set.
    pub max_age: Option<u32>,
}

/// The allowed origins of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AllowedOrigins {
    /// Any origin, answered with `*`.
    Any,
    /// Exact origins and leftmost-label wildcards, shared by every rule that inherits them.
    List(Arc<OriginList>),
}

/// Named origins: exact ones and leftmost-label wildcards.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct OriginList {
    /// Serialized origins, compared byte for byte.
    pub exact: Vec<String>,
    /// Wildcard patterns.
    pub wildcards: Vec<WildcardOrigin>,
}

/// The domain name of an origin (`None` for IP addresses).
fn domain_of(origin: &str) -> Option<String> {
    match crate::address::parse_http(origin)?.host()? {
        url::Host::Domain(d) => Some(d.to_string()),
        _ => None,
    }
}

/// A host's registrable domain (`example.co.uk`) and its name without the public suffix
/// (`example`).
fn site_and_name(host: &str) -> (&str, &str) {
    let site = psl::domain_str(host).unwrap_or(host);
    let suffix = psl::suffix_str(host).unwrap_or("");
    let name = site
        .strip_suffix(suffix)
        .map_or(site, |n| n.trim_end_matches('.'));
    (site, name)
}

impl OriginList {
    /// The allowed entry that `origin` imitates, when it does: another site (another
    /// registrable domain) that carries an allowed host on a label boundary
    /// (`https://www.example.com.evil.com`), the allowed site's name under another public suffix
    /// (`https://www.example.co`), inside a longer name (`https://evilexample.com`) or one or two
    /// characters away from it (`https://www.examp1e.com`). Names of three characters or fewer
    /// only count when carried whole. Allowing such an origin is never the fix.
    #[must_use]
    pub fn lookalike(&self, origin: &str) -> Option<String> {
        let host = domain_of(origin)?;
        let (own_site, own_name) = site_and_name(&host);
        let allowed = self
            .exact
            .iter()
            .filter_map(|o| Some((domain_of(o)?, o.clone())))
            .chain(self.wildcards.iter().map(|w| {
                let base = w.suffix.trim_start_matches('.');
                let base = base.split(':').next().unwrap_or(base);
                (base.to_string(), w.pattern())
            }));
        let dotted = format!(".{host}.");
        let mut best: Option<(u8, String)> = None;
        for (allowed_host, entry) in allowed {
            let (site, name) = site_and_name(&allowed_host);
            if site == own_site {
                continue;
            }
            // The strongest resemblance wins: the whole allowed host, then its site, then the
            // site's name.
            let strength = if dotted.contains(&format!(".{allowed_host}.")) {
                3
            } else if dotted.contains(&format!(".{site}.")) {
                2
            } else if name == own_name
                || (name.len() > 3
                    && (own_name.contains(name) || strsim::levenshtein(name, own_name) <= 2))
            {
                1
            } else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| strength > *b) {
                best = Some((strength, entry));
            }
        }
        best.map(|(_, entry)| entry)
    }

    /// Every entry as written in a policy: exact origins, then wildcard patterns.
    #[must_use]
    pub fn patterns(&self) -> Vec<String> {
        self.exact
            .iter()
            .cloned()
            .chain(self.wildcards.iter().map(WildcardOrigin::pattern))
            .collect()
    }
}

impl AllowedOrigins {
    /// True when `origin` (as sent in the `Origin` header) is allowed.
    #[must_use]
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => {
                list.exact.iter().any(|o| o == origin)
                    || list.wildcards.iter().any(|w| w.matches(origin))
            }
        }
    }
}

/// How `Access-Control-Allow-Origin` can be written for a rule where no per-request logic runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginAnswer<'a> {
    /// One value serves every allowed origin: `*`, or the only origin.
    Static(&'a str),
    /// Several origins or a wildcard: the answer depends on the request's Origin.
    Allowlist(&'a OriginList),
}

impl AllowedOrigins {
    /// Whether one static `Access-Control-Allow-Origin` value serves this allowlist.
    #[must_use]
    pub fn answer(&self) -> OriginAnswer<'_> {
        match self {
            AllowedOrigins::Any => OriginAnswer::Static("*"),
            AllowedOrigins::List(list) => {
                match (list.exact.as_slice(), list.wildcards.is_empty()) {
                    ([only], true) => OriginAnswer::Static(only),
                    _ => OriginAnswer::Allowlist(list),
                }
            }
        }
    }
}

/// One segment of an API Gateway resource path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A literal segment, compared case-sensitively.
    Literal(String),
    /// `{name}`: exactly one non-empty segment.
    Param,
    /// `{name+}`: one or more non-empty segments; always last.
    Greedy,
}

/// A parsed route path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePattern {
    /// The segments after the leading `/`.
    pub segments: Vec<Segment>,
}

impl RoutePattern {
    /// Sort key: literal before `{param}` before `{proxy+}`, segment by segment. Sorting routes by
    /// it puts the most specific first, so the first match wins.
    #[must_use]
    pub fn specificity_key(&self) -> Vec<u8> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 0,
                Segment::Param => 1,
                Segment::Greedy => 2,
            })
            .collect()
    }

    /// True when the request path's segments match this pattern.
    #[must_use]
    pub fn matches(&self, parts: &[&str]) -> bool {
        let mut index = 0;
        for segment in &self.segments {
            match segment {
                Segment::Greedy => {
                    return parts.len() > index && parts[index..].iter().all(|p| !p.is_empty());
                }
                Segment::Param | Segment::Literal(_) => {
                    let Some(part) = parts.get(index) else {
                        return false;
                    };
                    if part.is_empty() {
                        return false;
                    }
                    if let Segment::Literal(text) = segment {
                        if text != part {
                            return false;
                        }
                    }
                    index += 1;
                }
            }
        }
        index == parts.len()
    }
}

/// Splits a request path into segments the way every generated artifact does: drop one leading
/// and one trailing `/`; `/` alone has no segments.
#[must_use]
pub fn path_segments(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

impl RoutePattern {
    /// True when every path this pattern matches is also matched by `route`: the route's rule
    /// then applies to every request a REST resource with this pattern receives.
    #[must_use]
    pub fn is_covered_by(&self, route: &RoutePattern) -> bool {
        for (index, segment) in route.segments.iter().enumerate() {
            match (segment, self.segments.get(index)) {
                (Segment::Greedy, Some(_)) => return true,
                (Segment::Param, Some(Segment::Literal(_) | Segment::Param)) => {}
                (Segment::Literal(a), Some(Segment::Literal(b))) if a == b => {}
                _ => return false,
            }
        }
        route.segments.len() == self.segments.len()
    }
}

impl Policy {
    /// The rule for every request to REST resource `pattern`: that of the most specific route
    /// covering it, else the default.
    #[must_use]
    pub fn rule_for_resource(&self, pattern: &RoutePattern) -> &Rule {
        self.routes
            .iter()
            .find(|r| pattern.is_covered_by(&r.pattern))
            .map_or(&self.default_rule, |r| &r.rule)
    }

    /// The rule for a request path: the first (most specific) matching route, else the default.
    #[must_use]
    pub fn rule_for(&self, path: &str) -> &Rule {
        self.route_for(path).map_or(&self.default_rule, |r| &r.rule)
    }

    /// The route whose rule applies to a request path, or `None` when `[cors]` applies.
    #[must_use]
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        let parts = path_segments(path);
        self.routes.iter().find(|r| r.pattern.matches(&parts))
    }

    /// Where the fields of the rule for a request path are written.
    #[must_use]
    pub fn written_for(&self, path: &str) -> &Written {
        self.route_for(path)
            .map_or(&self.default_written, |r| &r.written)
    }

    /// Whether the policy fits and emits the static configuration `target` (`http-api`).
    #[must_use]
    pub fn emits_configuration(&self, target: &str) -> bool {
        self.configurations.contains(&target)
    }
}

#[cfg(test)]
mod tests {
    use super::{path_segments, OriginList, RoutePattern, Segment};

    #[test]
    fn lookalikes_are_other_sites_that_imitate_an_allowed_one() {
        let list = OriginList {
            exact: vec![
                "https://www.example.com".into(),
                "https://sp.example.com".into(),
                "https://x.com".into(),
            ],
            wildcards: Vec::new(),
        };
        for (origin, imitated) in [
            (
                "https://www.example.com.evil.com",
                "https://www.example.com",
            ),
            ("https://sp.example.com.evil.com", "https://sp.example.com"),
            ("https://example.com.evil.com", "https://www.example.com"),
            ("https://evilexample.com", "https://www.example.com"),
            ("https://www.examp1e.com", "https://www.example.com"),
            ("https://www.example.co", "https://www.example.com"),
            ("https://x.com.evil.com", "https://x.com"),
        ] {
            assert_eq!(
                list.lookalike(origin).as_deref(),
                Some(imitated),
                "{origin}"
            );
        }
        for origin in [
            "https://app.example.com",
            "https://dropbox.com",
            "https://netflix.com",
            "https://unrelated.org",
            "https://127.0.0.1",
        ] {
            assert_eq!(list.lookalike(origin), None, "{origin}");
        }
    }

    fn pattern(segments: &[Segment]) -> RoutePattern {
        RoutePattern {
            segments: segments.to_vec(),
        }
    }

    #[test]
    fn splits_paths() {
        assert_eq!(path_segments("/"), Vec::<&str>::new());
        assert_eq!(path_segments(""), Vec::<&str>::new());
        assert_eq!(path_segments("/a/b/"), ["a", "b"]);
        assert_eq!(path_segments("/a//b"), ["a", "", "b"]);
    }

    #[test]
    fn matches_params_and_greedy() {
        let orders = pattern(&[Segment::Literal("orders".into()), Segment::Param]);
        assert!(orders.matches(&["orders", "1"]));
        assert!(!orders.matches(&["orders"]));
        assert!(!orders.matches(&["orders", "1", "x"]));
        assert!(!orders.matches(&["Orders", "1"]));
        let proxy = pattern(&[Segment::Greedy]);
        assert!(proxy.matches(&["a", "b"]));
        assert!(!proxy.matches(&[]));
        assert!(!proxy.matches(&["a", ""]));
    }
}
