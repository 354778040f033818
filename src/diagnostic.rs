//! Policy problems as data: a stable code, a severity, a span, a message and a fix.
//!
//! Every stage that finds a problem in the user's policy returns `Diagnostic`s; nothing here
//! prints. Rendering lives in `report`.

use std::ops::Range;

/// How bad a problem is. Errors make the policy invalid (exit 3); warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is invalid.
    Error,
    /// Valid, but probably not what was meant.
    Warning,
}

macro_rules! codes {
    ($($variant:ident => $name:literal, $severity:ident, $description:literal;)*) => {
        /// Stable diagnostic codes. The kebab-case name is part of the CLI contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $description] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name shown as `error[name]`.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity this code always has.
            #[must_use]
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line on what the code means.
            #[must_use]
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $description,)* }
            }
        }
    };
}

codes! {
    InvalidEncoding => "invalid-encoding", Error, "The file is not UTF-8 text, which TOML requires.";
    TomlSyntax => "toml-syntax", Error, "The file is not valid TOML.";
    UnknownKey => "unknown-key", Error, "A key that the policy format does not have.";
    MissingField => "missing-field", Error, "A required key is missing.";
    InvalidValue => "invalid-value", Error, "A value of the wrong type or shape.";
    UnsupportedVersion => "unsupported-version", Error, "`version` is not a policy format this corsgen reads.";
    InvalidEnvName => "invalid-env-name", Error, "An environment name that cannot be passed to `--env`.";
    MissingOrigins => "missing-origins", Error, "No allow-origins for a rule.";
    EmptyList => "empty-list", Error, "An allow-origins list with nothing in it allows nobody.";
    OriginNull => "origin-null", Error, "The `null` origin is refused: sandboxed iframes and redirects send it.";
    OriginWhitespace => "origin-whitespace", Error, "An origin with surrounding spaces never matches.";
    OriginMissingScheme => "origin-missing-scheme", Error, "An origin without `scheme://`.";
    OriginScheme => "origin-scheme", Error, "Only http and https origins can make CORS requests.";
    OriginUppercase => "origin-uppercase", Error, "Browsers send scheme and host in lowercase.";
    OriginTrailingSlash => "origin-trailing-slash", Error, "A serialized origin never ends with `/`.";
    OriginPath => "origin-path", Error, "A serialized origin has no path.";
    OriginQuery => "origin-query", Error, "A serialized origin has no query.";
    OriginFragment => "origin-fragment", Error, "A serialized origin has no fragment.";
    OriginUserinfo => "origin-userinfo", Error, "A serialized origin has no user info.";
    OriginDefaultPort => "origin-default-port", Error, "Browsers never send the scheme's default port.";
    OriginPort => "origin-port", Error, "A port that is empty, zero, too large or has leading zeros.";
    OriginNonAscii => "origin-non-ascii", Error, "Browsers send internationalized hosts in punycode.";
    OriginMalformed => "origin-malformed", Error, "The host is not a valid DNS name or IP address.";
    OriginHostForm => "origin-host-form", Error, "A host browsers rewrite or reject: IPv4 shorthand or hex, a non-canonical IPv6 form, invalid punycode.";
    WildcardMisplaced => "wildcard-misplaced", Error, "A wildcard is only allowed as the whole leftmost label: `https://*.example.com`.";
    WildcardPublicSuffix => "wildcard-public-suffix", Error, "A wildcard over a public suffix allows anyone to register a matching site.";
    AnyOriginMixed => "any-origin-mixed", Error, "`*` cannot be mixed with named origins.";
    AnyOriginWithCredentials => "any-origin-with-credentials", Error, "`*` as origin together with credentials; browsers reject it.";
    InsecureOriginWithCredentials => "insecure-origin-with-credentials", Error, "An `http://` origin receives credentialed responses over plain text.";
    DuplicateOrigin => "duplicate-origin", Error, "The same origin listed twice.";
    MethodForbidden => "method-forbidden", Error, "CONNECT, TRACE and TRACK can never be sent by a browser.";
    MethodInvalid => "method-invalid", Error, "A method must be an HTTP token.";
    MethodLowercase => "method-lowercase", Warning, "Browsers compare methods case-sensitively and send `patch` as typed.";
    MethodSafelisted => "method-safelisted", Warning, "GET, HEAD and POST are CORS-safelisted and need no listing.";
    DuplicateMethod => "duplicate-method", Error, "The same method listed twice.";
    WildcardMethodWithCredentials => "wildcard-method-with-credentials", Error, "`*` in allow-methods is a literal name for credentialed requests.";
    HeaderInvalid => "header-invalid", Error, "A header name must be an HTTP token.";
    HeaderForbidden => "header-forbidden", Error, "A forbidden request header: scripts can never set it.";
    HeaderResponseOnly => "header-response-only", Error, "A response header listed in allow-headers.";
    HeaderSafelisted => "header-safelisted", Warning, "A CORS-safelisted request header needs no listing.";
    DuplicateHeader => "duplicate-header", Error, "The same header listed twice (names are case-insensitive).";
    WildcardHeaderWithCredentials => "wildcard-header-with-credentials", Error, "`*` in allow-headers or expose-headers is a literal name for credentialed requests.";
    WildcardAuthorization => "wildcard-authorization", Warning, "`*` in allow-headers covers Authorization in today's browsers, but not in the Fetch standard; Firefox warns it will stop.";
    ExposeSetCookie => "expose-set-cookie", Error, "Set-Cookie can never be exposed to scripts.";
    ExposeSafelisted => "expose-safelisted", Warning, "A CORS-safelisted response header is always readable.";
    MaxAgeNegative => "max-age-negative", Error, "max-age must be zero or more.";
    MaxAgeTooLarge => "max-age-too-large", Error, "No browser caches a preflight for more than 86400 seconds.";
    MaxAgeAboveChromiumCap => "max-age-above-chromium-cap", Warning, "Above Chromium's 7200-second preflight cache cap (WebKit's is 600 s; only Firefox, at 86400 s, honours more).";
    RoutePathInvalid => "route-path-invalid", Error, "A route path must be an API Gateway resource path.";
    DuplicateRoute => "duplicate-route", Error, "Two routes (or two API Gateway resources) with the same path shape.";
    ResourceVariableSibling => "resource-variable-sibling", Error, "Two variable path parts (`{id}`, `{proxy+}`) under one API Gateway resource, which allows one; a default `/{proxy+}` in that place is left out instead (`resource-default-dropped`).";
    ResourceDefaultDropped => "resource-default-dropped", Warning, "The default resource `/{proxy+}` is left out because a route puts another variable path part beside it; paths only it matched get no OPTIONS method.";
    GatewayResponseUnknown => "gateway-response-unknown", Error, "Not one of the 21 API Gateway gateway-response types.";
    DuplicateGatewayResponse => "duplicate-gateway-response", Error, "The same gateway-response type listed twice.";
    GatewayResponseOriginRequired => "gateway-response-origin-required", Error, "Several origins, and no choice of what gateway responses (which cannot run a mapping template) send.";
    GatewayResponseOriginDefaulted => "gateway-response-origin-defaulted", Warning, "Gateway responses send the environment's one allow-origins origin; its extra-origins see a CORS error on gateway errors.";
    GatewayResponseReflects => "gateway-response-reflects", Warning, "Gateway responses echo any Origin, so every site can read API Gateway's error responses.";
    GatewayResponseRouteDiffers => "gateway-response-route-differs", Warning, "A route's own rule differs from `[cors]`, whose headers API Gateway's errors (gateway responses, one set per REST API) carry on that route too.";
    GatewayResponseReflectWithCredentials => "gateway-response-reflect-with-credentials", Error, "Echoing any Origin together with credentials lets every site read credentialed error responses.";
    ApigatewayOptionsMethod => "apigateway-options-method", Error, "OPTIONS in allow-methods: a REST API's OPTIONS method is the preflight's MOCK, so a script's OPTIONS request never reaches the API's own method.";
    ApigatewayUnquotable => "apigateway-unquotable", Error, "A value with `'` cannot be written as an API Gateway static mapping value.";
    ApigatewayLimit => "apigateway-limit", Error, "A REST artifact would pass an API Gateway or CloudFormation limit: a 300 KB mapping template, a 6 MB OpenAPI import, 500 resources, 200 parameters or 1 MB per template.";
    CloudformationFromS3 => "cloudformation-too-large-inline", Warning, "The CloudFormation template is over 51,200 bytes: CloudFormation takes it only from S3.";
    CloudfrontPathPrefix => "cloudfront-path-prefix", Error, "`[cloudfront] path-prefix` must be literal path segments like `/api`, as a cache behavior's path pattern starts.";
    KeyValueStoreRuntime => "key-value-store-runtime", Error, "A CloudFront KeyValueStore needs `runtime = \"cloudfront-js-2.0\"`.";
    CloudFrontFunctionTooLarge => "cloudfront-function-too-large", Error, "A CloudFront Function would exceed CloudFront's 10,240-byte limit.";
    KeyValueStoreLimit => "key-value-store-limit", Error, "The KeyValueStore data would exceed a CloudFront KeyValueStore limit.";
    S3CredentialsAlways => "s3-credentials-always", Warning, "S3 sends `Access-Control-Allow-Credentials: true` to every origin its CORS rule lists, whatever `allow-credentials` says (a declared deviation).";
    S3AuthorizationBehindCloudfront => "s3-authorization-behind-cloudfront", Error, "A bucket behind the CloudFront artifacts, and a policy that lets pages send `Authorization`, which CloudFront then forwards and S3 refuses.";
    LambdaCorsOwner => "lambda-cors-owner", Error, "`[lambda] cors-owner` disagrees with `[function-url]`: both would add the CORS headers, or neither would.";
    TargetUnfit => "target-unfit", Error, "`enabled = true` for a target that cannot express the policy (a static configuration such as HTTP API CORS, or a stack such as the Serverless Framework fragments).";
    TargetSkipped => "target-skipped", Warning, "A target whose policy writes `enabled = \"if-fits\"` cannot express the policy or passes a platform limit, so its files are not emitted (left unset, a static configuration is skipped without it; the generated README lists every skip).";
}

impl Code {
    /// The table of diagnostic codes in docs/diagnostics.md.
    #[must_use]
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | severity | meaning |\n| --- | --- | --- |\n");
        for code in Code::ALL {
            let severity = match code.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!(
                "| `{}` | {severity} | {} |\n",
                code.as_str(),
                code.description()
            ));
        }
        out
    }
}

/// One problem in a policy, located in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of problem; also fixes the severity.
    pub code: Code,
    /// Byte range in the policy text; `None` only for problems with no location.
    pub span: Option<Range<usize>>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Short text under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: String,
    /// A corrected value the user can paste, when there is one.
    pub suggestion: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    #[must_use]
    pub fn new(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            code,
            span: Some(span),
            message: message.into(),
            label: None,
            help: String::new(),
            suggestion: None,
        }
    }

    /// Adds the fix.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    /// Adds the text under the caret.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a corrected value and says "did you mean" it in the help line.
    #[must_use]
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        let suggestion = suggestion.into();
        self.help = format!("did you mean \"{suggestion}\"?");
        self.suggestion = Some(suggestion);
        self
    }

    /// Records a corrected value without replacing a help text written for the case.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// The code's severity.
    #[must_use]
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// True for errors.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::{Code, Severity};
    use std::collections::HashSet;

    #[test]
    fn code_names_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn warnings_are_the_documented_ones() {
        let warnings: Vec<_> = Code::ALL
            .iter()
            .filter(|c| c.severity() == Severity::Warning)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "method-lowercase",
                "method-safelisted",
                "header-safelisted",
                "wildcard-authorization",
                "expose-safelisted",
                "max-age-above-chromium-cap",
                "resource-default-dropped",
                "gateway-response-origin-defaulted",
                "gateway-response-reflects",
                "gateway-response-route-differs",
                "cloudformation-too-large-inline",
                "s3-credentials-always",
                "target-skipped",
            ]
        );
    }
}
