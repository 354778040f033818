//! Origins in a policy: parsing to canonical form, wildcard patterns, and matching.
//!
//! Input: a string from `allow-origins`. Output: an [`OriginSpec`] or an [`OriginProblem`] that
//! carries the corrected origin when one exists. Guarantee: a parsed origin is byte-for-byte what
//! a browser sends; matching is exact or suffix-on-a-label-boundary, never a regex.

use crate::diagnostic::Code;

/// One entry of `allow-origins`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OriginSpec {
    /// `*`: any origin (only without credentials).
    Any,
    /// One serialized origin, e.g. `https://app.example.com`.
    Exact(String),
    /// `scheme://*.base[:port]`.
    Wildcard(WildcardOrigin),
}

/// A leftmost-label wildcard such as `https://*.example.com`: one or more DNS labels followed by
/// `.example.com`, same scheme, same port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct WildcardOrigin {
    /// What the origin must start with, e.g. `https://`.
    pub prefix: String,
    /// What the origin must end with, e.g. `.example.com` or `.example.com:8443`.
    pub suffix: String,
}

/// The characters of a DNS label as browsers serialize it (lowercase, punycode).
pub fn is_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// [`is_label_run`] as a Java regular expression (whole-string match, as `String.matches`
/// does), for mapping templates. A constant: no origin is ever part of a pattern.
pub const LABEL_RUN_REGEX: &str = "[a-z0-9_-]+(\\.[a-z0-9_-]+)*";

/// True when `text` is one or more non-empty labels joined by single dots.
#[must_use]
pub fn is_label_run(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('.')
        && !text.ends_with('.')
        && !text.contains("..")
        && text.chars().all(|c| c == '.' || is_label_char(c))
}

impl WildcardOrigin {
    /// True when `origin` is this pattern with one or more labels in place of `*`.
    #[must_use]
    pub fn matches(&self, origin: &str) -> bool {
        origin.len() > self.prefix.len() + self.suffix.len()
            && origin.starts_with(&self.prefix)
            && origin.ends_with(&self.suffix)
            && is_label_run(&origin[self.prefix.len()..origin.len() - self.suffix.len()])
    }

    /// The pattern as written in a policy.
    #[must_use]
    pub fn pattern(&self) -> String {
        format!("{}*{}", self.prefix, self.suffix)
    }
}

impl OriginSpec {
    /// The entry as written in a canonical policy.
    #[must_use]
    pub fn as_policy_string(&self) -> String {
        match self {
            OriginSpec::Any => "*".into(),
            OriginSpec::Exact(o) => o.clone(),
            OriginSpec::Wildcard(w) => w.pattern(),
        }
    }

    /// True for plain-http origins other than loopback ones.
    #[must_use]
    pub fn is_insecure(&self) -> bool {
        let text = self.as_policy_string();
        let Some(rest) = text.strip_prefix("http://") else {
            return false;
        };
        let host = rest.strip_prefix('[').map_or_else(
            || rest.split(':').next().unwrap_or(rest),
            |v6| v6.split(']').next().unwrap_or(v6),
        );
        !(host == "localhost"
            || host.ends_with(".localhost")
            || host == "::1"
            || host.starts_with("127."))
    }
}

/// Why an origin string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginProblem {
    /// The diagnostic code of the first problem found.
    pub code: Code,
    /// Every problem found, in one sentence.
    pub message: String,
    /// The canonical origin, when every problem has an unambiguous fix.
    pub suggestion: Option<String>,
}

struct Problems {
    found: Vec<(Code, String)>,
    fixable: bool,
}

impl Problems {
    fn add(&mut self, code: Code, message: impl Into<String>) {
        self.found.push((code, message.into()));
    }
    fn fatal(&mut self, code: Code, message: impl Into<String>) {
        self.add(code, message);
        self.fixable = false;
    }
}

/// Parses one `allow-origins` entry.
///
/// # Errors
/// An [`OriginProblem`] naming what a browser would never send, with the fix when there is one.
pub fn parse_origin(input: &str) -> Result<OriginSpec, OriginProblem> {
    if input == "*" {
        return Ok(OriginSpec::Any);
    }
    let mut problems = Problems {
        found: Vec::new(),
        fixable: true,
    };
    let trimmed = input.trim();
    if trimmed != input {
        problems.add(Code::OriginWhitespace, "has spaces around it");
    }
    if trimmed.eq_ignore_ascii_case("null") {
        return Err(OriginProblem {
            code: Code::OriginNull,
            message: "the `null` origin is sent by sandboxed iframes, `data:` documents and \
                      cross-origin redirects, so allowing it allows anyone"
                .into(),
            suggestion: None,
        });
    }
    let mut canonical = canonicalize(trimmed, &mut problems);
    // The last word is the browser's: the candidate must be its own WHATWG origin
    // serialization (what a browser puts in `Origin`), else it is rewritten or refused.
    if let Some(spec) = canonical.take() {
        canonical = as_browsers_serialize(spec, &mut problems);
    }
    match (&canonical, problems.found.is_empty()) {
        (Some(spec), true) => return Ok(spec.clone()),
        // Every path that yields no origin records why; this keeps a missed one a diagnostic.
        (None, true) => problems.fatal(Code::OriginMalformed, "is not a serialized origin"),
        _ => {}
    }
    let message = problems
        .found
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let suggestion = if problems.fixable {
        canonical.map(|c| c.as_policy_string())
    } else {
        None
    };
    Err(OriginProblem {
        code: problems.found[0].0,
        message,
        suggestion,
    })
}

/// `spec` checked against the WHATWG URL parser: an exact origin must equal its own origin
/// serialization, and a wildcard must do so with a label in place of `*`. A host the parser
/// rewrites (IPv4 shorthand or hex, IPv6 forms) becomes the rewritten form, with a problem;
/// one it rejects (an IPv4-like host out of range, invalid punycode) is refused.
fn as_browsers_serialize(spec: OriginSpec, problems: &mut Problems) -> Option<OriginSpec> {
    const PROBE_LABEL: &str = "a";
    let text = match &spec {
        OriginSpec::Any => return Some(spec),
        OriginSpec::Exact(o) => o.clone(),
        OriginSpec::Wildcard(w) => format!("{}{PROBE_LABEL}{}", w.prefix, w.suffix),
    };
    let serialized = match crate::address::parse(&text) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(error) => {
            let (code, why) = match error {
                url::ParseError::InvalidIpv4Address => (Code::OriginHostForm, "has a host that looks like an IPv4 address but is not one (a part above 255, or too many parts), so browsers reject it".to_string()),
                url::ParseError::InvalidIpv6Address => (Code::OriginHostForm, "has an invalid IPv6 address, so browsers reject it".to_string()),
                url::ParseError::IdnaError => (Code::OriginHostForm, "has a host that is not a valid internationalized (punycode) domain name, so browsers reject it".to_string()),
                other => (Code::OriginMalformed, format!("is not a URL browsers accept ({other})")),
            };
            problems.fatal(code, why);
            return None;
        }
    };
    if serialized == text {
        return Some(spec);
    }
    problems.add(
        Code::OriginHostForm,
        "has a host that browsers rewrite before sending it",
    );
    match spec {
        OriginSpec::Wildcard(w) => {
            let rest = serialized.strip_prefix(&w.prefix)?;
            let suffix = rest.strip_prefix(PROBE_LABEL)?;
            Some(OriginSpec::Wildcard(WildcardOrigin {
                prefix: w.prefix,
                suffix: suffix.to_string(),
            }))
        }
        _ => Some(OriginSpec::Exact(serialized)),
    }
}

fn split_scheme<'a>(text: &'a str, problems: &mut Problems) -> (String, &'a str) {
    let is_scheme = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    };
    if let Some((scheme, rest)) = text.split_once("://") {
        if is_scheme(scheme) {
            return (scheme.to_string(), rest);
        }
    }
    if let Some((scheme, rest)) = text.split_once(":/") {
        if is_scheme(scheme) && matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
            problems.add(
                Code::OriginMissingScheme,
                "needs two slashes after the scheme",
            );
            return (scheme.to_string(), rest);
        }
    }
    if let Some((scheme, rest)) = text.split_once(':') {
        if matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
            problems.add(
                Code::OriginMissingScheme,
                "needs two slashes after the scheme",
            );
            return (scheme.to_string(), rest);
        }
    }
    if let Some((scheme, rest)) = text.split_once("//") {
        if matches!(
            scheme.to_ascii_lowercase().as_str(),
            "http:" | "https:" | "http" | "https" | ""
        ) {
            problems.add(Code::OriginMissingScheme, "has no `scheme://` prefix");
            let scheme = scheme.trim_end_matches(':');
            return (
                if scheme.is_empty() {
                    "https".into()
                } else {
                    scheme.to_string()
                },
                rest,
            );
        }
    }
    problems.add(
        Code::OriginMissingScheme,
        "has no `https://` (or `http://`) prefix",
    );
    ("https".to_string(), text)
}

fn canonicalize(text: &str, problems: &mut Problems) -> Option<OriginSpec> {
    let (scheme_raw, rest) = split_scheme(text, problems);
    let scheme = scheme_raw.to_ascii_lowercase();
    if scheme != scheme_raw {
        problems.add(Code::OriginUppercase, "has an uppercase scheme");
    }
    if scheme != "http" && scheme != "https" {
        problems.fatal(
            Code::OriginScheme,
            format!(
                "uses the `{scheme}` scheme; only http and https origins can make CORS requests"
            ),
        );
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (mut authority, tail) = rest.split_at(authority_end);
    if !tail.is_empty() {
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        let path = &tail[..path_end];
        if path == "/" && path_end == tail.len() {
            problems.add(Code::OriginTrailingSlash, "ends with a slash");
        } else if !path.is_empty() && path != "/" {
            problems.add(Code::OriginPath, format!("has a path (`{path}`)"));
        }
        if let Some(query_at) = tail.find('?') {
            if tail[..query_at].find('#').is_none() {
                problems.add(Code::OriginQuery, "has a query string");
            }
        }
        if tail.contains('#') {
            problems.add(Code::OriginFragment, "has a fragment");
        }
    }
    if let Some(at) = authority.rfind('@') {
        problems.add(Code::OriginUserinfo, "has user info before `@`");
        authority = &authority[at + 1..];
    }
    let (host_raw, port_raw) = split_host_port(authority);
    let port = port_raw.and_then(|p| check_port(p, &scheme, problems));
    let host = check_host(host_raw, problems)?;
    let port_part = port.map(|p| format!(":{p}")).unwrap_or_default();
    if let Some(base) = host.strip_prefix("*.") {
        check_wildcard_base(base, problems);
        return Some(OriginSpec::Wildcard(WildcardOrigin {
            prefix: format!("{scheme}://"),
            suffix: format!(".{base}{port_part}"),
        }));
    }
    Some(OriginSpec::Exact(format!("{scheme}://{host}{port_part}")))
}

fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let after = &authority[end + 1..];
                (
                    &authority[..=end],
                    after
                        .strip_prefix(':')
                        .or(if after.is_empty() { None } else { Some(after) }),
                )
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

fn check_port(port: &str, scheme: &str, problems: &mut Problems) -> Option<u16> {
    if port.is_empty() {
        problems.add(Code::OriginPort, "ends with `:` but no port");
        return None;
    }
    if !port.chars().all(|c| c.is_ascii_digit()) {
        problems.fatal(
            Code::OriginPort,
            format!("has a port `{port}` that is not a number"),
        );
        return None;
    }
    let value: u32 = port.parse().unwrap_or(u32::MAX);
    if value == 0 || value > 65535 {
        problems.fatal(
            Code::OriginPort,
            format!("has port {port}, outside 1 to 65535"),
        );
        return None;
    }
    if port.starts_with('0') {
        problems.add(
            Code::OriginPort,
            format!("has a port with leading zeros (`{port}`)"),
        );
    }
    let value = u16::try_from(value).ok()?;
    if (scheme == "https" && value == 443) || (scheme == "http" && value == 80) {
        problems.add(
            Code::OriginDefaultPort,
            format!("names the default port {value}, which browsers never send"),
        );
        return None;
    }
    Some(value)
}

fn check_host(host: &str, problems: &mut Problems) -> Option<String> {
    if host.is_empty() {
        problems.fatal(Code::OriginMalformed, "has no host");
        return None;
    }
    if host.starts_with('[') {
        // The address's form is the URL parser's to judge (`as_browsers_serialize`).
        if !host.ends_with(']') {
            problems.fatal(
                Code::OriginMalformed,
                format!("has an invalid IPv6 address `{host}`"),
            );
            return None;
        }
        return Some(host.to_string());
    }
    let mut host = host.to_string();
    if host.ends_with('.') {
        problems.add(Code::OriginMalformed, "ends with a dot");
        host = host.trim_end_matches('.').to_string();
    }
    if !host.starts_with("*.") && host.contains('*') {
        // `*example.com` has an obvious meaning; anything else with a `*` does not.
        match host
            .strip_prefix('*')
            .filter(|r| !r.is_empty() && !r.starts_with('.') && !r.contains('*'))
        {
            Some(rest) => {
                problems.add(
                    Code::WildcardMisplaced,
                    "has a wildcard that is not a whole leftmost label (write `*.` before the domain)",
                );
                host = format!("*.{rest}");
            }
            None => {
                problems.fatal(
                    Code::WildcardMisplaced,
                    "has a wildcard that is not the whole leftmost label; only `scheme://*.domain` is allowed",
                );
                return None;
            }
        }
    }
    let (wildcard, name) = match host.strip_prefix("*.") {
        Some(rest) => (true, rest.to_string()),
        None => (false, host.clone()),
    };
    if name.contains('*') {
        problems.fatal(
            Code::WildcardMisplaced,
            "has a wildcard that is not the whole leftmost label; only `scheme://*.domain` is allowed",
        );
        return None;
    }
    let mut name = name;
    if !name.is_ascii() {
        if let Ok(ascii) = idna::domain_to_ascii(&name) {
            problems.add(
                Code::OriginNonAscii,
                "has a non-ASCII host; browsers send its punycode form",
            );
            name = ascii;
        } else {
            problems.fatal(
                Code::OriginMalformed,
                "has a host that is not a valid domain name",
            );
            return None;
        }
    } else if name.chars().any(|c| c.is_ascii_uppercase()) {
        problems.add(Code::OriginUppercase, "has uppercase letters in the host");
        name = name.to_ascii_lowercase();
    }
    if !is_label_run(&name) || name.len() > 253 || name.split('.').any(|l| l.len() > 63) {
        problems.fatal(
            Code::OriginMalformed,
            format!("has an invalid host `{name}`"),
        );
        return None;
    }
    Some(if wildcard { format!("*.{name}") } else { name })
}

fn check_wildcard_base(base: &str, problems: &mut Problems) {
    let is_suffix = |name: &str| psl::suffix_str(name) == Some(name);
    // The base itself a public suffix (`*.co.uk`), or every name directly below it one (a
    // wildcard rule of the list, `*.kawasaki.jp`, `*.compute.amazonaws.com`): anyone can
    // register a site the pattern matches.
    let probe = format!("corsgen-probe.{base}");
    if !base.contains('.') || is_suffix(base) || is_suffix(&probe) {
        problems.fatal(
            Code::WildcardPublicSuffix,
            format!("puts a wildcard over the public suffix `{base}`, which anyone can register names under"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{is_label_run, parse_origin, OriginSpec};
    use crate::diagnostic::Code;

    fn problem(input: &str) -> (Code, Option<String>) {
        let p = parse_origin(input).expect_err(input);
        (p.code, p.suggestion)
    }

    #[test]
    fn accepts_canonical_origins() {
        for ok in [
            "https://example.com",
            "http://localhost:3000",
            "https://a.b.example.com:8443",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "https://xn--rsum-bpad.com",
        ] {
            assert_eq!(parse_origin(ok), Ok(OriginSpec::Exact(ok.into())), "{ok}");
        }
        assert_eq!(parse_origin("*"), Ok(OriginSpec::Any));
    }

    #[test]
    fn suggests_the_canonical_origin() {
        let cases = [
            (
                "https:/example.com",
                Code::OriginMissingScheme,
                "https://example.com",
            ),
            (
                "https:example.com",
                Code::OriginMissingScheme,
                "https://example.com",
            ),
            (
                "https://example.com/",
                Code::OriginTrailingSlash,
                "https://example.com",
            ),
            (
                "https://example.com/app",
                Code::OriginPath,
                "https://example.com",
            ),
            (
                "https://Example.COM",
                Code::OriginUppercase,
                "https://example.com",
            ),
            (
                "HTTPS://example.com",
                Code::OriginUppercase,
                "https://example.com",
            ),
            (
                "https://example.com:443",
                Code::OriginDefaultPort,
                "https://example.com",
            ),
            (
                "http://example.com:80",
                Code::OriginDefaultPort,
                "http://example.com",
            ),
            (
                "example.com",
                Code::OriginMissingScheme,
                "https://example.com",
            ),
            (
                "//example.com",
                Code::OriginMissingScheme,
                "https://example.com",
            ),
            (
                " https://example.com",
                Code::OriginWhitespace,
                "https://example.com",
            ),
            (
                "https://user:pw@example.com",
                Code::OriginUserinfo,
                "https://example.com",
            ),
            (
                "https://example.com?x=1",
                Code::OriginQuery,
                "https://example.com",
            ),
            (
                "https://example.com#top",
                Code::OriginFragment,
                "https://example.com",
            ),
            (
                "https://example.com:0443",
                Code::OriginPort,
                "https://example.com",
            ),
            (
                "https://example.com:08443",
                Code::OriginPort,
                "https://example.com:8443",
            ),
            (
                "https://résumé.com",
                Code::OriginNonAscii,
                "https://xn--rsum-bpad.com",
            ),
            (
                "https://*example.com",
                Code::WildcardMisplaced,
                "https://*.example.com",
            ),
            (
                "https://example.com.",
                Code::OriginMalformed,
                "https://example.com",
            ),
        ];
        for (input, code, suggestion) in cases {
            assert_eq!(problem(input), (code, Some(suggestion.into())), "{input}");
        }
    }

    #[test]
    fn refuses_without_a_guess_where_none_is_safe() {
        for (input, code) in [
            ("null", Code::OriginNull),
            ("file://", Code::OriginScheme),
            ("chrome-extension://abc", Code::OriginScheme),
            ("https://example.com:0", Code::OriginPort),
            ("https://example.com:70000", Code::OriginPort),
            ("https://a.*.example.com", Code::WildcardMisplaced),
            ("https://*.com", Code::WildcardPublicSuffix),
            ("https://*.co.uk", Code::WildcardPublicSuffix),
            ("https://*.github.io", Code::WildcardPublicSuffix),
            ("https://*.kawasaki.jp", Code::WildcardPublicSuffix),
            (
                "https://*.compute.amazonaws.com",
                Code::WildcardPublicSuffix,
            ),
            ("https://*.", Code::OriginMalformed),
            ("https://*", Code::WildcardMisplaced),
            ("https://**.example.com", Code::WildcardMisplaced),
            ("https://exa mple.com", Code::OriginMalformed),
        ] {
            assert_eq!(problem(input), (code, None), "{input}");
        }
    }

    #[test]
    fn wildcard_matches_on_label_boundaries_only() {
        let Ok(OriginSpec::Wildcard(w)) = parse_origin("https://*.example.com") else {
            panic!("wildcard")
        };
        assert!(w.matches("https://a.example.com"));
        assert!(w.matches("https://a.b.example.com"));
        for no in [
            "https://example.com",
            "https://.example.com",
            "https://example.com.evil.com",
            "https://evilexample.com",
            "http://a.example.com",
            "https://a.example.com:8443",
            "https://a..example.com",
            "https://a/b.example.com",
            "https://a@b.example.com",
            "https://A.example.com",
        ] {
            assert!(!w.matches(no), "{no}");
        }
        let Ok(OriginSpec::Wildcard(p)) = parse_origin("https://*.example.com:8443") else {
            panic!("wildcard with port")
        };
        assert!(p.matches("https://a.example.com:8443"));
        assert!(!p.matches("https://a.example.com"));
    }

    #[test]
    fn label_runs() {
        assert!(is_label_run("a-b.c_d.0"));
        assert!(!is_label_run(""));
        assert!(!is_label_run("a:b"));
    }

    #[test]
    fn insecure_means_plain_http_off_loopback() {
        let insecure = |s: &str| parse_origin(s).unwrap().is_insecure();
        assert!(insecure("http://example.com"));
        assert!(insecure("http://*.example.com"));
        assert!(!insecure("http://localhost:3000"));
        assert!(!insecure("http://127.0.0.1:8080"));
        assert!(!insecure("http://[::1]:8080"));
        assert!(!insecure("https://example.com"));
    }
}
