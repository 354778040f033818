//! API Gateway's and CloudFormation's limits, checked on the rendered REST artifacts before
//! anything is written: a mapping template is at most 300 KB, an OpenAPI body imported with
//! `import-rest-api` / `put-rest-api` at most 6 MB, and a CloudFormation template at most 500
//! resources, 200 parameters and 1 MB (from S3; 51,200 bytes inline, a warning).

use std::ops::Range;

use crate::diagnostic::{Code, Diagnostic};
use crate::plan::Plans;

use super::{ApiGatewayPlan, CLOUDFORMATION, OPENAPI};

/// API Gateway's maximum mapping template size, in bytes.
pub const MAPPING_TEMPLATE_LIMIT: usize = 300 * 1024;
/// The largest OpenAPI body `import-rest-api` and `put-rest-api` take, in bytes.
pub const OPENAPI_LIMIT: usize = 6 * 1024 * 1024;
/// CloudFormation's maximum resources per stack.
pub const CLOUDFORMATION_RESOURCES: usize = 500;
/// CloudFormation's maximum parameters per template.
pub const CLOUDFORMATION_PARAMETERS: usize = 200;
/// CloudFormation's maximum template body read from S3, in bytes.
pub const CLOUDFORMATION_S3_LIMIT: usize = 1024 * 1024;
/// CloudFormation's maximum template body passed inline, in bytes.
pub const CLOUDFORMATION_INLINE_LIMIT: usize = 51_200;

/// What the REST artifacts hold that the limits count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// The largest mapping template, in bytes.
    pub largest_mapping_template: usize,
    /// The OpenAPI file, in bytes.
    pub openapi: usize,
    /// The CloudFormation template, in bytes.
    pub cloudformation: usize,
    /// Its resources: one OPTIONS method per resource, one per gateway response.
    pub resources: usize,
    /// Its parameters: the REST API's id and one id per resource.
    pub parameters: usize,
}

impl ApiGatewayPlan {
    /// What the limits count, from the plan and its rendered files.
    #[must_use]
    pub fn measure(&self) -> Measure {
        let size = |path: &str| {
            self.files
                .iter()
                .find(|f| f.path == path)
                .map_or(0, |f| f.contents.len())
        };
        Measure {
            largest_mapping_template: self.vtl.iter().map(String::len).max().unwrap_or(0),
            openapi: size(OPENAPI.path),
            cloudformation: size(CLOUDFORMATION.path),
            resources: self.context.resources.len() + self.context.gateway_responses.len(),
            parameters: 1 + self.context.resources.len(),
        }
    }
}

/// Every limit the REST artifacts pass.
pub(super) fn check(plans: &Plans<'_>) -> Vec<Diagnostic> {
    let Some(planned) = plans.get::<ApiGatewayPlan>(super::TARGET.name) else {
        return Vec::new();
    };
    // The origins (what grows a mapping template) or the resources (what grows the rest).
    let written = &plans.policy.default_written;
    let origins = written
        .origins
        .as_ref()
        .map_or_else(|| written.table.clone(), |o| o.span.clone());
    let resources = plans
        .policy
        .apigateway
        .as_ref()
        .map_or_else(|| written.table.clone(), |a| a.resources_span.clone());
    diagnostics(&planned.measure(), &origins, &resources)
}

fn diagnostics(m: &Measure, origins: &Range<usize>, table: &Range<usize>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |span: &Range<usize>| span.start..span.start + 1;
    let fewer_resources = "fewer resources: one `/{proxy+}` resource answers every path below it (list only the paths whose rule differs), or answer preflights in the Lambda snippets or at CloudFront instead";
    if m.largest_mapping_template > MAPPING_TEMPLATE_LIMIT {
        out.push(
            Diagnostic::new(
                Code::ApigatewayLimit,
                at(origins),
                format!(
                    "a mapping template would be {} bytes, over API Gateway's {MAPPING_TEMPLATE_LIMIT}-byte limit",
                    m.largest_mapping_template
                ),
            )
            .label("too many origins for a mapping template")
            .help("allow fewer origins, or use wildcards for sites under one domain; for a large allowlist, answer at CloudFront with key-value-store = \"if-needed\", or in the Lambda snippets, and set enabled = false in [apigateway]"),
        );
    }
    if m.openapi > OPENAPI_LIMIT {
        out.push(
            Diagnostic::new(
                Code::ApigatewayLimit,
                at(table),
                format!(
                    "apigateway/openapi.json would be {} bytes, over the {OPENAPI_LIMIT}-byte body import-rest-api and put-rest-api take",
                    m.openapi
                ),
            )
            .help(fewer_resources),
        );
    }
    let counts = [
        (m.resources, CLOUDFORMATION_RESOURCES, "resources"),
        (m.parameters, CLOUDFORMATION_PARAMETERS, "parameters"),
    ];
    for (count, limit, what) in counts {
        if count > limit {
            out.push(
                Diagnostic::new(
                    Code::ApigatewayLimit,
                    at(table),
                    format!(
                        "apigateway/cloudformation.yaml would have {count} {what}, over CloudFormation's {limit} per template"
                    ),
                )
                .help(fewer_resources),
            );
        }
    }
    if m.cloudformation > CLOUDFORMATION_S3_LIMIT {
        out.push(
            Diagnostic::new(
                Code::ApigatewayLimit,
                at(table),
                format!(
                    "apigateway/cloudformation.yaml would be {} bytes, over CloudFormation's {CLOUDFORMATION_S3_LIMIT}-byte template limit",
                    m.cloudformation
                ),
            )
            .help(fewer_resources),
        );
    } else if m.cloudformation > CLOUDFORMATION_INLINE_LIMIT {
        out.push(
            Diagnostic::new(
                Code::CloudformationFromS3,
                at(table),
                format!(
                    "apigateway/cloudformation.yaml would be {} bytes: over {CLOUDFORMATION_INLINE_LIMIT}, CloudFormation takes it only from S3",
                    m.cloudformation
                ),
            )
            .help("upload it to S3 and deploy it with --template-url (aws cloudformation deploy --s3-bucket does this), or as a nested stack's TemplateURL"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{diagnostics, Measure, CLOUDFORMATION_INLINE_LIMIT, MAPPING_TEMPLATE_LIMIT};
    use crate::diagnostic::Code;

    #[test]
    fn each_limit_is_checked_at_its_boundary() {
        let fits = Measure {
            largest_mapping_template: MAPPING_TEMPLATE_LIMIT,
            openapi: super::OPENAPI_LIMIT,
            cloudformation: CLOUDFORMATION_INLINE_LIMIT,
            resources: super::CLOUDFORMATION_RESOURCES,
            parameters: super::CLOUDFORMATION_PARAMETERS,
        };
        assert!(diagnostics(&fits, &(5..9), &(1..3)).is_empty());
        let over = Measure {
            largest_mapping_template: fits.largest_mapping_template + 1,
            openapi: fits.openapi + 1,
            cloudformation: super::CLOUDFORMATION_S3_LIMIT + 1,
            resources: fits.resources + 1,
            parameters: fits.parameters + 1,
        };
        let found = diagnostics(&over, &(5..9), &(1..3));
        let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::ApigatewayLimit; 5]);
        assert_eq!(
            found[0].span,
            Some(5..6),
            "a mapping template points at the origins"
        );
        let inline = Measure {
            cloudformation: CLOUDFORMATION_INLINE_LIMIT + 1,
            ..fits
        };
        let found = diagnostics(&inline, &(5..9), &(1..3));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, Code::CloudformationFromS3);
    }
}
