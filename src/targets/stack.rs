//! What the stacks over the API Gateway artifacts share (the CDK module, the SAM and the
//! Serverless Framework fragments):
//! an opt-in `enabled` setting (default false), the misfit when `[apigateway] enabled = false`
//! turns off what they apply, and a plan that is only a marker (they render the API Gateway
//! plan), or a skip when the API Gateway artifacts are not emitted.

use std::ops::Range;

use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Policy, RoutePattern};
use crate::plan::Plans;
use crate::policy::RawPolicy;

use super::apigateway::ApiGatewayPlan;
use super::setting::Enabled;
use super::{apigateway, unfit, Checks, Place, Problem, Scope, Setting, Skipped, Target};

struct StackChecks {
    target: &'static Target,
    enabled: Enabled,
    span: Range<usize>,
}

/// The checks of `target`, whose table says `setting` (`None`: left out, so off).
pub(crate) fn checks<'a>(
    target: &'static Target,
    setting: Option<&Spanned<Enabled>>,
) -> Option<Box<dyn Checks + 'a>> {
    let setting = setting?;
    (*setting.get_ref() != Enabled::No).then(|| {
        Box::new(StackChecks {
            target,
            enabled: *setting.get_ref(),
            span: setting.span(),
        }) as Box<dyn Checks>
    })
}

impl Checks for StackChecks {
    fn check_static(
        &mut self,
        raw: &RawPolicy,
        _: &[Option<RoutePattern>],
        push: &mut dyn FnMut(Diagnostic),
    ) {
        let apigateway = raw
            .apigateway
            .as_ref()
            .and_then(|t| t.get_ref().enabled.as_ref());
        if apigateway.is_none_or(|e| *e.get_ref() != Enabled::No) {
            return;
        }
        let problem = Problem {
            span: self.span.clone(),
            message: format!(
                "{} applies the API Gateway artifacts, and [apigateway] says enabled = false",
                self.target.what
            ),
            fix: Some("remove enabled = false from [apigateway]".to_string()),
        };
        unfit(
            self.target,
            Setting {
                enabled: self.enabled,
                written: true,
                alias: false,
            },
            Place {
                env: None,
                resolved: true,
            },
            std::slice::from_ref(&problem),
            (
                Code::TargetUnfit,
                &format!(
                    "remove enabled = false from [apigateway], or set enabled = false in [{}]",
                    self.target.name
                ),
            ),
            push,
        );
        self.enabled = Enabled::No;
    }

    fn check_scope(&mut self, _: &Scope<'_>, _: &mut dyn FnMut(Diagnostic)) {}

    fn resolve(self: Box<Self>, policy: &mut Policy) {
        policy.targets.insert(self.target.name, self.enabled);
    }
}

/// The marker plan of a stack over the API Gateway artifacts.
pub(crate) struct Emitted;

/// Plans `target`: a marker when the policy enables it and the API Gateway artifacts are
/// emitted, a skip (with its reason) when they are not.
pub(crate) fn plan(target: &'static Target, plans: &mut Plans<'_>) {
    if !matches!(
        plans.policy.targets.get(target.name),
        Some(Enabled::Yes | Enabled::IfFits)
    ) {
        return;
    }
    if plans.emits(apigateway::TARGET.name) {
        plans.insert(target.name, Emitted);
    } else {
        plans
            .skipped
            .push(Skipped::because(target, apigateway::TARGET.what));
    }
}

/// The API Gateway plan `target` renders, when `target` is emitted.
pub(crate) fn api_plan<'p>(target: &Target, plans: &'p Plans<'_>) -> Option<&'p ApiGatewayPlan> {
    if plans.emits(target.name) {
        plans.get::<ApiGatewayPlan>(apigateway::TARGET.name)
    } else {
        None
    }
}
