//! CloudFront Functions as audit runs them: a cache behavior's viewer-request function (which
//! may answer at the edge, a preflight say) and viewer-response function (which sees the
//! origin's response), each called with the event CloudFront builds, in the embedded engine.
//! What the distribution's origin answers is not in the input: audit gives the viewer-response
//! function a 200 without CORS headers, as from an origin that sends none.

use serde_json::{json, Map, Value};

use crate::browser::Response;

use super::answer::{Answer, Answers, ApiRequest, Source};
use super::js::{self, JsError};
use super::Location;

/// One CloudFront Function.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its name (or logical id, or file).
    pub name: String,
    /// Where its code is.
    pub at: Location,
    /// The code.
    pub code: String,
    /// Time spent running it so far, shared by every copy: a function gets 5 s in all.
    pub spent: std::rc::Rc<std::cell::Cell<std::time::Duration>>,
    /// The import file of its KeyValueStore, when the inputs hold one.
    pub store: Option<std::rc::Rc<String>>,
}

/// The time every probe of one function may take together.
const FUNCTION_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

impl Function {
    /// A function named `name` whose `code` is at `at`.
    #[must_use]
    pub fn new(name: &str, at: Location, code: &str) -> Function {
        Function {
            name: name.to_string(),
            at,
            code: code.to_string(),
            spent: std::rc::Rc::default(),
            store: None,
        }
    }

    /// True when the code reads the origin's response, as only a viewer-response function can.
    #[must_use]
    pub fn reads_response(&self) -> bool {
        self.code.contains("event.response") || self.code.contains(".response.headers")
    }
}

/// The functions of one cache behavior (or a function on its own).
#[derive(Debug, Clone)]
pub struct Behavior {
    /// The distribution and path pattern, or the function's name.
    pub name: String,
    /// Where the behavior (or the function) is.
    pub at: Location,
    /// A path the behavior serves (its path pattern with `audit` for each `*`).
    pub route: String,
    /// The viewer-request function.
    pub viewer_request: Option<Function>,
    /// The viewer-response function.
    pub viewer_response: Option<Function>,
    /// True to have the simulated origin send CORS headers of its own (it echoes the request's
    /// Origin), to see whether the function leaves them next to its own.
    pub origin_sends_cors: bool,
}

impl Behavior {
    /// A function that is not attached to a behavior in the input: a viewer-response function
    /// when its code reads the response, else a viewer-request function.
    #[must_use]
    pub fn alone(function: Function) -> Behavior {
        let response = function.reads_response();
        Behavior {
            name: format!("function {}", function.name),
            at: function.at.clone(),
            route: "/".into(),
            viewer_request: (!response).then(|| function.clone()),
            viewer_response: response.then_some(function),
            origin_sends_cors: false,
        }
    }
}

fn value_map(pairs: &[(String, String)], lowercase: bool) -> Value {
    let mut map = Map::new();
    for (name, value) in pairs {
        let name = if lowercase {
            name.to_ascii_lowercase()
        } else {
            name.clone()
        };
        map.insert(name, json!({ "value": value }));
    }
    Value::Object(map)
}

/// The header lines of a CloudFront response object (`multiValue` included).
fn response_of(returned: &Value) -> Option<Response> {
    let status = returned.get("statusCode")?.as_u64()?;
    let mut headers = Vec::new();
    if let Some(map) = returned.get("headers").and_then(Value::as_object) {
        for (name, entry) in map {
            match entry.get("multiValue").and_then(Value::as_array) {
                Some(values) => {
                    for v in values {
                        if let Some(text) = v.get("value").and_then(Value::as_str) {
                            headers.push((name.clone(), text.to_string()));
                        }
                    }
                }
                None => {
                    if let Some(text) = entry.get("value").and_then(Value::as_str) {
                        headers.push((name.clone(), text.to_string()));
                    }
                }
            }
        }
    }
    Some(Response {
        status: u16::try_from(status).unwrap_or(500),
        headers,
    })
}

fn run_one(function: &Function, event: Value) -> Result<Value, Answer> {
    if function.spent.get() > FUNCTION_BUDGET {
        return Err(Answer::Unknown(
            "not evaluated: the function's runs took more than 5 s in all".into(),
        ));
    }
    let started = std::time::Instant::now();
    let store = function.store.as_deref().map(String::as_str);
    let result = js::run(&function.code, &[event], store).and_then(|mut results| {
        results
            .pop()
            .unwrap_or_else(|| Err(JsError::NotEvaluated("no result".into())))
    });
    function.spent.set(function.spent.get() + started.elapsed());
    match result {
        Ok(value) => Ok(value),
        // CloudFront answers a function's execution error with 503.
        Err(JsError::Throws(_)) => Err(Answer::Response(
            Response {
                status: 503,
                headers: Vec::new(),
            },
            Source::Config(function.at.clone()),
        )),
        Err(JsError::NotEvaluated(why)) => Err(Answer::Unknown(format!("not evaluated: {why}"))),
    }
}

impl Answers for Behavior {
    fn answer(&self, request: &ApiRequest<'_>) -> Answer {
        let query: Map<String, Value> = request
            .query
            .iter()
            .map(|(n, v)| (n.clone(), json!({ "value": v })))
            .collect();
        // CloudFront hands header names to functions in lowercase.
        let mut viewer_request = json!({
            "method": request.method,
            "uri": request.path,
            "querystring": query,
            "headers": value_map(request.headers, true),
            "cookies": {},
        });
        let context = |event_type: &str| {
            json!({
                "distributionDomainName": "d111111abcdef8.cloudfront.net",
                "distributionId": "EDFDVBD6EXAMPLE",
                "eventType": event_type,
                "requestId": "corsgen-audit",
            })
        };
        if let Some(function) = &self.viewer_request {
            let event = json!({
                "version": "1.0",
                "context": context("viewer-request"),
                "viewer": {"ip": "198.51.100.7"},
                "request": viewer_request,
            });
            let returned = match run_one(function, event) {
                Ok(v) => v,
                Err(answer) => return answer,
            };
            if let Some(response) = response_of(&returned) {
                return Answer::Response(response, Source::Config(function.at.clone()));
            }
            viewer_request = returned;
        }
        let Some(function) = &self.viewer_response else {
            return Answer::Unknown("the distribution's origin answers".into());
        };
        let mut origin_headers = Map::new();
        if self.origin_sends_cors {
            if let Some(origin) = request.header("origin") {
                origin_headers.insert(
                    "access-control-allow-origin".into(),
                    json!({ "value": origin }),
                );
                origin_headers.insert("vary".into(), json!({ "value": "Origin" }));
            }
        }
        let event = json!({
            "version": "1.0",
            "context": context("viewer-response"),
            "viewer": {"ip": "198.51.100.7"},
            "request": viewer_request,
            "response": {"statusCode": 200, "statusDescription": "OK", "headers": origin_headers, "cookies": {}},
        });
        match run_one(function, event) {
            Ok(returned) => match response_of(&returned) {
                Some(response) => Answer::Response(response, Source::Config(function.at.clone())),
                None => Answer::Unknown(
                    "not evaluated: the viewer-response function returns no response".into(),
                ),
            },
            Err(answer) => answer,
        }
    }
}
