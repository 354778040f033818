//! URLs as browsers parse them (the WHATWG URL standard, through the `url` crate), and the one
//! rule that turns a request URL into the path a policy's routes are matched on.
//!
//! Input: URL strings from the command line, from live responses (`Location`) and from HAR
//! captures. Output: serialized origins exactly as a browser sends them in `Origin`, paths,
//! resolved redirect targets, and [`RoutePath`]. Guarantee: nothing here is hand-parsed, and
//! every URL the browser model, `check`, `probe`, `doctor` and origin validation handle goes
//! through here.

use url::Url;

/// An absolute `http:` or `https:` URL, parsed; `None` for anything else.
#[must_use]
pub fn parse_http(text: &str) -> Option<Url> {
    parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The serialized origin of an absolute http(s) URL, as a browser sends it in `Origin`
/// (lowercase, punycode, default port dropped, IP addresses in their canonical form).
#[must_use]
pub fn origin(text: &str) -> Option<String> {
    parse_http(text).map(|u| u.origin().ascii_serialization())
}

/// The path of an absolute URL, without query or fragment (`/` when it has none).
#[must_use]
pub fn path(text: &str) -> String {
    parse_http(text).map_or_else(|| "/".to_string(), |u| u.path().to_string())
}

/// `location` resolved against the URL it answered, as a browser follows a redirect.
#[must_use]
pub fn resolve(base: &str, location: &str) -> Option<String> {
    parse(base).ok()?.join(location).ok().map(|u| u.to_string())
}

/// Any absolute URL, parsed as a browser's URL parser parses it.
///
/// # Errors
/// Why the parser rejects it.
pub fn parse(text: &str) -> Result<Url, url::ParseError> {
    Url::parse(text)
}

/// The path a request's route is matched on, and what was removed to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePath {
    /// The resource path the policy's routes are matched on, e.g. `/admin/users/1`.
    pub path: String,
    /// The stage (or emulator prefix) removed from the URL's path, when one was.
    pub removed: Option<String>,
    /// True when the stage segment was inferred from an `execute-api` URL rather than given.
    pub inferred: bool,
}

impl RoutePath {
    /// `path` as it is, nothing removed (`/` for an empty path).
    #[must_use]
    pub fn as_is(path: &str) -> Self {
        RoutePath {
            path: if path.is_empty() { "/" } else { path }.to_string(),
            removed: None,
            inferred: false,
        }
    }

    /// A sentence for people saying how the path was found, empty when it is the URL's own.
    #[must_use]
    pub fn note(&self) -> String {
        match (&self.removed, self.inferred) {
            (Some(stage), true) => format!(
                "; matched on {} after the stage segment `{stage}` of the execute-api URL (pass --stage '$default' if the API has no stage segment)",
                self.path
            ),
            (Some(prefix), false) => format!("; matched on {} after `{prefix}`", self.path),
            (None, _) => String::new(),
        }
    }
}

/// The stage a `--stage` flag names: `$default` has no path segment.
pub const DEFAULT_STAGE: &str = "$default";

/// The path of `url` that API Gateway matches routes on: the stage segment removed.
///
/// With `stage` given, its segment is removed (`$default` has none). Without it, the first
/// segment of an `execute-api` URL is the stage (REST APIs always have one, as do HTTP APIs'
/// named stages), and LocalStack's `/restapis/{id}/{stage}/_user_request_` prefix is removed;
/// any other URL's path is used as it is (a custom domain's base path mapping cannot be seen
/// from the URL: give the path).
///
/// # Errors
/// A sentence for people when `stage` names a segment the URL's path does not start with.
pub fn route_path(url: &Url, stage: Option<&str>) -> Result<RoutePath, String> {
    let full = url.path();
    let own = RoutePath::as_is;
    if let Some(stage) = stage {
        if stage == DEFAULT_STAGE {
            return Ok(own(full));
        }
        let segment = format!("/{stage}");
        return match full.strip_prefix(&segment) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => Ok(RoutePath {
                removed: Some(segment),
                ..own(rest)
            }),
            _ => Err(format!(
                "the URL's path {full} does not start with the stage segment {segment}; give --stage '{DEFAULT_STAGE}' for a stage without a segment, or --path"
            )),
        };
    }
    let segments: Vec<&str> = full.split('/').skip(1).collect();
    if segments.len() >= 4 && segments[0] == "restapis" && segments[3] == "_user_request_" {
        let prefix = segments[..4].join("/");
        return Ok(RoutePath {
            removed: Some(format!("/{prefix}")),
            ..own(&full[prefix.len() + 1..])
        });
    }
    let host = url.host_str().unwrap_or_default();
    let execute_api = host.contains(".execute-api.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"));
    if execute_api && segments.first().is_some_and(|s| !s.is_empty()) {
        let stage = segments[0];
        return Ok(RoutePath {
            removed: Some(format!("/{stage}")),
            inferred: true,
            ..own(&full[stage.len() + 1..])
        });
    }
    Ok(own(full))
}

#[cfg(test)]
mod tests {
    use super::{origin, parse_http, path, resolve, route_path};

    #[test]
    fn origins_as_browsers_serialize_them() {
        assert_eq!(
            origin("HTTPS://API.example.com:443/a?b").as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("https://[::ffff:1.2.3.4]/x").as_deref(),
            Some("https://[::ffff:102:304]")
        );
        assert_eq!(
            origin("https://0x7f.1").as_deref(),
            Some("https://127.0.0.1")
        );
        assert_eq!(origin("ftp://x"), None);
        assert_eq!(origin("/relative"), None);
    }

    #[test]
    fn paths_and_redirects_resolve_like_a_browser() {
        assert_eq!(path("https://a.example/orders/1?x=/y#z"), "/orders/1");
        assert_eq!(path("https://a.example"), "/");
        let base = "https://a.example/x/y?q";
        assert_eq!(
            resolve(base, "../z").as_deref(),
            Some("https://a.example/z")
        );
        assert_eq!(
            resolve(base, "?r").as_deref(),
            Some("https://a.example/x/y?r")
        );
        assert_eq!(
            resolve(base, "#f").as_deref(),
            Some("https://a.example/x/y?q#f")
        );
        assert_eq!(
            resolve(base, "//b.example/c").as_deref(),
            Some("https://b.example/c")
        );
        assert_eq!(resolve(base, "z").as_deref(), Some("https://a.example/x/z"));
    }

    #[test]
    fn stages_come_off_execute_api_urls_and_when_named() {
        let url = |s: &str| parse_http(s).unwrap();
        let api = url("https://abc123.execute-api.us-east-1.amazonaws.com/prod/admin/users/1");
        let inferred = route_path(&api, None).unwrap();
        assert_eq!(inferred.path, "/admin/users/1");
        assert_eq!(inferred.removed.as_deref(), Some("/prod"));
        assert!(inferred.inferred);
        assert!(inferred.note().contains("--stage '$default'"));
        assert_eq!(
            route_path(&api, Some("$default")).unwrap().path,
            "/prod/admin/users/1"
        );
        assert_eq!(
            route_path(&api, Some("prod")).unwrap().path,
            "/admin/users/1"
        );
        assert!(route_path(&api, Some("dev")).is_err());
        let stage_only = url("https://abc123.execute-api.us-east-1.amazonaws.com/prod");
        assert_eq!(route_path(&stage_only, None).unwrap().path, "/");
        let custom = url("https://api.example.com/prod/orders");
        assert_eq!(route_path(&custom, None).unwrap().path, "/prod/orders");
        assert_eq!(route_path(&custom, None).unwrap().removed, None);
        let localstack = url("http://127.0.0.1:4566/restapis/a1b2/dev/_user_request_/orders/7");
        assert_eq!(route_path(&localstack, None).unwrap().path, "/orders/7");
        // A stage named like a longer segment is not a prefix of it.
        let near = url("https://api.example.com/production/x");
        assert!(route_path(&near, Some("prod")).is_err());
    }
}
