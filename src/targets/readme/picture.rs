//! The request path as the policy's artifacts configure it, as a Mermaid flowchart for the
//! generated README: which layer answers preflights, which sets which header, where errors get
//! their CORS headers.

use crate::plan::Plans;
use crate::policy::LambdaLanguage;

/// Text for a quoted Mermaid label: `"` and the characters Mermaid reads as markup become
/// entity codes, and a line break stays a `<br/>` the caller adds itself.
#[must_use]
fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A node: its id and the lines of its label.
fn node(id: &str, lines: &[String]) -> String {
    let label: Vec<String> = lines.iter().map(|l| mermaid_label(l)).collect();
    format!("  {id}[\"{}\"]", label.join("<br/>"))
}

/// The flowchart's lines, from the page to the last layer the policy's artifacts configure.
#[must_use]
pub(super) fn request_path(plans: &Plans<'_>) -> Vec<String> {
    let policy = plans.policy;
    let mut lines = vec!["flowchart LR".to_string()];
    let mut layers: Vec<&str> = Vec::new();
    lines.push(node(
        "page",
        &[
            "Browser".to_string(),
            "a page on an allowed origin".to_string(),
        ],
    ));
    if plans.emits(crate::targets::cloudfront::TARGET.name) {
        lines.push(node(
            "cloudfront",
            &[
                "CloudFront".to_string(),
                "viewer-request: answers preflights at the edge (204, or 403 for other origins)"
                    .to_string(),
                "viewer-response: Access-Control-Allow-Origin for allowed origins only, Vary: Origin"
                    .to_string(),
                if plans
                    .get::<crate::targets::cloudfront::CloudFrontPlan>(
                        crate::targets::cloudfront::TARGET.name,
                    )
                    .is_some_and(|p| p.context.cache.disabled)
                {
                    "caching disabled: Authorization, cookies and headers reach the API".to_string()
                } else {
                    "cache policy: Origin in the cache key".to_string()
                },
            ],
        ));
        layers.push("cloudfront");
    } else if plans.emits(crate::targets::cloudfront::response_headers_policy::TARGET.name) {
        lines.push(node(
            "cloudfront",
            &[
                "CloudFront".to_string(),
                "response headers policy: the CORS headers on the responses it returns".to_string(),
                "preflights: passed to the origin".to_string(),
            ],
        ));
        layers.push("cloudfront");
    }
    let http_api = plans.emits(crate::targets::apigateway::http_api::TARGET.name);
    if let Some(api) = policy
        .apigateway
        .as_ref()
        .filter(|_| plans.emits(crate::targets::apigateway::TARGET.name))
    {
        let mut label = vec![
            "API Gateway REST API".to_string(),
            "OPTIONS (MOCK integration): answers the preflights that reach it".to_string(),
        ];
        label.push(if api.gateway_responses.is_empty() {
            "its own errors (401, 403, 429, 5XX): no CORS headers".to_string()
        } else {
            format!(
                "its own errors: CORS headers from the gateway responses {}",
                api.gateway_responses.join(", ")
            )
        });
        if http_api {
            label.push("or an HTTP API: its corsConfiguration answers instead".to_string());
        }
        lines.push(node("apigateway", &label));
        layers.push("apigateway");
    } else if http_api {
        lines.push(node(
            "apigateway",
            &[
                "API Gateway HTTP API".to_string(),
                "corsConfiguration: answers preflights and adds the headers".to_string(),
            ],
        ));
        layers.push("apigateway");
    }
    if plans.emits(crate::targets::alb::TARGET.name) {
        lines.push(node(
            "alb",
            &[
                "Application Load Balancer".to_string(),
                "listener attributes: the same CORS headers on every response".to_string(),
                "a rule answers OPTIONS with 204".to_string(),
            ],
        ));
        layers.push("alb");
    }
    let function_url = plans.emits(crate::targets::function_url::TARGET.name);
    if function_url {
        lines.push(node(
            "functionurl",
            &[
                "Lambda function URL".to_string(),
                "its CORS configuration answers preflights and adds the headers".to_string(),
            ],
        ));
        layers.push("functionurl");
    }
    if plans.emits(crate::targets::lambda::TARGET.name) {
        let names: Vec<&str> = policy
            .lambda_languages
            .iter()
            .map(|l| match l {
                LambdaLanguage::Python => "Python: with_cors",
                LambdaLanguage::Node => "Node: withCors",
            })
            .collect();
        lines.push(node(
            "lambda",
            &[
                "Lambda (proxy integration)".to_string(),
                names.join(", "),
                if function_url {
                    "through the URL: removes the handler's CORS headers; through API Gateway: adds them".to_string()
                } else {
                    "CORS headers on every response, errors included".to_string()
                },
            ],
        ));
        layers.push("lambda");
    }
    let mut from = "page";
    for (i, layer) in layers.iter().enumerate() {
        let label = if i == 0 {
            "preflight, then the request"
        } else {
            "the request"
        };
        lines.push(format!("  {from} -->|{label}| {layer}"));
        from = layer;
    }
    if plans.emits(crate::targets::s3::TARGET.name) {
        lines.push(node(
            "s3",
            &[
                "S3 bucket".to_string(),
                "bucket CORS: answers preflights for the origins, methods and headers it lists (403 otherwise)".to_string(),
                "Access-Control-Allow-Credentials: true for every origin listed".to_string(),
            ],
        ));
        lines.push("  page -->|objects: preflight, then the request| s3".to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::mermaid_label;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            mermaid_label("a \"b\" <br/> #1\nc"),
            "a #quot;b#quot; #lt;br/#gt; #35;1 c"
        );
    }
}
