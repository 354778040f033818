//! A CloudFront response headers policy with the policy's CORS configuration, the no-code
//! alternative to the functions: a static configuration, emitted where one can express the
//! policy, as CloudFormation and Terraform.
//!
//! Setting: `[cloudfront.response-headers-policy] enabled`, or `response-headers-policy = …` in
//! `[cloudfront]`.

use toml::Spanned;

use crate::plan::Plans;
use crate::policy::RawPolicy;
use crate::render::{RenderedFile, Template, Templates};
use crate::targets::fit::{family_member, Constraint, Platform};
use crate::targets::setting::{family_setting, Enabled};
use crate::targets::{Checks, Kind, Setting, Target};

/// `cloudfront/response-headers-policy.cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "cloudfront/response-headers-policy.cloudformation.yaml",
    source: Some(include_str!(
        "../../../templates/cloudfront/response-headers-policy.cloudformation.yaml.hbs"
    )),
    runtime: "",
    describe:
        "CloudFront response headers policy (CORS), as CloudFormation: the no-code alternative",
};

/// `cloudfront/response-headers-policy.tf`
pub static TERRAFORM: Template = Template {
    path: "cloudfront/response-headers-policy.tf",
    source: Some(include_str!(
        "../../../templates/cloudfront/response-headers-policy.tf.hbs"
    )),
    runtime: "",
    describe: "CloudFront response headers policy (CORS), as Terraform",
};

/// The response headers policy.
pub static TARGET: Target = Target {
    name: "response-headers-policy",
    what: "a CloudFront response headers policy",
    alternative: "the CloudFront Functions (cloudfront/viewer-*.js) express every policy",
    kind: Kind::StaticConfiguration,
    depends_on: &[],
    requires: &[],
    table: Some(("[cloudfront.response-headers-policy]", "StaticTable")),
    files: &[&CLOUDFORMATION, &TERRAFORM],
    embedded: &[],
    checks,
    plan,
    limits: None,
    render,
    answer: None,
};

/// What a response headers policy cannot express.
pub static PLATFORM: Platform = Platform {
    target: &TARGET,
    constraints: &[
        Constraint::Methods(&["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"]),
        Constraint::SomeHeaders,
        Constraint::OneRule {
            scope: "per cache behavior",
        },
    ],
    // Browsers always allow GET, HEAD and POST; the policy's list must not be empty.
    methods_if_none: &["GET", "HEAD", "POST"],
    setting,
    methods_added: &[],
    description: super::plan::description,
    names,
    fits_checks: None,
};

fn names(policy: &crate::model::Policy) -> Option<serde_json::Value> {
    serde_json::to_value(super::plan::names(policy)).ok()
}

fn setting(raw: &RawPolicy) -> Option<Setting> {
    let table = raw.cloudfront.as_ref().map(Spanned::get_ref);
    family_member(
        table.and_then(|t| t.response_headers_policy.as_ref()),
        family_setting(table.and_then(|t| t.enabled.as_ref())) != Enabled::No,
    )
}

fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    PLATFORM.checks(raw)
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
    PLATFORM.render(plans, templates, &[&CLOUDFORMATION, &TERRAFORM], out)
}
