//! S3 bucket CORS, a static configuration with a table of its own (`[s3]`): the bucket's
//! `CORSConfiguration` for `aws s3api put-bucket-cors` (JSON), CloudFormation
//! (`AWS::S3::Bucket` `CorsConfiguration`) and Terraform (`aws_s3_bucket_cors_configuration`).
//!
//! What S3 does with it (AWS's documentation; LocalStack's S3 enforces the same): the rules are
//! tried in order and the first whose origins, method (the preflight's requested one) and
//! requested headers all match answers; an `AllowedOrigin` holds at most one `*`, which matches
//! any characters. corsgen writes one rule, so:
//! - one configuration per bucket: routes with their own rule cannot be expressed;
//! - `AllowedMethod` is GET, PUT, POST, DELETE or HEAD, and S3 checks the actual request's
//!   method too: the rule lists GET, HEAD and POST besides the policy's methods;
//! - declared deviations from the engine ([`answer`] is S3's real answer, which `check --target
//!   s3` predicts): `Access-Control-Allow-Credentials: true` for every listed origin whatever
//!   `allow-credentials` says (a warning when it says false); a preflight S3 refuses (origin,
//!   method or a requested header not listed) gets 403 without CORS headers, where the engine
//!   answers 204 without the method or header; `Access-Control-Allow-Headers` echoes the
//!   requested headers; no `Vary` on an answer without CORS headers.
//!
//! Setting: `[s3] enabled` (default false: most APIs have no bucket to configure).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::browser::Response;
use crate::diagnostic::{Code, Diagnostic};
use crate::engine::StaticCors;
use crate::model::{AllowedOrigins, Policy};
use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{self, RenderedFile, Template, Templates};
use crate::targets::fit::{own_table, Constraint, Platform, StaticContext};
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Deviation, Kind, Scope, Setting, Target};

/// `[s3]`: S3 bucket CORS.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawS3 {
    /// Emit the bucket's CORS configuration (`s3/cors.json`, `s3/cloudformation.yaml`,
    /// `s3/bucket-cors.tf`): `true`, `false` or `"if-fits"`. One configuration covers the whole
    /// bucket, so routes with rules of their own do not fit. Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
    /// Acknowledges that S3 sends `Access-Control-Allow-Credentials: true` to every origin the
    /// rule lists, which `allow-credentials = false` does not want (silences
    /// `s3-credentials-always`). Default: false.
    #[schemars(with = "Option<bool>")]
    pub accept_credentials: Option<Spanned<bool>>,
    /// The bucket is a CloudFront origin (served through the CloudFront artifacts): S3 takes a
    /// request's `Authorization` as its own authentication and refuses a viewer's, so the
    /// policy must not let the CloudFront artifacts forward it. Default: false.
    #[schemars(with = "Option<bool>")]
    pub behind_cloudfront: Option<Spanned<bool>>,
}

/// `s3/cors.json`, serialized.
pub static JSON: Template = Template {
    path: "s3/cors.json",
    source: None,
    runtime: "",
    describe: "S3 bucket CORS: the CORSConfiguration for aws s3api put-bucket-cors",
};

/// `s3/cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "s3/cloudformation.yaml",
    source: Some(include_str!(
        "../../../templates/s3/cloudformation.yaml.hbs"
    )),
    runtime: "",
    describe: "S3 bucket CORS: AWS::S3::Bucket CorsConfiguration",
};

/// `s3/bucket-cors.tf`
pub static TERRAFORM: Template = Template {
    path: "s3/bucket-cors.tf",
    source: Some(include_str!("../../../templates/s3/bucket-cors.tf.hbs")),
    runtime: "",
    describe: "S3 bucket CORS: aws_s3_bucket_cors_configuration",
};

/// S3 bucket CORS.
pub static TARGET: Target = Target {
    name: "s3",
    what: "S3 bucket CORS",
    alternative: "a CloudFront distribution in front of the bucket with the CloudFront Functions (cloudfront/) expresses every policy",
    kind: Kind::StaticConfiguration,
    depends_on: &[],
    requires: &[],
    table: Some(("[s3]", "RawS3")),
    files: &[&JSON, &CLOUDFORMATION, &TERRAFORM],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: Some(Deviation {
        what: "S3 refuses a preflight whose origin, method or requested headers its one rule does not list with 403 and no CORS headers, echoes the requested headers, and sends Access-Control-Allow-Credentials: true to every origin it lists",
        answer: target_answer,
    }),
};

/// What S3 bucket CORS cannot express.
pub static PLATFORM: Platform = Platform {
    target: &TARGET,
    constraints: &[
        Constraint::OneRule {
            scope: "for the whole bucket",
        },
        Constraint::Methods(&["GET", "PUT", "POST", "DELETE", "HEAD"]),
    ],
    methods_if_none: &[],
    setting,
    methods_added: &["GET", "HEAD", "POST"],
    description,
    names: crate::targets::fit::no_names,
    fits_checks: Some(fits_checks),
};

fn description(policy: &Policy) -> String {
    format!("S3 bucket CORS for policy {}", policy.name)
}

fn setting(raw: &RawPolicy) -> Option<Setting> {
    own_table(raw.s3.as_ref().and_then(|t| t.enabled.as_ref()))
}

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    PLATFORM.checks(raw)
}

/// What S3 would do with a policy it expresses: send credentials to every listed origin, and
/// refuse a viewer's Authorization behind the CloudFront artifacts.
fn fits_checks(raw: &RawPolicy, scope: &Scope<'_>, push: &mut dyn FnMut(Diagnostic)) {
    let default = scope.default;
    let in_env = scope.env.map(|e| format!("env {e}: ")).unwrap_or_default();
    let s3 = raw.s3.as_ref();
    let accepted = s3
        .and_then(|t| t.accept_credentials.as_ref())
        .is_some_and(|a| *a.get_ref());
    if matches!(default.rule.origins, AllowedOrigins::List(_))
        && !default.rule.credentials
        && !accepted
    {
        push(
            Diagnostic::new(
                Code::S3CredentialsAlways,
                default.span.clone(),
                format!("{in_env}S3 sends Access-Control-Allow-Credentials: true to every origin its CORS rule lists, and [cors] has allow-credentials = false"),
            )
            .label("S3 lets these origins read credentialed responses")
            .help("S3 has no setting to leave it out: a page on these origins that fetches with credentials: 'include' can read the bucket's answers, which is harmless for a bucket that does not use cookies. Set accept-credentials = true in [s3] to acknowledge it; `corsgen check --target s3` shows S3's real answer"),
        );
    }
    let Some(behind) = s3.and_then(|t| t.behind_cloudfront.as_ref()) else {
        return;
    };
    let cloudfront = raw.cloudfront.as_ref().is_none_or(|c| {
        c.get_ref()
            .enabled
            .as_ref()
            .is_none_or(|e| *e.get_ref() != Enabled::No)
    });
    let authorization = std::iter::once(default).chain(scope.routes).any(|site| {
        site.rule
            .headers
            .iter()
            .any(|h| h == "*" || h.eq_ignore_ascii_case("authorization"))
    });
    if *behind.get_ref() && cloudfront && authorization {
        push(
            Diagnostic::new(
                Code::S3AuthorizationBehindCloudfront,
                behind.span(),
                format!("{in_env}the bucket is a CloudFront origin, and allow-headers lets pages send Authorization, which the CloudFront artifacts then forward to the origin (caching off, all viewer headers)"),
            )
            .label("S3 answers a viewer's Authorization with an error")
            .help("S3 takes Authorization as its own request signature: leave Authorization out of allow-headers for an S3 origin (sign with an origin access control instead), or serve the API that needs it from another origin"),
        );
    }
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    PLATFORM.plan(plans);
    Ok(())
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    if let Some(context) = plans.get::<StaticContext>(TARGET.name) {
        out.push(render::serialized(&JSON, configuration_json(context))?);
    }
    PLATFORM.render_with(
        plans,
        templates,
        &[&CLOUDFORMATION, &TERRAFORM],
        out,
        |context, data| {
            data["rule_id"] = rule_id(context).into();
            Ok(())
        },
    )
}

/// The most characters of a CORS rule's `ID`.
const ID_LIMIT: usize = 255;

/// The rule's `ID`: the generated-file header (a JSON document for the CLI can carry nothing
/// else), cut to S3's 255 characters.
#[must_use]
pub fn rule_id(context: &StaticContext) -> String {
    let id = context.header.lines[..2.min(context.header.lines.len())].join(" ");
    id.chars().take(ID_LIMIT).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Configuration<'a> {
    #[serde(rename = "CORSRules")]
    cors_rules: [Rule<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Rule<'a> {
    #[serde(rename = "ID")]
    id: String,
    allowed_origins: &'a [String],
    allowed_methods: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    allowed_headers: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    expose_headers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age_seconds: Option<u32>,
}

fn configuration_json(context: &StaticContext) -> serde_json::Result<String> {
    let cors = &context.cors;
    let text = serde_json::to_string_pretty(&Configuration {
        cors_rules: [Rule {
            id: rule_id(context),
            allowed_origins: &cors.allow_origins,
            allowed_methods: &cors.allow_methods,
            allowed_headers: &cors.allow_headers,
            expose_headers: &cors.expose_headers,
            max_age_seconds: cors.max_age,
        }],
    })?;
    Ok(text + "\n")
}

/// True when `origin` matches S3's `AllowedOrigin` `pattern`: equal, or with its one `*`
/// standing for one or more characters of any kind.
#[must_use]
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == origin,
        Some((prefix, suffix)) => {
            origin.len() > prefix.len() + suffix.len()
                && origin.starts_with(prefix)
                && origin.ends_with(suffix)
        }
    }
}

/// S3's answer to one request under `cors` (the bucket's one rule): its status (`None`: the
/// object's own, for a request that is not a preflight) and headers. `request_headers` are
/// the request's, any case.
#[must_use]
pub fn answer(
    cors: &StaticCors,
    method: &str,
    request_headers: &[(String, String)],
) -> (Option<u16>, Vec<(String, String)>) {
    let header = |name: &str| {
        request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let options = method == "OPTIONS";
    let Some(origin) = header("origin") else {
        // "Insufficient information. Origin request header needed."
        return (options.then_some(400), Vec::new());
    };
    let asked = header("access-control-request-method").unwrap_or(method);
    let any = cors.allow_origins.iter().any(|o| o == "*");
    let origin_ok = any || cors.allow_origins.iter().any(|p| origin_matches(p, origin));
    let requested: Vec<String> = header("access-control-request-headers")
        .map(|v| {
            v.to_ascii_lowercase()
                .split(',')
                .map(|h| h.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    let headers_ok = requested.is_empty()
        || (!cors.allow_headers.is_empty()
            && (cors.allow_headers.iter().any(|h| h == "*")
                || requested
                    .iter()
                    .all(|r| cors.allow_headers.iter().any(|h| h.eq_ignore_ascii_case(r)))));
    let matched = origin_ok && cors.allow_methods.iter().any(|m| m == asked) && headers_ok;
    if !matched {
        return (options.then_some(403), Vec::new());
    }
    let mut out = vec![(
        "Access-Control-Allow-Origin".to_string(),
        if any {
            "*".to_string()
        } else {
            origin.to_string()
        },
    )];
    if !any {
        out.push((
            "Access-Control-Allow-Credentials".to_string(),
            "true".to_string(),
        ));
    }
    out.push((
        "Vary".to_string(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_string(),
    ));
    out.push((
        "Access-Control-Allow-Methods".to_string(),
        cors.allow_methods.join(", "),
    ));
    if !requested.is_empty() {
        out.push((
            "Access-Control-Allow-Headers".to_string(),
            requested.join(", "),
        ));
    }
    if !cors.expose_headers.is_empty() {
        out.push((
            "Access-Control-Expose-Headers".to_string(),
            cors.expose_headers.join(", "),
        ));
    }
    if let Some(seconds) = cors.max_age.filter(|s| *s > 0) {
        out.push(("Access-Control-Max-Age".to_string(), seconds.to_string()));
    }
    (options.then_some(200), out)
}

/// S3's answer under `policy` (which emits bucket CORS): a request that is not a preflight
/// gets the object's 200.
fn target_answer(policy: &Policy, method: &str, headers: &[(String, String)]) -> Response {
    let (status, headers) = answer(&PLATFORM.values(policy), method, headers);
    Response {
        status: status.unwrap_or(200),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::{answer, origin_matches};
    use crate::engine::StaticCors;

    fn cors(origins: &[&str]) -> StaticCors {
        StaticCors {
            allow_origins: origins.iter().map(|o| (*o).to_string()).collect(),
            allow_credentials: false,
            allow_methods: ["GET", "HEAD", "POST", "PUT"].map(String::from).to_vec(),
            allow_headers: vec!["Content-Type".into()],
            expose_headers: vec!["ETag".into()],
            max_age: Some(600),
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn origins_match_as_s3_matches_them() {
        assert!(origin_matches("https://a.example", "https://a.example"));
        assert!(!origin_matches(
            "https://a.example",
            "https://a.example.evil"
        ));
        assert!(origin_matches(
            "https://*.example.com",
            "https://a.example.com"
        ));
        assert!(origin_matches(
            "https://*.example.com",
            "https://a.b.example.com"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://example.com"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://evilexample.com"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://a.example.com:8443"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "http://a.example.com"
        ));
    }

    #[test]
    fn answers_as_s3_does() {
        let c = cors(&["https://a.example"]);
        let ok = headers(&[
            ("Origin", "https://a.example"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "Content-Type"),
        ]);
        let (status, got) = answer(&c, "OPTIONS", &ok);
        assert_eq!(status, Some(200));
        assert_eq!(
            got,
            headers(&[
                ("Access-Control-Allow-Origin", "https://a.example"),
                ("Access-Control-Allow-Credentials", "true"),
                (
                    "Vary",
                    "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
                ),
                ("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT"),
                ("Access-Control-Allow-Headers", "content-type"),
                ("Access-Control-Expose-Headers", "ETag"),
                ("Access-Control-Max-Age", "600"),
            ])
        );
        // A method, a header or an origin the rule does not list: 403, nothing else.
        for refused in [
            headers(&[
                ("Origin", "https://a.example"),
                ("Access-Control-Request-Method", "DELETE"),
            ]),
            headers(&[
                ("Origin", "https://a.example"),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", "x-other"),
            ]),
            headers(&[
                ("Origin", "https://b.example"),
                ("Access-Control-Request-Method", "GET"),
            ]),
        ] {
            assert_eq!(answer(&c, "OPTIONS", &refused), (Some(403), Vec::new()));
        }
        assert_eq!(answer(&c, "OPTIONS", &[]), (Some(400), Vec::new()));
        assert_eq!(answer(&c, "GET", &[]), (None, Vec::new()));
        let (status, got) = answer(&c, "GET", &headers(&[("origin", "https://a.example")]));
        assert_eq!(status, None);
        assert_eq!(got[0].1, "https://a.example");
        let (_, any) = answer(
            &cors(&["*"]),
            "GET",
            &headers(&[("Origin", "https://z.example")]),
        );
        assert_eq!(any[0].1, "*");
        assert!(any
            .iter()
            .all(|(n, _)| n != "Access-Control-Allow-Credentials"));
    }
}
