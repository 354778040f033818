//! The CloudFront family: two CloudFront Functions (preflights at the edge; CORS headers for
//! allowlisted origins only), a cache policy with Origin in the cache key, and a KeyValueStore
//! for large allowlists, as CloudFormation and Terraform. The response headers policy is a
//! static configuration of its own ([`response_headers_policy`]).
//!
//! Table `[cloudfront]` ([`table`]); checks in [`validate`]; the view model in [`plan`]; the
//! limits in [`limits`]. Planning renders the functions to measure them: with
//! `key-value-store = "if-needed"`, functions over CloudFront's size limit are planned again with
//! their exact origins in a KeyValueStore.

pub mod limits;
pub mod plan;
pub mod response_headers_policy;
pub mod table;
mod validate;

use crate::plan::Plans;
use crate::policy::KeyValueStoreChoice;
use crate::render::{self, RenderedFile, Template, Templates};

use super::{Kind, Target};
pub use plan::CloudFrontContext;

/// The code both functions share, used as a partial.
const COMMON: (&str, &str) = (
    "cloudfront/common.js.hbs",
    include_str!("../../../templates/cloudfront/common.js.hbs"),
);

/// `cloudfront/viewer-request.js`
pub static VIEWER_REQUEST: Template = Template {
    path: "cloudfront/viewer-request.js",
    source: Some(include_str!(
        "../../../templates/cloudfront/viewer-request.js.hbs"
    )),
    runtime: "",
    describe: "CloudFront Function (viewer request): answers CORS preflights at the edge",
};

/// `cloudfront/viewer-response.js`
pub static VIEWER_RESPONSE: Template = Template {
    path: "cloudfront/viewer-response.js",
    source: Some(include_str!("../../../templates/cloudfront/viewer-response.js.hbs")),
    runtime: "",
    describe: "CloudFront Function (viewer response): CORS headers for allowlisted origins only; strips the origin server's",
};

/// `cloudfront/cloudformation.yaml`
pub static CLOUDFORMATION: Template = Template {
    path: "cloudfront/cloudformation.yaml",
    source: Some(include_str!("../../../templates/cloudfront/cloudformation.yaml.hbs")),
    runtime: "",
    describe: "CloudFront: both functions and a cache policy with Origin in the cache key, as CloudFormation",
};

/// `cloudfront/terraform.tf`
pub static TERRAFORM: Template = Template {
    path: "cloudfront/terraform.tf",
    source: Some(include_str!(
        "../../../templates/cloudfront/terraform.tf.hbs"
    )),
    runtime: "",
    describe:
        "CloudFront: the same as Terraform resources (a module; reads the .js files next to it)",
};

/// `cloudfront/key-value-store.json`, serialized.
pub static KEY_VALUE_STORE: Template = Template {
    path: "cloudfront/key-value-store.json",
    source: None,
    runtime: "",
    describe: "CloudFront KeyValueStore import file: the exact allowed origins",
};

/// The CloudFront family.
pub static TARGET: Target = Target {
    name: "cloudfront",
    what: "the CloudFront artifacts",
    alternative:
        "the Lambda snippets (lambda/) or API Gateway's mapping templates express every policy",
    kind: Kind::Family,
    depends_on: &[],
    requires: &[],
    table: Some(("[cloudfront]", "RawCloudFront")),
    files: &[
        &VIEWER_REQUEST,
        &VIEWER_RESPONSE,
        &CLOUDFORMATION,
        &TERRAFORM,
        &KEY_VALUE_STORE,
    ],
    embedded: &[COMMON],
    checks: validate::checks,
    plan: plan_family,
    limits: Some(limits::check),
    render: render_family,
    answer: None,
};

/// The family's plan: the view model, its functions' code and the KeyValueStore file.
#[derive(Debug)]
pub struct CloudFrontPlan {
    /// The view model, code included.
    pub context: CloudFrontContext,
    /// The KeyValueStore import file as written, when the exact origins live there.
    pub store_file: Option<String>,
}

fn plan_family(plans: &mut Plans<'_>, templates: &mut Templates) -> anyhow::Result<()> {
    let policy = plans.policy;
    let Some(settings) = &policy.cloudfront else {
        return Ok(());
    };
    let tables = plans.tables();
    let mut store = plan::starts_with_store(settings);
    let mut context = plan::plan(policy, settings, &tables, &plans.header, store);
    context.code = functions(&context, templates)?;
    let mut planned = CloudFrontPlan {
        context,
        store_file: None,
    };
    if !store
        && settings.key_value_store == KeyValueStoreChoice::IfNeeded
        && !planned.oversized_functions().is_empty()
    {
        store = true;
        planned.context = plan::plan(policy, settings, &tables, &plans.header, store);
        planned.context.code = functions(&planned.context, templates)?;
    }
    if store {
        let file = render::serialized(&KEY_VALUE_STORE, key_value_store(&planned.context))?;
        planned.store_file = Some(file.contents);
    }
    plans.insert(TARGET.name, planned);
    Ok(())
}

/// Both functions' code, rendered from the view model.
fn functions(
    context: &CloudFrontContext,
    templates: &mut Templates,
) -> anyhow::Result<plan::FunctionCode> {
    templates.ensure(COMMON.0, COMMON.1)?;
    Ok(plan::FunctionCode {
        viewer_request: templates.file(&VIEWER_REQUEST, context)?.contents,
        viewer_response: templates.file(&VIEWER_RESPONSE, context)?.contents,
    })
}

fn render_family(
    plans: &Plans<'_>,
    templates: &mut Templates,
    out: &mut Vec<RenderedFile>,
) -> anyhow::Result<()> {
    let Some(planned) = plans.get::<CloudFrontPlan>(TARGET.name) else {
        return Ok(());
    };
    let context = &planned.context;
    for (template, code) in [
        (&VIEWER_REQUEST, &context.code.viewer_request),
        (&VIEWER_RESPONSE, &context.code.viewer_response),
    ] {
        out.push(RenderedFile {
            path: template.path.to_string(),
            contents: code.clone(),
        });
    }
    let data = serde_json::to_value(context)?;
    for template in [&CLOUDFORMATION, &TERRAFORM] {
        out.push(templates.file(template, &data)?);
    }
    if let Some(store) = &planned.store_file {
        out.push(RenderedFile {
            path: KEY_VALUE_STORE.path.to_string(),
            contents: store.clone(),
        });
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct StoreItem<'a> {
    key: &'a str,
    value: &'a str,
}

/// `cloudfront/key-value-store.json`: the KeyValueStore import file, the generated-by entry
/// first, one entry per line (CloudFront's 5 MB limit counts these bytes, so no
/// pretty-printing spends them).
fn key_value_store(c: &CloudFrontContext) -> serde_json::Result<String> {
    let header = StoreItem {
        key: c.store_header_key,
        value: &c.store_header_value,
    };
    let items = std::iter::once(header)
        .chain(c.store.iter().map(|e| StoreItem {
            key: &e.key,
            value: &e.value,
        }))
        .map(|item| serde_json::to_string(&item))
        .collect::<serde_json::Result<Vec<String>>>()?;
    Ok(format!(
        "{{\n  \"data\": [\n    {}\n  ]\n}}\n",
        items.join(",\n    ")
    ))
}
