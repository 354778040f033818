//! CloudFront's platform limits, checked on the measured plan: the 10,240-byte function size
//! and the KeyValueStore import file's 5 MB. (Its keys, an allowlist index and an origin of at
//! most 267 characters, stay below 512 characters; its values are `1`.)
//!
//! Output: a diagnostic per limit broken, pointing at the allow-origins list in effect and
//! naming the sizes and the fix.

use std::ops::Range;

use crate::diagnostic::{Code, Diagnostic};
use crate::plan::Plans;

use super::{CloudFrontPlan, KEY_VALUE_STORE, VIEWER_REQUEST, VIEWER_RESPONSE};

/// CloudFront's maximum function size, in bytes.
pub const FUNCTION_SIZE_LIMIT: usize = 10_240;
/// A KeyValueStore import file's maximum size, in bytes.
pub const STORE_FILE_LIMIT: usize = 5 * 1024 * 1024;

impl CloudFrontPlan {
    /// The functions over [`FUNCTION_SIZE_LIMIT`]: path and size.
    #[must_use]
    pub fn oversized_functions(&self) -> Vec<(&'static str, usize)> {
        [
            (VIEWER_REQUEST.path, self.context.code.viewer_request.len()),
            (
                VIEWER_RESPONSE.path,
                self.context.code.viewer_response.len(),
            ),
        ]
        .into_iter()
        .filter(|(_, size)| *size > FUNCTION_SIZE_LIMIT)
        .collect()
    }
}

/// Every CloudFront limit the plan breaks.
pub(super) fn check(plans: &Plans<'_>) -> Vec<Diagnostic> {
    let (Some(plan), Some(settings)) = (
        plans.get::<CloudFrontPlan>(super::TARGET.name),
        &plans.policy.cloudfront,
    ) else {
        return Vec::new();
    };
    diagnostics(
        &settings.origins_span,
        plan.context.kvs,
        &plan.oversized_functions(),
        plan.store_file.as_ref().map_or(0, String::len),
    )
}

/// The diagnostics for functions of the sizes given and a store file of `store_size` bytes.
fn diagnostics(
    origins: &Range<usize>,
    uses_store: bool,
    oversized: &[(&str, usize)],
    store_size: usize,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The list's opening bracket: a long allowlist is not worth printing whole.
    let span = origins.start..origins.start + 1;
    for (path, size) in oversized {
        // Without a store the exact origins are what grows; with one, only the rest is left.
        let (label, help) = if uses_store {
            ("too large even with the exact origins in the KeyValueStore", "fewer wildcards, fewer routes with their own rules or shorter header lists make the function smaller")
        } else {
            ("too many origins to inline", "set key-value-store = \"if-needed\" in [cloudfront] (runtime cloudfront-js-2.0) to keep the exact origins in a CloudFront KeyValueStore, or allow fewer origins")
        };
        out.push(
            Diagnostic::new(
                Code::CloudFrontFunctionTooLarge,
                span.clone(),
                format!(
                    "{path} would be {size} bytes, over CloudFront's {FUNCTION_SIZE_LIMIT}-byte function limit"
                ),
            )
            .label(label)
            .help(help),
        );
    }
    if store_size > STORE_FILE_LIMIT {
        out.push(
            Diagnostic::new(
                Code::KeyValueStoreLimit,
                span,
                format!(
                    "{} would be {store_size} bytes, over the KeyValueStore import limit of {STORE_FILE_LIMIT}",
                    KEY_VALUE_STORE.path
                ),
            )
            .label("too many origins for one KeyValueStore")
            .help("allow fewer origins, or use wildcards for sites under one domain"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{diagnostics, STORE_FILE_LIMIT};
    use crate::diagnostic::Code;

    #[test]
    fn an_import_file_over_5_mb_is_refused() {
        let origins = 40..60;
        assert!(diagnostics(&origins, true, &[], STORE_FILE_LIMIT).is_empty());
        let broken = diagnostics(&origins, true, &[], STORE_FILE_LIMIT + 1);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].code, Code::KeyValueStoreLimit);
        assert_eq!(broken[0].span, Some(40..41));
    }
}
