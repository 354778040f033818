//! Where live answers (`probe`'s, or a HAR capture's in `doctor`) differ from what the policy's
//! artifacts answer to the same request.

use serde::Serialize;

use super::{engine_answer, Exchange, Target};
use crate::browser::Response;
use crate::engine::{self, Request};
use crate::model::Policy;

/// The CORS headers compared between the live answer and the policy's.
const COMPARED: [&str; 6] = [
    engine::ACAO,
    engine::ACAC,
    engine::ACAM,
    engine::ACAH,
    engine::ACMA,
    engine::ACEH,
];

/// A live answer that is not what the policy's artifacts would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `preflight` or `actual`.
    pub response: &'static str,
    /// The header (or `status`).
    pub what: String,
    /// What the policy requires (`None`: absent).
    pub expected: Option<String>,
    /// What the server sent (`None`: absent).
    pub live: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<String>| {
            v.as_ref()
                .map_or_else(|| "(absent)".to_string(), |v| format!("`{v}`"))
        };
        write!(
            f,
            "{} response, {}: the policy requires {}, the server sent {}",
            self.response,
            self.what,
            show(&self.expected),
            show(&self.live)
        )
    }
}

/// Where the live answers differ from the engine's for the same request (its route matched on
/// `target`'s path): the preflight's status class and CORS headers, the actual response's CORS
/// headers, and `Vary: Origin`.
#[must_use]
pub fn differences(policy: &Policy, exchange: &Exchange, target: &Target) -> Vec<Difference> {
    let request = &exchange.request;
    let path = target.route.path.as_str();
    let method = request.wire_method();
    let mut found = Vec::new();
    if let Some(leg) = &exchange.preflight {
        let expected = engine_answer(
            policy,
            &Request {
                method: "OPTIONS",
                path,
                origin: Some(&request.origin),
                request_method: Some(&method),
            },
        );
        if (200..=299).contains(&expected.status) != (200..=299).contains(&leg.response.status) {
            found.push(Difference {
                response: "preflight",
                what: "status".to_string(),
                expected: Some(expected.status.to_string()),
                live: Some(leg.response.status.to_string()),
            });
        }
        compare(&mut found, "preflight", &expected, &leg.response);
    }
    if let Some(leg) = exchange.actual.first() {
        let expected = engine_answer(
            policy,
            &Request {
                method: &method,
                path,
                origin: Some(&request.origin),
                request_method: None,
            },
        );
        compare(&mut found, "actual", &expected, &leg.response);
    }
    found
}

fn compare(found: &mut Vec<Difference>, which: &'static str, expected: &Response, live: &Response) {
    for name in COMPARED {
        let expected = expected.header(name);
        let got = live.header(name);
        let same = match (&expected, &got) {
            (Some(e), Some(g)) if matches!(name, engine::ACAM | engine::ACAH | engine::ACEH) => {
                same_list(e, g, name != engine::ACAM)
            }
            (e, g) => e == g,
        };
        if !same {
            found.push(Difference {
                response: which,
                what: name.to_string(),
                expected,
                live: got,
            });
        }
    }
    let varies = live.header("vary").is_some_and(|v| {
        v.split(',')
            .any(|e| e.trim() == "*" || e.trim().eq_ignore_ascii_case("origin"))
    });
    if !varies {
        found.push(Difference {
            response: which,
            what: "Vary".to_string(),
            expected: Some("Origin".to_string()),
            live: live.header("vary"),
        });
    }
}

/// Two comma-separated lists with the same elements (header names compare case-insensitively).
fn same_list(a: &str, b: &str, ignore_case: bool) -> bool {
    let items = |s: &str| {
        let mut v: Vec<String> = s
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                if ignore_case {
                    e.to_ascii_lowercase()
                } else {
                    e.to_string()
                }
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    items(a) == items(b)
}

#[cfg(test)]
mod tests {
    use super::same_list;

    #[test]
    fn lists_compare_as_sets() {
        assert!(same_list("PUT,DELETE", "DELETE, PUT", false));
        assert!(!same_list("PUT", "put", false));
        assert!(same_list("X-A,Content-Type", "content-type, x-a", true));
    }
}
