//! Application Load Balancer response headers, a static configuration with a table of its own
//! (`[alb]`): the listener attributes that set CORS response headers
//! (`routing.http.response.access_control_*.header_value`), and a listener rule that answers
//! OPTIONS with 204, as CloudFormation, a Terraform module and an AWS CLI script.
//!
//! What an ALB can express (ELBv2 `ListenerAttribute`, "HTTP header modification"): static
//! values, the same on every response of the listener, whatever the request's `Origin`; it does
//! not answer preflights itself. So only an any-origin rule without credentials (`["*"]`), the
//! one case where a static answer is the engine's, fits; header values take letters, digits and
//! `_ :;.,\/'?!(){}[]@<>=-+*#&`|~^%` only, at most 1 KB each. Every other policy needs the
//! Lambda snippets (or the target) to answer.
//!
//! Declared deviation ([`TARGET`]'s `answer`): the headers go on every response (preflight or
//! not, with or without `Origin`, Allow-Methods/-Headers/Max-Age included), with no `Vary`; the
//! listener rule answers every OPTIONS with 204. For `*` without credentials the browser judges
//! it as the engine's answer.
//!
//! Setting: `[alb] enabled` (default false).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::browser::Response;
use crate::engine::StaticCors;
use crate::model::Policy;
use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::fit::{own_table, Constraint, Platform};
use crate::targets::setting::Enabled;
use crate::targets::{Checks, Deviation, Kind, Setting, Target};

/// `[alb]`: Application Load Balancer response headers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAlb {
    /// Emit the listener's CORS response headers and an OPTIONS rule (`alb/`): `true`, `false`
    /// or `"if-fits"`. An ALB sends static headers to every origin, so only `allow-origins =
    /// ["*"]` without credentials fits. Default: false.
    #[schemars(with = "Option<Enabled>")]
    pub enabled: Option<Spanned<Enabled>>,
}

/// `alb/cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "alb/cloudformation.yaml",
    source: Some(include_str!(
        "../../../templates/alb/cloudformation.yaml.hbs"
    )),
    runtime: "",
    describe: "ALB: a listener with the CORS response-header attributes, and an OPTIONS rule",
};

/// `alb/listener.tf`
pub static TERRAFORM: Template = Template {
    path: "alb/listener.tf",
    source: Some(include_str!("../../../templates/alb/listener.tf.hbs")),
    runtime: "",
    describe: "ALB: aws_lb_listener with the CORS response-header arguments, and an OPTIONS rule",
};

/// `alb/configure.sh`
pub static SCRIPT: Template = Template {
    path: "alb/configure.sh",
    source: Some(include_str!("../../../templates/alb/configure.sh.hbs")),
    runtime: "",
    describe:
        "ALB: sets an existing listener's CORS attributes (and the OPTIONS rule) with the AWS CLI",
};

/// ALB response headers.
pub static TARGET: Target = Target {
    name: "alb",
    what: "an ALB listener",
    alternative: "the Lambda snippets (lambda/), or the targets themselves, answer preflights and add the headers for an allowlist",
    kind: Kind::StaticConfiguration,
    depends_on: &[],
    requires: &[],
    table: Some(("[alb]", "RawAlb")),
    files: &[&CLOUDFORMATION, &TERRAFORM, &SCRIPT],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: Some(Deviation {
        what: "an ALB sends its static CORS headers on every response (with or without Origin, Allow-Methods, Allow-Headers and Max-Age included) and no Vary, and corsgen's listener rule answers every OPTIONS with 204",
        answer: target_answer,
    }),
};

/// The characters besides letters and digits an ALB header value may hold.
pub const VALUE_PUNCTUATION: &str = "_ :;.,\\/'?!(){}[]@<>=-+*#&`|~^%";

/// What ALB listener attributes cannot express.
pub static PLATFORM: Platform = Platform {
    target: &TARGET,
    constraints: &[
        Constraint::AnyOriginOnly,
        Constraint::OneRule {
            scope: "for all its paths",
        },
        Constraint::ValueText {
            bytes: 1024,
            allowed: VALUE_PUNCTUATION,
        },
    ],
    methods_if_none: &[],
    setting,
    methods_added: &[],
    description,
    names: crate::targets::fit::no_names,
    fits_checks: None,
};

fn description(policy: &Policy) -> String {
    format!(
        "ALB listener with the CORS response headers of policy {}",
        policy.name
    )
}

fn setting(raw: &RawPolicy) -> Option<Setting> {
    own_table(raw.alb.as_ref().and_then(|t| t.enabled.as_ref()))
}

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    PLATFORM.checks(raw)
}

fn plan(plans: &mut Plans<'_>, _: &mut Templates) -> anyhow::Result<()> {
    PLATFORM.plan(plans);
    Ok(())
}

/// One listener attribute: its key, its Terraform argument and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// The ELBv2 key, e.g. `routing.http.response.access_control_allow_origin.header_value`.
    pub key: String,
    /// The `aws_lb_listener` argument of the same name.
    pub argument: String,
    /// The header it sets.
    pub header: &'static str,
    /// The value.
    pub value: String,
}

/// The listener attributes of a configuration that fits (`*`, no credentials): all six CORS
/// ones, so applying them also clears what an earlier policy set; an empty value is the ALB's
/// default (the header is not sent).
#[must_use]
pub fn attributes(cors: &StaticCors) -> Vec<Attribute> {
    let max_age = cors.max_age.map(|s| s.to_string()).unwrap_or_default();
    let headers = [
        ("allow_origin", crate::engine::ACAO, "*".to_string()),
        (
            "allow_methods",
            crate::engine::ACAM,
            cors.allow_methods.join(","),
        ),
        (
            "allow_headers",
            crate::engine::ACAH,
            cors.allow_headers.join(","),
        ),
        // `*` never goes with credentials.
        ("allow_credentials", crate::engine::ACAC, String::new()),
        (
            "expose_headers",
            crate::engine::ACEH,
            cors.expose_headers.join(","),
        ),
        ("max_age", crate::engine::ACMA, max_age),
    ];
    headers
        .into_iter()
        .map(|(name, header, value)| Attribute {
            key: format!("routing.http.response.access_control_{name}.header_value"),
            argument: format!("routing_http_response_access_control_{name}_header_value"),
            header,
            value,
        })
        .collect()
}

fn render(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let files = [&CLOUDFORMATION, &TERRAFORM, &SCRIPT];
    PLATFORM.render_with(plans, templates, &files, out, |context, data| {
        let attributes = attributes(&context.cors);
        let cli: Vec<serde_json::Value> = attributes
            .iter()
            .map(|a| serde_json::json!({"Key": a.key, "Value": a.value}))
            .collect();
        data["attributes_json"] = serde_json::to_string(&cli)?.into();
        // `terraform fmt` aligns the `=` of consecutive arguments.
        let width = attributes.iter().map(|a| a.argument.len()).max();
        let mut listed = serde_json::to_value(&attributes)?;
        for (value, attribute) in listed.as_array_mut().into_iter().flatten().zip(&attributes) {
            let pad = width.unwrap_or(0) - attribute.argument.len();
            value["pad"] = " ".repeat(pad).into();
        }
        data["attributes"] = listed;
        Ok(())
    })
}

/// The ALB's answer under `policy` (which emits its headers): every response carries the
/// attributes' headers; an OPTIONS request gets the listener rule's 204, any other the target's
/// 200.
fn target_answer(policy: &Policy, method: &str, _: &[(String, String)]) -> Response {
    let headers = attributes(&PLATFORM.values(policy))
        .into_iter()
        .filter(|a| !a.value.is_empty())
        .map(|a| (a.header.to_string(), a.value))
        .collect();
    Response {
        status: if method == "OPTIONS" { 204 } else { 200 },
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::attributes;
    use crate::engine::StaticCors;

    #[test]
    fn attributes_set_all_six_headers_empty_ones_to_the_default() {
        let cors = StaticCors {
            allow_origins: vec!["*".into()],
            allow_credentials: false,
            allow_methods: vec!["PUT".into(), "DELETE".into()],
            allow_headers: Vec::new(),
            expose_headers: vec!["ETag".into()],
            max_age: Some(0),
        };
        let got: Vec<(String, String)> = attributes(&cors)
            .into_iter()
            .map(|a| (a.argument, a.value))
            .collect();
        let want = [
            ("allow_origin", "*"),
            ("allow_methods", "PUT,DELETE"),
            ("allow_headers", ""),
            ("allow_credentials", ""),
            ("expose_headers", "ETag"),
            ("max_age", "0"),
        ]
        .map(|(name, value)| {
            (
                format!("routing_http_response_access_control_{name}_header_value"),
                value.to_string(),
            )
        });
        assert_eq!(got, want);
    }
}
