//! The rule tables the code-carrying targets share (Lambda snippets, CloudFront Functions):
//! origin sets, rules and routes as data, with every header value computed by the engine so no
//! generated code can disagree with it.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::engine;
use crate::model::{AllowedOrigins, OriginList, Policy, Rule, Segment};

use super::Interner;

/// A header name and value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeaderPair {
    /// Canonical header name.
    pub name: String,
    /// Exact value.
    pub value: String,
}

/// One distinct rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleContext {
    /// Any origin is allowed and answered with `*`.
    pub any_origin: bool,
    /// Index into `origin_sets` (an empty set for any-origin rules).
    pub origin_set: usize,
    /// Headers after ACAO on a preflight answer to an allowed origin.
    pub preflight: Vec<HeaderPair>,
    /// Headers after ACAO on an actual response to an allowed origin.
    pub actual: Vec<HeaderPair>,
}

/// One path segment of a route, as data.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentContext {
    /// `lit`, `param` or `greedy`.
    pub kind: &'static str,
    /// The literal text (empty for parameters).
    pub value: String,
}

/// One route, most specific first.
#[derive(Debug, Clone, Serialize)]
pub struct RouteContext {
    /// The path as written in the policy.
    pub path: String,
    /// Its segments.
    pub segments: Vec<SegmentContext>,
    /// Index into `rules`.
    pub rule: usize,
}

/// The rule tables.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTables {
    /// Distinct origin sets (exact origins, and wildcards as prefix/suffix pairs).
    pub origin_sets: Vec<Arc<OriginList>>,
    /// Distinct rules.
    pub rules: Vec<RuleContext>,
    /// Routes in match order.
    pub routes: Vec<RouteContext>,
    /// Index into `rules` for paths no route matches.
    pub default_rule: usize,
}

/// Engine headers as view-model pairs.
pub(crate) fn pairs(headers: Vec<(&'static str, String)>) -> Vec<HeaderPair> {
    headers
        .into_iter()
        .map(|(name, value)| HeaderPair {
            name: name.to_string(),
            value,
        })
        .collect()
}

/// Origin lists are shared between the rules that inherit them, so most lookups hit the pointer
/// map and never compare a thousand strings.
struct SetInterner {
    by_pointer: HashMap<*const OriginList, usize>,
    by_value: Interner<Arc<OriginList>>,
}

impl SetInterner {
    fn intern(&mut self, list: &Arc<OriginList>) -> usize {
        let key = Arc::as_ptr(list);
        if let Some(&i) = self.by_pointer.get(&key) {
            return i;
        }
        let i = self.by_value.intern(Arc::clone(list));
        self.by_pointer.insert(key, i);
        i
    }
}

/// The tables of `policy`.
#[must_use]
pub fn tables(policy: &Policy) -> RuleTables {
    let mut sets = SetInterner {
        by_pointer: HashMap::new(),
        by_value: Interner::new(),
    };
    let mut rules = Interner::new();
    let empty = Arc::new(OriginList::default());
    let mut rule_index = |rule: &Rule, sets: &mut SetInterner| {
        let (any_origin, set) = match &rule.origins {
            AllowedOrigins::Any => (true, &empty),
            AllowedOrigins::List(list) => (false, list),
        };
        rules.intern(RuleContext {
            any_origin,
            origin_set: sets.intern(set),
            preflight: pairs(engine::preflight_headers(rule)),
            actual: pairs(engine::actual_headers(rule)),
        })
    };
    let default_rule = rule_index(&policy.default_rule, &mut sets);
    let routes = policy
        .routes
        .iter()
        .map(|route| RouteContext {
            path: route.path.clone(),
            segments: route
                .pattern
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(text) => SegmentContext {
                        kind: "lit",
                        value: text.clone(),
                    },
                    Segment::Param => SegmentContext {
                        kind: "param",
                        value: String::new(),
                    },
                    Segment::Greedy => SegmentContext {
                        kind: "greedy",
                        value: String::new(),
                    },
                })
                .collect(),
            rule: rule_index(&route.rule, &mut sets),
        })
        .collect();
    RuleTables {
        origin_sets: sets.by_value.items,
        rules: rules.items,
        routes,
        default_rule,
    }
}

/// A rule in words: its origins and whether credentials are allowed.
pub(crate) fn describe_rule(rule: &Rule) -> String {
    const SHOWN: usize = 6;
    let origins = match &rule.origins {
        AllowedOrigins::Any => "any origin (answered with *)".to_string(),
        AllowedOrigins::List(list) => {
            let names = list.patterns();
            let mut text = names
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > SHOWN {
                text.push_str(&format!(" and {} more", names.len() - SHOWN));
            }
            text
        }
    };
    let credentials = if rule.credentials {
        "with credentials"
    } else {
        "without credentials"
    };
    format!("{origins}; {credentials}")
}

/// One plain-text line per rule for the generated README.
pub(crate) fn describe_rules(policy: &Policy) -> Vec<String> {
    let mut lines: Vec<String> = policy
        .routes
        .iter()
        .map(|r| format!("{}: {}", r.path, describe_rule(&r.rule)))
        .collect();
    let rest = if policy.routes.is_empty() {
        "All paths"
    } else {
        "Every other path"
    };
    lines.push(format!("{rest}: {}", describe_rule(&policy.default_rule)));
    lines
}
