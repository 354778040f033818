//! The `[cloudfront]` rules: a KeyValueStore needs runtime 2.0. The function size limits are
//! checked on the measured plan ([`super::limits`]); the response headers policy is a target of
//! its own ([`super::response_headers_policy`]).

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{CloudFront, Policy, RoutePattern};
use crate::policy::{Caching, CloudFrontRuntime, KeyValueStoreChoice, RawCloudFront, RawPolicy};
use crate::targets::setting::{family_setting, Enabled};
use crate::targets::{Checks, Scope};

struct CloudFrontChecks<'a> {
    raw: Option<&'a RawCloudFront>,
    enabled: Enabled,
    origins_span: Option<std::ops::Range<usize>>,
}

/// The validation of `[cloudfront]`, unless it says `enabled = false`.
pub(super) fn checks(raw: &RawPolicy) -> Option<Box<dyn Checks + '_>> {
    let table = raw.cloudfront.as_ref().map(Spanned::get_ref);
    let enabled = family_setting(table.and_then(|t| t.enabled.as_ref()));
    (enabled != Enabled::No).then(|| {
        Box::new(CloudFrontChecks {
            raw: table,
            enabled,
            origins_span: None,
        }) as Box<dyn Checks>
    })
}

impl Checks for CloudFrontChecks<'_> {
    /// Checks the runtime against the KeyValueStore choice.
    fn check_static(
        &mut self,
        _: &RawPolicy,
        _: &[Option<RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let Some(settings) = self.raw else {
            return;
        };
        if let (Some(runtime), Some(store)) = (&settings.runtime, &settings.key_value_store) {
            if *runtime.get_ref() == CloudFrontRuntime::Js1
                && *store.get_ref() != KeyValueStoreChoice::Never
            {
                push(
                    Diagnostic::new(
                        Code::KeyValueStoreRuntime,
                        store.span(),
                        "a CloudFront KeyValueStore can only be read by cloudfront-js-2.0 functions, and runtime is cloudfront-js-1.0",
                    )
                    .label("needs cloudfront-js-2.0")
                    .help("set runtime = \"cloudfront-js-2.0\" in [cloudfront], or key-value-store = \"never\""),
                );
            }
        }
    }

    fn check_scope(&mut self, scope: &Scope<'_>, _: &mut dyn FnMut(Diagnostic)) {
        if scope.resolved {
            self.origins_span = Some(scope.default.span.clone());
        }
    }

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        policy.targets.insert(super::TARGET.name, self.enabled);
        let settings = self.raw;
        // The resolved policy's rules are those of the resolved environment.
        let (credentials, authorization) = super::plan::authentication(policy);
        policy.cloudfront = self.origins_span.map(|origins_span| CloudFront {
            runtime: settings
                .and_then(|s| s.runtime.as_ref())
                .map_or(CloudFrontRuntime::Js2, |r| *r.get_ref()),
            key_value_store: settings
                .and_then(|s| s.key_value_store.as_ref())
                .map_or(KeyValueStoreChoice::Never, |k| *k.get_ref()),
            caching: settings.and_then(|s| s.caching.as_ref()).map_or(
                if credentials || authorization {
                    Caching::Disabled
                } else {
                    Caching::Enabled
                },
                |c| *c.get_ref(),
            ),
            caching_written: settings.is_some_and(|s| s.caching.is_some()),
            origins_span,
        });
    }
}
