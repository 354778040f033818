//! The `[cloudfront]` table as written.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::targets::setting::{Enabled, StaticTable};

/// The CloudFront Functions runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
pub enum CloudFrontRuntime {
    /// `cloudfront-js-1.0`: ECMAScript 5.1 (`var` only); the output is plain ES5.
    #[serde(rename = "cloudfront-js-1.0")]
    Js1,
    /// `cloudfront-js-2.0`: adds `const`, `let`, `async`/`await` and KeyValueStore.
    #[serde(rename = "cloudfront-js-2.0")]
    Js2,
}

impl CloudFrontRuntime {
    /// The runtime identifier CloudFront uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CloudFrontRuntime::Js1 => "cloudfront-js-1.0",
            CloudFrontRuntime::Js2 => "cloudfront-js-2.0",
        }
    }
}

/// Where the CloudFront Functions look up exact origins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyValueStoreChoice {
    /// Always inline in the function code; a function over 10,240 bytes is an error.
    Never,
    /// Inline while both functions fit in 10,240 bytes, otherwise in a CloudFront KeyValueStore.
    IfNeeded,
    /// Always in a CloudFront KeyValueStore, so origins change without republishing.
    Always,
}

/// Whether CloudFront caches the API's responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Caching {
    /// The managed CachingDisabled cache policy and the managed AllViewerExceptHostHeader origin
    /// request policy: `Authorization`, cookies and every header reach the origin, and no cache
    /// can mix one origin's answer with another's.
    Disabled,
    /// A cache policy with `Origin` (and the preflight request headers) in the key, plus
    /// `Authorization` when allowed and cookies with credentials; the managed
    /// AllViewerExceptHostHeader origin request policy forwards the rest.
    Enabled,
}

/// `[cloudfront]`: the CloudFront artifacts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCloudFront {
    /// Emit the CloudFront artifacts (`cloudfront/`): `true`, `false` or `"if-fits"` (skip them,
    /// with a warning, when a function would pass CloudFront's size limits). Default: true.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
    /// The CloudFront Functions runtime: `cloudfront-js-1.0` (plain ES5) or
    /// `cloudfront-js-2.0`. Default: `cloudfront-js-2.0`.
    #[schemars(with = "Option<CloudFrontRuntime>")]
    pub runtime: Option<Spanned<CloudFrontRuntime>>,
    /// Where the functions keep exact origins: `never` (inline; an allowlist that pushes a
    /// function past CloudFront's 10,240-byte limit is an error), `if-needed` (inline while it
    /// fits, else a CloudFront KeyValueStore) or `always` (a KeyValueStore). A KeyValueStore
    /// needs `cloudfront-js-2.0`. Default: `never`.
    #[schemars(with = "Option<KeyValueStoreChoice>")]
    pub key_value_store: Option<Spanned<KeyValueStoreChoice>>,
    /// A CloudFront response headers policy (`cloudfront/response-headers-policy.*`), the
    /// no-code alternative to the functions, a static configuration: the table
    /// `[cloudfront.response-headers-policy]` with `enabled = true | false | "if-fits"` (`true`:
    /// emit it, and report an error if one cannot express the policy: per-route rules, methods
    /// outside GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD, no allowed header; `"if-fits"`: emit
    /// it when one can, otherwise skip it, with a warning when written, and the generated README
    /// says why), or the same value alone (`response-headers-policy = false`). Default:
    /// `"if-fits"`, or off with `enabled = false` above; written, it stands alone.
    #[schemars(with = "Option<StaticTable>")]
    pub response_headers_policy: Option<Spanned<StaticTable>>,
    /// Whether CloudFront caches the API's responses: `disabled` (the managed CachingDisabled
    /// cache policy with the AllViewerExceptHostHeader origin request policy, so
    /// `Authorization`, cookies and every header reach the origin) or `enabled` (a cache policy
    /// with `Origin` in the key, plus `Authorization` when allowed and cookies with
    /// credentials). Default: `disabled` when a rule allows credentials or `Authorization`, as
    /// an API's usually do, else `enabled`.
    #[schemars(with = "Option<Caching>")]
    pub caching: Option<Spanned<Caching>>,
    /// The prefix of the cache behavior's path pattern when the functions run behind one
    /// (`"/api"` for `/api/*`): the functions match the policy's routes on the URI without it,
    /// and a URI outside it gets no CORS headers (never `[cors]`'s). Literal segments only.
    /// The URI itself is not rewritten. Default: none (routes are matched on the whole URI).
    #[schemars(with = "Option<String>")]
    pub path_prefix: Option<Spanned<String>>,
}
