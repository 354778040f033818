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
        let allowed = origin_checks(&target, &[], &tried, &[], &mut out);
        if kind == Kind::Actual {
            two_layers(behavior, &allowed, &mut out);
        }
    }
    out.findings
}

/// The origin sends CORS headers of its own (here: it echoes any Origin) and the viewer-response
/// function leaves them in place: an origin the function refuses still gets the origin's answer,
/// or an allowed one gets two values.
fn two_layers(behavior: &Behavior, allowed: &[String], out: &mut Out<'_>) {
    let Some(function) = &behavior.viewer_response else {
        return;
    };
    let both = Behavior {
        origin_sends_cors: true,
        ..behavior.clone()
    };
    let target = |surface| Target {
        surface,
        route: &behavior.route,
        method: "GET",
        kind: Kind::Actual,
        at: &function.at,
        header_case_matters: false,
    };
    let acao = |p: &super::Probe| p.header("access-control-allow-origin");
    // A function that reflects by itself is reported as such already.
    if acao(&target(behavior).probe(PROBE, &Shape::default())).as_deref() == Some(PROBE) {
        return;
    }
    let refused = target(&both).probe(PROBE, &Shape::default());
    let doubled = allowed
        .first()
        .map(|o| target(&both).probe(o, &Shape::default()))
        .filter(|p| {
            p.response().is_some_and(|r| {
                r.headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
                    .count()
                    > 1
            })
        });
    let (probe, what) = if acao(&refused).as_deref() == Some(PROBE) {
        (
            refused,
            "leaves the origin's own CORS headers in place: when the origin sends them (audit's stand-in origin echoes any Origin), an origin the function refuses still gets them",
        )
    } else if let Some(doubled) = doubled {
        (
            doubled,
            "adds Access-Control-Allow-Origin next to the origin's: the browser sees two values",
        )
    } else {
        return;
    };
    out.add(
        "two-layers",
        Severity::Error,
        &function.at,
        format!("{} {what}", function.name),
        Some(&probe),
        "let one layer own CORS: strip the origin's Access-Control-* headers in the function (corsgen's does), or configure CORS at the origin only",
    );
}
