//! A CloudFront behavior's findings: what its viewer-request function answers to preflights and
//! what its viewer-response function makes of a response, through the checks every surface gets.

use super::{
    not_serialized, origin_checks, origins_in, policy_candidates, Kind, Out, Shape, Target, PROBE,
};
use crate::audit::answer::Answer;
use crate::audit::cloudfront::Behavior;
use crate::audit::{Finding, Severity};

/// The findings for one cache behavior (or a function on its own). With `policy`, the policy's
/// origins are tried too, so that their look-alikes are.
#[must_use]
pub fn cloudfront(behavior: &Behavior, policy: Option<&crate::model::Policy>) -> Vec<Finding> {
    let surface = format!("CloudFront {}", behavior.name);
    let mut out = Out {
        findings: Vec::new(),
        surface: &surface,
    };
    let functions = [&behavior.viewer_request, &behavior.viewer_response];
    let texts = functions
        .iter()
        .copied()
        .flatten()
        .map(|f| (f.code.clone(), false, f.at.clone()))
        .collect();
    let (candidates, problems) = origins_in(texts);
    not_serialized(problems, &mut out);
    let hints = policy.map(policy_candidates).unwrap_or_default();
    for (function, kind, method) in [
        (&behavior.viewer_request, Kind::Preflight, "GET"),
        (&behavior.viewer_response, Kind::Actual, "GET"),
    ] {
        let Some(function) = function else { continue };
        let target = Target {
            surface: behavior,
            route: &behavior.route,
            method,
            kind,
            at: &function.at,
            header_case_matters: false,
        };
        if let Answer::Unknown(why) = &target.probe(PROBE, &Shape::default()).answer {
            if why.starts_with("not evaluated") {
                out.add(
                    "not-evaluated",
                    Severity::Warning,
                    &function.at,
                    format!("{} ({}): {why}", function.name, target.label()),
                    None,
                    "check the deployed distribution with `corsgen probe`",
                );
            }
            continue;
        }
        // The code's origins may belong to one route only: tried, never required.
        let tried: Vec<_> = candidates.iter().chain(&hints).cloned().collect();
        origin_checks(&target, &[], &tried, &[], &mut out);
    }
    out.findings
}
