//! PARSE: policy text → [`RawPolicy`], the file format exactly as written, with spans.
//!
//! Input: a [`PolicySource`]. Output: the raw policy, or every syntax error and every unknown key
//! found in one pass (each with a "did you mean"). Defaults are *not* applied here; `validate`
//! does that once. Raw types use `deny_unknown_fields` and never `#[serde(flatten)]`.

mod shape;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::PolicySource;

/// A list of strings where each item keeps its own location.
pub type SpannedList = Spanned<Vec<Spanned<String>>>;

macro_rules! rule_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Origins allowed to read responses: serialized origins exactly as a browser sends
            /// them (`https://app.example.com`, `http://localhost:3000`), leftmost-label wildcards
            /// (`https://*.example.com`: one or more labels below example.com, never example.com
            /// itself), or `["*"]` for any origin without credentials.
            #[schemars(with = "Option<Vec<String>>")]
            pub allow_origins: Option<SpannedList>,
            /// Whether responses may be shared with credentialed requests (cookies, an
            /// Authorization header sent with `credentials: 'include'`). Default: false.
            #[schemars(with = "Option<bool>")]
            pub allow_credentials: Option<Spanned<bool>>,
            /// Methods allowed for preflighted requests, sent as `Access-Control-Allow-Methods`.
            /// Case-sensitive, as browsers compare them. GET, HEAD and POST are always allowed.
            /// Default: none beyond those.
            #[schemars(with = "Option<Vec<String>>")]
            pub allow_methods: Option<SpannedList>,
            /// Request headers scripts may send, as `Access-Control-Allow-Headers`
            /// (case-insensitive). Default: none.
            #[schemars(with = "Option<Vec<String>>")]
            pub allow_headers: Option<SpannedList>,
            /// Response headers scripts may read, as `Access-Control-Expose-Headers`. Default: none.
            #[schemars(with = "Option<Vec<String>>")]
            pub expose_headers: Option<SpannedList>,
            /// Seconds a browser may cache the preflight answer (`Access-Control-Max-Age`),
            /// 0 to 86400. Default: not sent (browsers then cache for 5 seconds).
            #[schemars(with = "Option<i64>", range(min = 0, max = 86400))]
            pub max_age: Option<Spanned<i64>>,
            /// Allow plain `http://` origins other than localhost together with credentials.
            /// Default: false, because such a site's traffic can be read and altered in transit.
            #[schemars(with = "Option<bool>")]
            pub allow_insecure_origins: Option<Spanned<bool>>,
        }

        impl $name {
            /// A view of the CORS fields shared by `[cors]`, `[env.*]` and `[[route]]`.
            #[must_use]
            pub fn rule(&self) -> RuleFields<'_> {
                RuleFields {
                    allow_origins: self.allow_origins.as_ref(),
                    allow_credentials: self.allow_credentials.as_ref(),
                    allow_methods: self.allow_methods.as_ref(),
                    allow_headers: self.allow_headers.as_ref(),
                    expose_headers: self.expose_headers.as_ref(),
                    max_age: self.max_age.as_ref(),
                    allow_insecure_origins: self.allow_insecure_origins.as_ref(),
                }
            }
        }
    };
}

rule_struct! {
    /// `[cors]`: the rule every route starts from.
    pub struct RawCors {}
}

rule_struct! {
    /// `[env.NAME]`: an overlay selected with `--env NAME`. Every field overrides the same field
    /// of `[cors]`; a route keeps the fields it sets itself. `extra-origins` reaches every
    /// allowlist, routes included.
    pub struct RawEnv {
        /// Origins added to every allowlist in this environment (routes that allow any origin
        /// are left as they are), e.g. `["http://localhost:3000"]`.
        #[schemars(with = "Option<Vec<String>>")]
        pub extra_origins: Option<SpannedList>,
    }
}

rule_struct! {
    /// `[[route]]`: a rule for one API Gateway resource path. The most specific matching route
    /// wins; fields not given come from `[cors]` (and the selected environment).
    pub struct RawRoute {
        /// API Gateway resource path: literal segments, `{param}` for one segment, and a final
        /// `{proxy+}` for one or more segments, e.g. `/orders/{id}` or `/public/{proxy+}`.
        #[schemars(with = "String")]
        pub path: Spanned<String>,
    }
}

/// The CORS fields of any rule-bearing table, borrowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleFields<'a> {
    /// See the field of the same name.
    pub allow_origins: Option<&'a SpannedList>,
    /// See the field of the same name.
    pub allow_credentials: Option<&'a Spanned<bool>>,
    /// See the field of the same name.
    pub allow_methods: Option<&'a SpannedList>,
    /// See the field of the same name.
    pub allow_headers: Option<&'a SpannedList>,
    /// See the field of the same name.
    pub expose_headers: Option<&'a SpannedList>,
    /// See the field of the same name.
    pub max_age: Option<&'a Spanned<i64>>,
    /// See the field of the same name.
    pub allow_insecure_origins: Option<&'a Spanned<bool>>,
}

impl<'a> RuleFields<'a> {
    /// `self` with every field that `over` sets replaced.
    #[must_use]
    pub fn overlay(self, over: RuleFields<'a>) -> RuleFields<'a> {
        RuleFields {
            allow_origins: over.allow_origins.or(self.allow_origins),
            allow_credentials: over.allow_credentials.or(self.allow_credentials),
            allow_methods: over.allow_methods.or(self.allow_methods),
            allow_headers: over.allow_headers.or(self.allow_headers),
            expose_headers: over.expose_headers.or(self.expose_headers),
            max_age: over.max_age.or(self.max_age),
            allow_insecure_origins: over.allow_insecure_origins.or(self.allow_insecure_origins),
        }
    }
}

pub use crate::targets::alb::RawAlb;
pub use crate::targets::apigateway::table::{
    GatewayResponseOrigin, RawApiGateway, GATEWAY_RESPONSE_TYPES,
};
pub use crate::targets::cdk::RawCdk;
pub use crate::targets::cloudfront::table::{
    Caching, CloudFrontRuntime, KeyValueStoreChoice, RawCloudFront,
};
pub use crate::targets::function_url::RawFunctionUrl;
pub use crate::targets::lambda::{LambdaLanguage, RawLambda};
pub use crate::targets::s3::RawS3;
pub use crate::targets::sam::RawSam;
pub use crate::targets::serverless::RawServerless;

/// A corsgen CORS policy file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "corsgen policy")]
pub struct RawPolicy {
    /// Policy format version. Always `1`.
    #[schemars(with = "i64", extend("const" = 1))]
    pub version: Spanned<i64>,
    /// A name for the policy, shown in generated files: printable text on one line. Default:
    /// the file name without `.toml`.
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The CORS rule for every route, unless an environment or a route overrides a field.
    #[schemars(with = "RawCors")]
    pub cors: Spanned<RawCors>,
    /// Environment overlays, selected with `--env NAME`. Names: letters, digits, `-`, `_`.
    #[serde(default)]
    #[schemars(
        with = "BTreeMap<String, RawEnv>",
        extend("propertyNames" = { "pattern": "^[A-Za-z0-9_-]+$" })
    )]
    pub env: BTreeMap<Spanned<String>, RawEnv>,
    /// Per-route rules, most specific path wins.
    #[serde(default)]
    pub route: Vec<RawRoute>,
    /// Lambda snippet options.
    pub lambda: Option<RawLambda>,
    /// API Gateway options.
    #[schemars(with = "Option<RawApiGateway>")]
    pub apigateway: Option<Spanned<RawApiGateway>>,
    /// CloudFront options.
    #[schemars(with = "Option<RawCloudFront>")]
    pub cloudfront: Option<Spanned<RawCloudFront>>,
    /// S3 bucket CORS options.
    pub s3: Option<RawS3>,
    /// Lambda function URL CORS options.
    pub function_url: Option<RawFunctionUrl>,
    /// Application Load Balancer response-header options.
    pub alb: Option<RawAlb>,
    /// AWS CDK module options.
    pub cdk: Option<RawCdk>,
    /// AWS SAM fragment options.
    pub sam: Option<RawSam>,
    /// Serverless Framework fragment options.
    pub serverless: Option<RawServerless>,
}

/// Parses policy text. Returns the first syntax error (what the parser reports after it is
/// mostly that error again), or else every problem of shape (unknown keys, values of the wrong
/// type, missing keys) found in one pass, in file order.
///
/// # Errors
/// The diagnostics that make the file unreadable as a policy.
pub fn parse(source: &PolicySource) -> Result<RawPolicy, Vec<Diagnostic>> {
    let (tree, errors) = toml::de::DeTable::parse_recoverable(&source.text);
    // After the first syntax error the parser's recovery guesses; what it reports next is
    // mostly the first error seen again. The first one is the one to fix.
    if let Some(first) = errors
        .iter()
        .min_by_key(|e| e.span().map_or(0, |s| s.start))
    {
        return Err(vec![syntax_error(first, &source.text)]);
    }
    let problems = shape::check(&tree);
    if !problems.is_empty() {
        return Err(problems);
    }
    // The shape check mirrors serde's rules; this is the backstop should they ever differ.
    toml::from_str::<RawPolicy>(&source.text).map_err(|e| vec![type_error(&e)])
}

/// Where a TOML error is and the first line of what it says.
fn located(error: &toml::de::Error) -> (std::ops::Range<usize>, String) {
    let first_line = error.message().trim().lines().next().unwrap_or("");
    (error.span().unwrap_or(0..0), first_line.to_string())
}

fn syntax_error(error: &toml::de::Error, text: &str) -> Diagnostic {
    let (span, message) = located(error);
    if message == "duplicate key" {
        if let Some(diagnostic) = duplicate_key(span.clone(), text) {
            return diagnostic;
        }
    }
    Diagnostic::new(Code::TomlSyntax, span, message).help(
        "fix the TOML syntax here, then run again (what follows is checked once this parses); see https://toml.io/en/v1.0.0",
    )
}

/// A key set twice, with the line that set it first.
fn duplicate_key(span: std::ops::Range<usize>, text: &str) -> Option<Diagnostic> {
    let key = text.get(span.clone())?.trim_matches('"');
    let before = &text[..span.start];
    // The nearest earlier assignment: a duplicate is in the same table.
    let first = before
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .last();
    let earlier = first.map_or_else(String::new, |(n, _)| {
        format!(" (line {} sets it first)", n + 1)
    });
    let help = match key {
        "http-api" | "response-headers-policy" => format!(
            "`{key} = …` and a `[….{key}]` table are two spellings of one setting: keep one{earlier}"
        ),
        _ => format!("keep one of the two{earlier}"),
    };
    Some(
        Diagnostic::new(
            Code::TomlSyntax,
            span,
            format!("`{key}` is set twice in the same table"),
        )
        .label("set again here")
        .help(help),
    )
}

fn type_error(error: &toml::de::Error) -> Diagnostic {
    let (span, message) = located(error);
    Diagnostic::new(Code::InvalidValue, span, without_rust_types(&message))
        .help("use the type the policy reference gives for this field (`corsgen schema`)")
}

/// serde's wording with Rust's type names replaced by the policy's words.
fn without_rust_types(message: &str) -> String {
    let mut text = message.to_string();
    for (rust, ours) in [
        (" as i128", ""),
        ("i64", "an integer"),
        ("u64", "an integer"),
        ("a sequence", "a list"),
        ("a map", "a table"),
        ("floating point", "decimal number"),
        ("a boolean", "true or false"),
    ] {
        text = text.replace(rust, ours);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::diagnostic::Code;
    use crate::source::PolicySource;

    fn codes(text: &str) -> Vec<(Code, String, String)> {
        let src = PolicySource::new("p.toml", text);
        match parse(&src) {
            Ok(_) => vec![],
            Err(diags) => diags
                .into_iter()
                .map(|d| (d.code, d.message, d.help))
                .collect(),
        }
    }

    #[test]
    fn parses_a_full_policy() {
        let src = PolicySource::new(
            "p.toml",
            r#"version = 1
name = "x"
[cors]
allow-origins = ["https://a.example"]
allow-credentials = true
max-age = 600
[env.dev]
extra-origins = ["http://localhost:3000"]
[[route]]
path = "/public/{proxy+}"
allow-origins = ["*"]
[lambda]
languages = ["node"]
"#,
        );
        let raw = parse(&src).unwrap();
        assert_eq!(raw.route.len(), 1);
        assert_eq!(raw.env.len(), 1);
        assert_eq!(*raw.cors.get_ref().max_age.as_ref().unwrap().get_ref(), 600);
    }

    #[test]
    fn reports_every_unknown_key_with_a_suggestion() {
        let found = codes(
            "version = 1\n[cors]\nallow-origin = [\"https://a.example\"]\n[[route]]\npath = \"/x\"\nallow-header = []\n[env.dev]\nextra-origin = []\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().all(|(c, _, _)| *c == Code::UnknownKey));
        assert!(found[0].2.contains("allow-origins"), "{found:?}");
        assert!(found[1].2.contains("allow-headers"), "{found:?}");
        assert!(found[1].1.contains("[[route]]"), "{found:?}");
        assert!(found[2].2.contains("extra-origins"), "{found:?}");
    }

    #[test]
    fn reports_syntax_errors() {
        let found = codes("version = 1\n[cors\n");
        assert_eq!(found[0].0, Code::TomlSyntax);
    }

    #[test]
    fn reports_type_errors() {
        let found = codes("version = 1\n[cors]\nmax-age = \"600\"\n");
        assert_eq!(found[0].0, Code::InvalidValue, "{found:?}");
    }
}
