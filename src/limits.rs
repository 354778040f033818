//! Platform limits that only the rendered output shows: CloudFront's 10,240-byte function size
//! and the KeyValueStore import file's 5 MB. (Its keys, an allowlist index and an origin of at
//! most 267 characters, stay below 512 characters; its values are `1`.)
//!
//! Input: a valid policy's plan and its rendered files. Output: a diagnostic per limit broken,
//! pointing at the allow-origins list in effect and naming the sizes and the fix.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::CloudFront;
use crate::plan::{Context, Plan};
use crate::render::{RenderedFile, TemplateId};

/// CloudFront's maximum function size, in bytes.
pub const FUNCTION_SIZE_LIMIT: usize = 10_240;
/// A KeyValueStore import file's maximum size, in bytes.
pub const STORE_FILE_LIMIT: usize = 5 * 1024 * 1024;

/// True for the files these limits read: the CloudFront functions and the KeyValueStore file.
#[must_use]
pub fn reads(template: TemplateId) -> bool {
    matches!(
        template,
        TemplateId::CloudFrontViewerRequest
            | TemplateId::CloudFrontViewerResponse
            | TemplateId::CloudFrontKeyValueStore
    )
}

/// The CloudFront Functions among `files` that exceed [`FUNCTION_SIZE_LIMIT`]: path and size.
#[must_use]
pub fn oversized_functions(files: &[RenderedFile]) -> Vec<(&str, usize)> {
    files
        .iter()
        .filter(|f| {
            f.path == TemplateId::CloudFrontViewerRequest.name()
                || f.path == TemplateId::CloudFrontViewerResponse.name()
        })
        .map(|f| (f.path.as_str(), f.contents.len()))
        .filter(|(_, size)| *size > FUNCTION_SIZE_LIMIT)
        .collect()
}

/// Every CloudFront limit the rendered `files` of `plan` break.
#[must_use]
pub fn check(settings: &CloudFront, plan: &Plan, files: &[RenderedFile]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The list's opening bracket: a long allowlist is not worth printing whole.
    let start = settings.origins_span.start;
    let span = start..start + 1;
    let uses_store = plan
        .files
        .iter()
        .any(|f| matches!(&f.context, Context::CloudFront(c) if c.kvs));
    for (path, size) in oversized_functions(files) {
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
    let store = TemplateId::CloudFrontKeyValueStore.name();
    for file in files.iter().filter(|f| f.path == store) {
        if file.contents.len() > STORE_FILE_LIMIT {
            out.push(
                Diagnostic::new(
                    Code::KeyValueStoreLimit,
                    span.clone(),
                    format!(
                        "{} would be {} bytes, over the KeyValueStore import limit of {STORE_FILE_LIMIT}",
                        file.path,
                        file.contents.len()
                    ),
                )
                .label("too many origins for one KeyValueStore")
                .help("allow fewer origins, or use wildcards for sites under one domain"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{check, STORE_FILE_LIMIT};
    use crate::diagnostic::Code;
    use crate::render::{RenderedFile, TemplateId};

    #[test]
    fn an_import_file_over_5_mb_is_refused() {
        let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example\"]\n[cloudfront]\nkey-value-store = \"always\"\n";
        let source = crate::source::PolicySource::new("p.toml", text);
        let policy = crate::load_source(source.clone(), None)
            .unwrap()
            .policy
            .unwrap();
        let settings = policy.cloudfront.as_ref().unwrap();
        let plan = crate::plan::plan(&policy, &source, true);
        let file = |size: usize| RenderedFile {
            path: TemplateId::CloudFrontKeyValueStore.name().to_string(),
            contents: "x".repeat(size),
        };
        assert!(check(settings, &plan, &[file(STORE_FILE_LIMIT)]).is_empty());
        let broken = check(settings, &plan, &[file(STORE_FILE_LIMIT + 1)]);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].code, Code::KeyValueStoreLimit);
        let start = settings.origins_span.start;
        assert_eq!(broken[0].span, Some(start..start + 1));
    }
}
