//! Which AWS layer most likely produced a failing answer, and the deployment change.

use crate::browser::{Blocked, CorsError, Response};
use crate::check::Leg;

fn from_api_gateway(response: &Response) -> bool {
    [
        "x-amzn-errortype",
        "x-amz-apigw-id",
        "x-amzn-requestid",
        "apigw-requestid",
    ]
    .iter()
    .any(|h| response.header(h).is_some())
}

/// For a request to one of Amazon Cognito's own endpoints (a user pool's hosted domain, the
/// identity provider API): what to do instead of a policy change, since their CORS cannot be
/// configured.
#[must_use]
pub(super) fn cognito(host: &str) -> Option<String> {
    let hosted = host.ends_with(".amazoncognito.com");
    let api = host.starts_with("cognito-idp.") || host.starts_with("cognito-identity.");
    (hosted || (api && host.ends_with(".amazonaws.com"))).then(|| {
        format!("Amazon Cognito ({host}): its endpoints set their own CORS, which no policy of yours changes. Call the user pool API (cognito-idp) through the AWS SDK or Amplify, reach the hosted sign-in pages by navigation (a redirect, not fetch), and make any other call that fails in the browser from your backend")
    })
}

/// The layer that most likely produced the failing answer, and the deployment change.
pub(super) fn likely_layer(
    blocked: &Blocked,
    preflight: Option<&Leg>,
    actual: Option<&Leg>,
    cached: bool,
) -> String {
    use CorsError as E;
    let failing = if blocked.error.is_preflight() {
        preflight
    } else {
        actual
    };
    let Some(response) = failing.map(|l| &l.response) else {
        return "unknown".to_string();
    };
    let host = failing
        .and_then(|l| crate::address::parse_http(&l.url))
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if let Some(cognito) = cognito(&host) {
        return cognito;
    }
    let function_url = host.ends_with(".on.aws") && host.contains(".lambda-url.");
    let status = response.status;
    let error_type = response.header("x-amzn-errortype").unwrap_or_default();
    match blocked.error {
        E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues if function_url => {
            "a Lambda function URL: its CORS configuration and the function both add Access-Control-Allow-Origin (Lambda sends both): keep one; corsgen's snippets leave the headers to the URL with [lambda] cors-owner = \"function-url\" (the default with [function-url] enabled)".to_string()
        }
        E::MultipleAllowOriginValues | E::PreflightMultipleAllowOriginValues => {
            "two layers both add Access-Control-Allow-Origin (for example the Lambda function and an API Gateway integration response, or the origin and a CloudFront response headers policy without origin override): keep exactly one".to_string()
        }
        E::PreflightDisallowedRedirect => format!(
            "the preflight was redirected ({status} to {}): an HTTP→HTTPS or trailing-slash redirect at CloudFront or the gateway; call the final URL directly",
            response.header("location").unwrap_or_default()
        ),
        E::PreflightMissingAllowOriginHeader | E::PreflightInvalidStatus
            if matches!(status, 401 | 403) && error_type.starts_with("MissingAuthenticationToken") =>
        {
            "API Gateway has no OPTIONS method for this resource (403 MissingAuthenticationToken): deploy the OPTIONS mock integration from apigateway/ for every resource".to_string()
        }
        E::PreflightMissingAllowOriginHeader | E::PreflightInvalidStatus
            if matches!(status, 401 | 403)
                && (from_api_gateway(response) || response.header("www-authenticate").is_some()) =>
        {
            format!("an authorizer or API-key requirement runs on OPTIONS (the preflight got {status} {error_type}); browsers never send credentials on a preflight: set authorization NONE and no API key on the OPTIONS methods (corsgen's API Gateway artifacts do)")
        }
        E::PreflightMissingAllowOriginHeader if status == 403 => {
            "the preflight was refused with 403 and no CORS headers: the origin is not in the allowlist, or an authorizer or WAF rule runs on OPTIONS".to_string()
        }
        E::PreflightMissingAllowOriginHeader => format!(
            "the preflight was answered ({status}) without CORS headers: the origin is not allowlisted, or the OPTIONS answer comes from a layer that does not add them"
        ),
        E::PreflightInvalidStatus => format!(
            "the preflight reached a handler that does not answer OPTIONS with 2xx (it got {status}): answer preflights before the handler (the OPTIONS mock, the Lambda snippet or the CloudFront viewer-request function)"
        ),
        E::MissingAllowOriginHeader if status >= 400 && from_api_gateway(response) => format!(
            "the {status} came from API Gateway itself ({}), and its gateway responses carry no CORS headers: add gateway responses (corsgen [apigateway] gateway-responses, e.g. DEFAULT_4XX and DEFAULT_5XX) and deploy them (x-amazon-apigateway-gateway-responses in apigateway/openapi.json, or the GatewayResponse resources of apigateway/cloudformation.yaml or apigateway/terraform.tf)",
            if error_type.is_empty() { "a gateway response" } else { error_type.as_str() }
        ),
        E::MissingAllowOriginHeader if status >= 400 => format!(
            "the handler's error path ({status}) returns without CORS headers: apply the Lambda snippet's headers on every return, errors included"
        ),
        E::MissingAllowOriginHeader => {
            "the response has no CORS headers: the origin is not allowlisted, or no layer adds them for this route (Lambda proxy integrations must add them themselves)".to_string()
        }
        E::AllowOriginMismatch | E::PreflightAllowOriginMismatch => {
            let vary = response.header("vary").unwrap_or_default().to_ascii_lowercase();
            if cached || !vary.contains("origin") {
                format!(
                    "a cached answer made for another origin ('{}') was served{}: add Origin to the cache key (the CloudFront cache policy in cloudfront/) and send Vary: Origin",
                    blocked.hint,
                    if cached { " (the response came from a cache)" } else { " (the response does not vary on Origin)" }
                )
            } else {
                format!("the server answers with a fixed origin ('{}') instead of the requesting one", blocked.hint)
            }
        }
        E::InvalidAllowOriginValue | E::PreflightInvalidAllowOriginValue => {
            "Access-Control-Allow-Origin is not a serialized origin (scheme://host[:port], no path): fix the value where it is configured".to_string()
        }
        E::WildcardOriginNotAllowed | E::PreflightWildcardOriginNotAllowed => {
            "the server allows any origin (`*`) but the request carries credentials: allow exact origins with allow-credentials = true, or drop credentials from the request".to_string()
        }
        E::InvalidAllowCredentials | E::PreflightInvalidAllowCredentials => {
            "the request carries credentials but the answer lacks `Access-Control-Allow-Credentials: true`: set allow-credentials = true (preflight and actual responses both need it)".to_string()
        }
        E::MethodDisallowedByPreflightResponse => format!(
            "the preflight answer does not list {} in Access-Control-Allow-Methods",
            blocked.hint
        ),
        E::HeaderDisallowedByPreflightResponse => format!(
            "the preflight answer does not list {} in Access-Control-Allow-Headers",
            blocked.hint
        ),
        E::InvalidAllowMethodsPreflightResponse | E::InvalidAllowHeadersPreflightResponse => {
            "a list header of the preflight answer has an element that is not a token (quotes, spaces, or a stray character)".to_string()
        }
        E::TooManyRedirects => {
            "the URL redirects more than 20 times (a loop between CloudFront, the gateway or the origin, for example http↔https or a trailing slash): fix the redirect, or call the final URL".to_string()
        }
        E::RedirectContainsCredentials | E::UnsafeRedirect => {
            "the response redirects to a URL the browser refuses to follow cross-origin".to_string()
        }
        E::NonLatin1Header
        | E::NonLatin1Method
        | E::UrlWithCredentials
        | E::InvalidMethod
        | E::ForbiddenMethod
        | E::InvalidHeaderName
        | E::InvalidHeaderValue => {
            "the script: its fetch() or XMLHttpRequest call throws before any request is made".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::likely_layer;
    use crate::browser::{Blocked, CorsError, Response};
    use crate::check::Leg;

    fn leg(status: u16, headers: &[(&str, &str)]) -> Leg {
        Leg {
            method: "GET".into(),
            url: "https://api.example.com/orders".into(),
            request_headers: vec![("Origin".into(), "https://app.example.com".into())],
            response: Response {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                    .collect(),
            },
        }
    }

    fn blocked(error: CorsError, hint: &str) -> Blocked {
        Blocked::new(error, hint)
    }

    #[test]
    fn the_telltale_answers_name_their_layer() {
        let acao = "Access-Control-Allow-Origin";
        let two = leg(
            200,
            &[(acao, "https://a.example"), (acao, "https://a.example")],
        );
        let layer = likely_layer(
            &blocked(
                CorsError::MultipleAllowOriginValues,
                "https://a.example, https://a.example",
            ),
            None,
            Some(&two),
            false,
        );
        assert!(
            layer.starts_with("two layers both add Access-Control-Allow-Origin"),
            "{layer}"
        );
        // Behind a function URL the two layers are the URL's configuration and the function.
        let mut url = two.clone();
        url.url = "https://abc123.lambda-url.eu-west-1.on.aws/orders".into();
        let layer = likely_layer(
            &blocked(CorsError::MultipleAllowOriginValues, "*, *"),
            None,
            Some(&url),
            false,
        );
        assert!(layer.starts_with("a Lambda function URL"), "{layer}");
        assert!(layer.contains("cors-owner"), "{layer}");
        // Cognito's endpoints are not the policy's: whatever failed, the layer says so.
        for host in [
            "my-pool.auth.eu-west-1.amazoncognito.com",
            "cognito-idp.eu-west-1.amazonaws.com",
        ] {
            let mut cognito = leg(400, &[]);
            cognito.url = format!("https://{host}/oauth2/token");
            let layer = likely_layer(
                &blocked(CorsError::MissingAllowOriginHeader, ""),
                None,
                Some(&cognito),
                false,
            );
            assert!(layer.starts_with("Amazon Cognito"), "{layer}");
        }
        assert!(super::cognito("cognito-idp.example.com").is_none());

        let no_options = leg(
            403,
            &[("x-amzn-ErrorType", "MissingAuthenticationTokenException")],
        );
        let layer = likely_layer(
            &blocked(CorsError::PreflightMissingAllowOriginHeader, ""),
            Some(&no_options),
            None,
            false,
        );
        assert!(layer.contains("no OPTIONS method"), "{layer}");

        let authorizer = leg(401, &[("x-amzn-ErrorType", "UnauthorizedException")]);
        let layer = likely_layer(
            &blocked(CorsError::MissingAllowOriginHeader, ""),
            None,
            Some(&authorizer),
            false,
        );
        assert!(
            layer.contains("gateway responses carry no CORS headers"),
            "{layer}"
        );

        let other = leg(
            200,
            &[
                (acao, "https://b.example"),
                ("X-Cache", "Hit from cloudfront"),
            ],
        );
        let layer = likely_layer(
            &blocked(CorsError::AllowOriginMismatch, "https://b.example"),
            None,
            Some(&other),
            true,
        );
        assert!(layer.contains("cache key"), "{layer}");
    }
}
