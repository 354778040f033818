//! What every audited surface has in common: it answers a request (as API Gateway, a CloudFront
//! Function or a static configuration would), or says why its answer is unknown.

use crate::browser::Response;

use super::Location;

/// What produced an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The configuration at this location (a method's integration, a function's code).
    Config(Location),
    /// A gateway response of this type (its location when defined, else `None`).
    Gateway(&'static str, Option<Location>),
}

/// A surface's answer to one request, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The response and where it came from.
    Response(Response, Source),
    /// The backend answers (a proxy integration, the distribution's origin), or something could
    /// not be evaluated.
    Unknown(String),
}

/// A request as the surface receives it.
#[derive(Debug, Clone)]
pub struct ApiRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path (no stage).
    pub path: &'a str,
    /// Query parameters.
    pub query: &'a [(String, String)],
    /// Headers, names as sent.
    pub headers: &'a [(String, String)],
}

impl ApiRequest<'_> {
    /// A header's value (name in any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Anything audit sends requests to.
pub trait Answers {
    /// The answer to `request`.
    fn answer(&self, request: &ApiRequest<'_>) -> Answer;
}
