//! The `[apigateway]` table as written.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::policy::SpannedList;
use crate::targets::setting::{Enabled, StaticTable};

/// The 21 API Gateway gateway-response types (the API's `GatewayResponseType`), in API order.
pub const GATEWAY_RESPONSE_TYPES: [&str; 21] = [
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
];

/// What a gateway response (which cannot run a mapping template) sends as
/// `Access-Control-Allow-Origin` when a rule names several origins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayResponseOrigin {
    /// The first exact origin of `[cors]`, as a static value: errors are readable by that site
    /// only; the others see a CORS error instead of the status.
    First,
    /// Echo whatever `Origin` the request carries (`method.request.header.Origin`): every site
    /// can read error responses. Refused together with credentials.
    Reflect,
}

/// What the policy accepts about gateway responses on routes with their own rules (gateway
/// responses belong to the whole REST API, so they carry `[cors]` on every route).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayResponseRoutes {
    /// Every route's gateway errors carry `[cors]`'s headers, as API Gateway can only do:
    /// accepted, so the warning about each route whose own rule differs is silenced.
    ApiWide,
}

/// `[apigateway]`: the API Gateway artifacts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawApiGateway {
    /// Emit the API Gateway artifacts (`apigateway/`): `true`, `false` or `"if-fits"` (skip them,
    /// with a warning, when a method or header cannot be written in API Gateway's quoted static
    /// values). Default: true.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
    /// REST API resource paths that get an OPTIONS preflight method, e.g.
    /// `["/orders", "/orders/{id}"]`. Every route path is added. Default: `["/", "/{proxy+}"]`
    /// plus the route paths.
    #[schemars(with = "Option<Vec<String>>")]
    pub resources: Option<SpannedList>,
    /// Gateway responses that carry CORS headers, so errors from authorizers, throttling or
    /// unknown routes are readable. Any of the 21 API Gateway types. Default:
    /// `["DEFAULT_4XX", "DEFAULT_5XX"]`, which cover every type not listed.
    #[schemars(with = "Option<Vec<String>>", extend("items" = { "type": "string", "enum": GATEWAY_RESPONSE_TYPES }))]
    pub gateway_responses: Option<SpannedList>,
    /// Required when `[cors]` names several origins or a wildcard: gateway responses cannot run
    /// a mapping template, so they either send the `first` exact origin statically or `reflect`
    /// any origin (a warning; an error together with credentials).
    #[schemars(with = "Option<GatewayResponseOrigin>")]
    pub gateway_response_origin: Option<Spanned<GatewayResponseOrigin>>,
    /// `"api-wide"` accepts that gateway responses (one set per REST API) carry `[cors]`'s
    /// origin, credentials and exposed headers on routes whose own rule differs, and silences
    /// the warning that names each such route and what its errors then carry.
    #[schemars(with = "Option<GatewayResponseRoutes>")]
    pub gateway_response_routes: Option<Spanned<GatewayResponseRoutes>>,
    /// HTTP API `corsConfiguration` (`apigateway/http-api.*`), a static configuration: the
    /// table `[apigateway.http-api]` with `enabled = true | false | "if-fits"` (`true`: emit it,
    /// and report an error if HTTP API CORS cannot express the policy; `"if-fits"`: emit it when
    /// it can, otherwise skip it, with a warning when written), or the same value alone
    /// (`http-api = false`). Default: `"if-fits"`, or off with `enabled = false` above; written,
    /// it stands alone.
    #[schemars(with = "Option<StaticTable>")]
    pub http_api: Option<Spanned<StaticTable>>,
}
