//! SERVE: the deployed CORS behaviour on a laptop. A reverse proxy in front of a local upstream
//! (a dev server, `sam local start-api`, serverless-offline) that answers CORS exactly as the
//! engine, and so every generated artifact, does.
//!
//! Input: a valid policy (with its environment), the upstream's URL, where to listen. Output:
//! for every request, the answer and an [`Event`]: what answered it and what the browser makes
//! of it (its verdict and Chromium's console message, from the same browser model as `check`),
//! with the policy fix for a block. Guarantee:
//! - a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered here,
//!   as the OPTIONS method, the Lambda snippets and the CloudFront Function answer it; it never
//!   reaches the upstream;
//! - every other request goes on (any token method, streamed body, `Host` the upstream's) and
//!   its answer keeps everything but the upstream's own `Access-Control-*` headers, replaced by
//!   the engine's; `Vary` gains `Origin`;
//! - with API Gateway REST artifacts, an upstream error (4XX, 5XX) carries what the deployed
//!   gateway responses send ([`Errors::Gateway`], the default; [`Errors::Handler`] gives the
//!   route's headers instead, as a Lambda proxy returning the error itself does); an upstream that
//!   cannot be reached is answered 502 (504 on a time-out) as INTEGRATION_FAILURE
//!   (INTEGRATION_TIMEOUT);
//! - `Access-Control-Allow-Origin` only ever carries an origin the policy allows (or the
//!   gateway responses' own value, which the policy chose).
//!
//! Here: the server loop and each exchange. Apart: `wire` (HTTP/1.1 towards the browser),
//! `upstream` (forwarding), `output` (the log, for people and for tools).

mod output;
mod upstream;
mod wire;

use std::io::{BufReader, BufWriter};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

pub use output::{human, json};

use crate::browser::{
    check_access, check_preflight, readable_headers, CorsError, Credentials, Engine, FetchRequest,
    Initiator, Response,
};
use crate::check::{policy_fixes, Fix, PolicyPlace};
use crate::engine::{self, Decision};
use crate::model::Policy;
use crate::{Failure, Loaded};
use wire::{Framing, Head, Out, ReadError};

/// The most of an unread request body the proxy reads and drops to keep a connection alive.
const DRAIN_LIMIT: u64 = 1024 * 1024;

/// How long a connection may wait for the browser's next bytes.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// How upstream errors (4XX, 5XX) are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Errors {
    /// As API Gateway's own errors are: with the gateway responses' headers (when the policy
    /// has API Gateway REST artifacts).
    Gateway,
    /// As a handler's answer is: with the route's headers (a Lambda proxy integration returning
    /// the error itself, through corsgen's Lambda snippet).
    Handler,
}

/// What `serve` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The upstream's base URL: requests go to it with their path and query appended.
    pub upstream: url::Url,
    /// Where to listen.
    pub listen: SocketAddr,
    /// How long to wait for the upstream to connect and to send its response head.
    pub timeout: Duration,
    /// How upstream errors are answered.
    pub errors: Errors,
}

/// The upstream's base URL from `--upstream`.
///
/// # Errors
/// A usage failure unless it is an absolute http(s) URL without a query or fragment.
pub fn upstream_url(text: &str) -> Result<url::Url, Failure> {
    let url = crate::address::parse_http(text).ok_or_else(|| {
        Failure::usage(format!(
            "--upstream `{text}` is not an absolute http:// or https:// URL (e.g. http://127.0.0.1:3000)"
        ))
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Failure::usage(format!(
            "--upstream `{text}` has a query or fragment; give the base URL each request's path is appended to"
        )));
    }
    Ok(url)
}

/// The address from `--listen`: `IP:PORT`, or `HOST:PORT` for a name this machine resolves
/// (`localhost:8787`: its first address).
///
/// # Errors
/// A usage failure for anything else.
pub fn listen_address(text: &str) -> Result<SocketAddr, Failure> {
    use std::net::ToSocketAddrs as _;
    text.parse()
        .ok()
        .or_else(|| text.to_socket_addrs().ok()?.next())
        .ok_or_else(|| {
            Failure::usage(format!(
                "--listen `{text}` is not IP:PORT or HOST:PORT (e.g. 127.0.0.1:8787; port 0 picks a free one)"
            ))
        })
}

/// Who answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The proxy, for a preflight, as the artifacts' OPTIONS answer.
    Preflight,
    /// The upstream, with the engine's headers.
    Upstream,
    /// The upstream's error, with a gateway response's headers.
    GatewayResponse,
    /// The proxy: the upstream gave no answer (502, or 504 after the time-out).
    Unreachable,
    /// The proxy: the request could not be read (400).
    BadRequest,
}

/// What the browser makes of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judged {
    /// A cross-origin request the page can read (a preflight the browser accepts).
    Allowed,
    /// A cross-origin request the browser blocks.
    Blocked,
    /// `Origin` is the proxy's own: no CORS check.
    SameOrigin,
    /// No `Origin`: a navigation, a same-origin GET, a tool such as curl.
    NoOrigin,
}

/// The gateway response whose headers an upstream error carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayUsed {
    /// The type API Gateway answers this error with.
    pub response_type: &'static str,
    /// The configured type whose headers it carries (`None`: no CORS headers at all).
    pub applies: Option<&'static str>,
}

/// One request through the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When it was answered: `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    /// The method, as received.
    pub method: String,
    /// The URL the page fetched (the proxy's).
    pub url: String,
    /// The rule that answered: a `[[route]]` or `[cors]`, with where it is written.
    pub rule: String,
    /// The `Origin` header.
    pub origin: Option<String>,
    /// For a preflight: the method it asks for.
    pub preflight_method: Option<String>,
    /// For a preflight: the headers it asks for.
    pub preflight_headers: Vec<String>,
    /// The status sent to the browser.
    pub status: u16,
    /// Who answered.
    pub source: Source,
    /// For an upstream error under [`Errors::Gateway`] (or an upstream that gave no answer): the
    /// gateway response.
    pub gateway_response: Option<GatewayUsed>,
    /// Why the upstream gave no answer, or why the request could not be read.
    pub problem: Option<String>,
    /// The browser's verdict.
    pub verdict: Judged,
    /// The credentials mode judged: `include` when the request carried a cookie (a preflight
    /// never tells).
    pub credentials: Credentials,
    /// Chromium's error, when blocked.
    pub error: Option<CorsError>,
    /// Chromium's console message, when blocked.
    pub message: Option<String>,
    /// The message had the script used `credentials: 'include'`, when the request cannot tell
    /// and it differs.
    pub message_with_credentials: Option<String>,
    /// Response headers the page can read, when allowed (lowercase).
    pub readable_headers: Vec<String>,
    /// What to change in the policy.
    pub fixes: Vec<Fix>,
}

impl Event {
    /// A request answered now with `status` by `source`, with nothing known of it yet (a
    /// request without `Origin` is judged no further).
    fn answered(status: u16, source: Source) -> Event {
        Event {
            time: now(),
            method: String::new(),
            url: String::new(),
            rule: String::new(),
            origin: None,
            preflight_method: None,
            preflight_headers: Vec::new(),
            status,
            source,
            gateway_response: None,
            problem: None,
            verdict: Judged::NoOrigin,
            credentials: Credentials::Omit,
            error: None,
            message: None,
            message_with_credentials: None,
            readable_headers: Vec::new(),
            fixes: Vec::new(),
        }
    }
}

/// Counts kept while serving.
#[derive(Debug, Default)]
struct Counts {
    requests: AtomicUsize,
    cross_origin: AtomicUsize,
    blocked: AtomicUsize,
}

/// What `serve` saw before it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Requests answered.
    pub requests: usize,
    /// Cross-origin ones among them (preflights included).
    pub cross_origin: usize,
    /// Cross-origin ones the browser blocks.
    pub blocked: usize,
}

/// A change of the policy file seen while serving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyChange {
    /// When it was seen: `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    /// The file.
    pub file: String,
    /// Whether the new text is valid and now answers; otherwise the previous policy still does.
    pub valid: bool,
    /// Its diagnostics, rendered for people (empty when there are none).
    pub diagnostics: String,
    /// `file: valid (0 errors, 1 warning)`.
    pub summary: String,
}

/// What the proxy logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A request and its answer.
    Request(Box<Event>),
    /// The policy file changed, and was read again.
    Policy(PolicyChange),
}

/// The policy that answers, and the file's state when it was read.
struct Current {
    loaded: Arc<Loaded>,
    stamp: Option<(std::time::SystemTime, u64)>,
}

/// The modification time and length of `path`, to notice an edit.
fn stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Everything the connection threads share.
struct Shared {
    current: std::sync::RwLock<Current>,
    path: std::path::PathBuf,
    env: Option<String>,
    options: Options,
    agent: ureq::Agent,
    listen: SocketAddr,
    counts: Counts,
    log: Box<dyn Fn(&Entry) + Send + Sync>,
    /// Set when stopping: no further request is answered.
    stopping: Arc<AtomicBool>,
    /// Requests being answered now.
    busy: AtomicUsize,
}

/// How long stopping waits for the requests being answered to finish (and be logged).
const FINISH_WAIT: Duration = Duration::from_secs(5);

/// A bound proxy, not yet serving.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

/// Stops a running [`Server`] from another thread (a signal handler).
#[derive(Debug, Clone)]
pub struct Stopper {
    stopping: Arc<AtomicBool>,
    address: SocketAddr,
}

impl Stopper {
    /// Makes [`Server::run`] return: no new connection is taken.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept call.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
    }
}

impl Server {
    /// Binds `options.listen` for the valid policy in `loaded`, read from `path` (with
    /// environment `env`). `log` receives every request's [`Event`] and every change of the
    /// policy file (read again before the next request: a valid edit answers from then on, an
    /// invalid one is reported and the previous policy goes on answering), from the connection
    /// threads.
    ///
    /// # Errors
    /// An invalid-input failure when the policy is invalid; an I/O failure when the address
    /// cannot be bound (in use, not this machine's).
    pub fn bind(
        loaded: Loaded,
        path: &std::path::Path,
        env: Option<String>,
        options: Options,
        log: Box<dyn Fn(&Entry) + Send + Sync>,
    ) -> Result<Server, Failure> {
        if PolicyPlace::of(&loaded, env.as_deref()).is_none() {
            return Err(crate::commands::invalid(&loaded));
        }
        let listener = TcpListener::bind(options.listen)
            .with_context(|| format!("cannot listen on {} (--listen)", options.listen))
            .map_err(Failure::io)?;
        let listen = listener
            .local_addr()
            .context("cannot read the listening address")
            .map_err(Failure::io)?;
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                agent: upstream::agent(options.timeout),
                current: std::sync::RwLock::new(Current {
                    loaded: Arc::new(loaded),
                    stamp: stamp(path),
                }),
                path: path.to_path_buf(),
                env,
                options,
                listen,
                counts: Counts::default(),
                log,
                stopping: Arc::new(AtomicBool::new(false)),
                busy: AtomicUsize::new(0),
            }),
        })
    }

    /// The address it listens on (with the port chosen for port 0).
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.shared.listen
    }

    /// A handle that stops [`Server::run`].
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        let mut address = self.shared.listen;
        if address.ip().is_unspecified() {
            address.set_ip(match address {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        Stopper {
            stopping: Arc::clone(&self.shared.stopping),
            address,
        }
    }

    /// Serves until the [`Stopper`] stops it, one thread per connection; then waits a few
    /// seconds for the requests being answered (every one is logged before this returns, unless
    /// the upstream takes longer), and answers no other.
    #[must_use]
    pub fn run(self) -> Summary {
        for stream in self.listener.incoming() {
            if self.shared.stopping.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else {
                // Out of file descriptors, say: wait rather than spin.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            let shared = Arc::clone(&self.shared);
            std::thread::spawn(move || shared.connection(stream));
        }
        let waited = std::time::Instant::now();
        while self.shared.busy.load(Ordering::SeqCst) > 0 && waited.elapsed() < FINISH_WAIT {
            std::thread::sleep(Duration::from_millis(10));
        }
        let counts = &self.shared.counts;
        Summary {
            requests: counts.requests.load(Ordering::SeqCst),
            cross_origin: counts.cross_origin.load(Ordering::SeqCst),
            blocked: counts.blocked.load(Ordering::SeqCst),
        }
    }
}

/// An answer and what the browser sees of it, before it is logged.
struct Answered {
    status: u16,
    headers: Vec<(String, String)>,
    source: Source,
    gateway: Option<GatewayUsed>,
    problem: Option<String>,
    /// For an upstream error answered with a gateway response's headers: the headers the
    /// route's rule gives instead (as a Lambda proxy's own error carries them).
    as_handler: Option<Vec<(String, String)>>,
}

impl Shared {
    /// The policy that answers now: the file read again when it changed since it was last
    /// read, when that text is valid.
    fn current(&self) -> Arc<Loaded> {
        let seen = stamp(&self.path);
        {
            let current = self.current.read().unwrap_or_else(|e| e.into_inner());
            if current.stamp == seen {
                return Arc::clone(&current.loaded);
            }
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.stamp == seen {
            return Arc::clone(&current.loaded);
        }
        current.stamp = seen;
        let file = self.path.display().to_string();
        let change = match crate::load(&self.path, self.env.as_deref()) {
            Ok(loaded) => {
                let valid = PolicyPlace::of(&loaded, self.env.as_deref()).is_some();
                let change = PolicyChange {
                    time: now(),
                    file,
                    valid,
                    diagnostics: if loaded.diagnostics.is_empty() {
                        String::new()
                    } else {
                        crate::report::rendered(&loaded.source, &loaded.diagnostics, false)
                    },
                    summary: crate::report::summary(&loaded.source, &loaded.diagnostics),
                };
                if valid {
                    current.loaded = Arc::new(loaded);
                }
                change
            }
            // Unreadable for now (an editor replacing the file, an unknown --env): keep going.
            Err(failure) => PolicyChange {
                time: now(),
                summary: format!("{file}: cannot be read: {failure}"),
                file,
                valid: false,
                diagnostics: String::new(),
            },
        };
        (self.log)(&Entry::Policy(change));
        Arc::clone(&current.loaded)
    }

    /// Serves one connection: request after request while it is kept alive.
    fn connection(&self, stream: TcpStream) {
        let client = stream.peer_addr().ok().map(|a| a.ip());
        let _ = stream.set_nodelay(true);
        // A connection the browser keeps idle ends, and with it its thread.
        let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
        let Ok(write_half) = stream.try_clone() else {
            return;
        };
        let mut writer = BufWriter::new(write_half);
        let mut reader = BufReader::new(stream);
        loop {
            let (head, framing) = match wire::read_head(&mut reader) {
                Ok(read) => read,
                Err(ReadError::Closed) => return,
                Err(ReadError::Bad(why)) => {
                    self.bad_request(&mut writer, why);
                    return;
                }
            };
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            self.busy.fetch_add(1, Ordering::SeqCst);
            let mut body = wire::Body::new(&mut reader, framing);
            let keep = self.exchange(&head, framing, &mut body, &mut writer, client);
            self.busy.fetch_sub(1, Ordering::SeqCst);
            // A body the upstream never read (a preflight's, a failed upstream's) is dropped,
            // or the connection closed, so the next request starts where it should.
            let drained = body.finished() || body.drain(DRAIN_LIMIT);
            if !keep || !drained || head.wants_close() {
                return;
            }
        }
    }

    fn bad_request(&self, writer: &mut impl std::io::Write, why: String) {
        let text = format!("400 Bad Request: {why}\n");
        let headers = vec![(
            "Content-Type".to_string(),
            "text/plain; charset=utf-8".to_string(),
        )];
        let _ = wire::write_head(writer, 400, &headers, Out::Length(text.len() as u64), true)
            .and_then(|()| writer.write_all(text.as_bytes()))
            .and_then(|()| writer.flush());
        self.counts.requests.fetch_add(1, Ordering::SeqCst);
        (self.log)(&Entry::Request(Box::new(Event {
            problem: Some(why),
            ..Event::answered(400, Source::BadRequest)
        })));
    }

    /// Answers one request; false when the connection must close after it.
    fn exchange(
        &self,
        head: &Head,
        framing: Framing,
        body: &mut dyn std::io::Read,
        writer: &mut impl std::io::Write,
        client: Option<std::net::IpAddr>,
    ) -> bool {
        let loaded = self.current();
        // `bind` and `current` keep only a valid policy.
        let Some(place) = PolicyPlace::of(&loaded, self.env.as_deref()) else {
            return false;
        };
        let policy = place.policy;
        let path = head.path();
        let origin = head.header("origin");
        let asked = head.header("access-control-request-method");
        let decision = engine::decide(
            policy,
            &engine::Request {
                method: &head.method,
                path,
                origin: origin.as_deref(),
                request_method: asked.as_deref(),
            },
        );
        let head_only = head.method == "HEAD";
        let mut keep = true;
        let answered = if let Some(status) = decision.preflight_status {
            let answered = Answered {
                status,
                headers: owned(&decision.headers),
                source: Source::Preflight,
                gateway: None,
                problem: None,
                as_handler: None,
            };
            let out = if status == 204 {
                Out::Empty
            } else {
                Out::Length(0)
            };
            keep &= wire::write_head(writer, status, &answered.headers, out, false)
                .and_then(|()| writer.flush())
                .is_ok();
            answered
        } else {
            // A client waiting for `100 Continue` before its body gets it here: the upstream
            // never sees `Expect`.
            let expects = head
                .header("expect")
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("100-continue"));
            if expects && framing != Framing::None && head.http11 {
                let _ = writer
                    .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .and_then(|()| writer.flush());
            }
            let mut tracked = Tracked {
                inner: body,
                failed: false,
            };
            let sent = upstream::forward(
                &self.agent,
                &self.options.upstream,
                head,
                framing,
                &mut tracked,
                client,
                self.options.timeout,
            );
            match sent {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let (kept, length) = response_headers(response.headers());
                    let (cors, gateway) =
                        self.error_headers(policy, &decision, status, origin.as_deref(), None);
                    let answered = Answered {
                        status,
                        headers: engine::finalize_response(&cors, &kept),
                        source: if gateway.is_some() {
                            Source::GatewayResponse
                        } else {
                            Source::Upstream
                        },
                        as_handler: gateway
                            .is_some()
                            .then(|| engine::finalize_response(&decision, &kept)),
                        gateway,
                        problem: None,
                    };
                    let out = match (length, head.http11) {
                        _ if head_only || matches!(status, 100..=199 | 204 | 304) => {
                            // A HEAD answer keeps the length the GET would have.
                            Out::Empty
                        }
                        (Some(n), _) => Out::Length(n),
                        (None, true) => Out::Chunked,
                        (None, false) => Out::UntilClose,
                    };
                    let mut headers = answered.headers.clone();
                    if let (Some(n), true) = (length, head_only) {
                        headers.push(("Content-Length".to_string(), n.to_string()));
                    }
                    let mut reader = response.body_mut().as_reader();
                    keep &= wire::write_head(writer, status, &headers, out, false)
                        .and_then(|()| wire::write_body(writer, &mut reader, out))
                        .is_ok()
                        && out != Out::UntilClose;
                    answered
                }
                Err(failed) => {
                    // The browser's own body could not be read: its request, not the upstream,
                    // failed; the connection closes after the answer.
                    let (status, kind, cause) = if tracked.failed {
                        keep = false;
                        (
                            400,
                            None,
                            "the request body is malformed or ended early".to_string(),
                        )
                    } else {
                        let (status, kind) = match failed {
                            upstream::Failed::Timeout(_) => (504, "INTEGRATION_TIMEOUT"),
                            upstream::Failed::Unreachable(_) => (502, "INTEGRATION_FAILURE"),
                        };
                        (status, Some(kind), failed.cause().to_string())
                    };
                    let (cors, gateway) =
                        self.error_headers(policy, &decision, status, origin.as_deref(), kind);
                    let text = serde_json::json!({ "message": format!("corsgen serve: {cause}") })
                        .to_string();
                    let mut headers =
                        vec![("Content-Type".to_string(), "application/json".to_string())];
                    headers = engine::finalize_response(&cors, &headers);
                    let out = Out::Length(text.len() as u64);
                    keep &= wire::write_head(writer, status, &headers, out, false)
                        .and_then(|()| {
                            if !head_only {
                                writer.write_all(text.as_bytes())?;
                            }
                            writer.flush()
                        })
                        .is_ok();
                    Answered {
                        status,
                        headers,
                        source: if tracked.failed {
                            Source::BadRequest
                        } else {
                            Source::Unreachable
                        },
                        gateway,
                        problem: Some(cause),
                        as_handler: None,
                    }
                }
            }
        };
        self.log(&place, head, &answered, origin, asked);
        keep
    }

    /// The CORS headers an answer of `status` carries: for an error under
    /// [`Errors::Gateway`] with API Gateway REST artifacts, those of the gateway response
    /// (`kind`, else the types API Gateway answers `status` with: the first a cross-origin
    /// page cannot read, else the first, as `check --status` shows); otherwise the route's.
    fn error_headers(
        &self,
        policy: &Policy,
        decision: &Decision,
        status: u16,
        origin: Option<&str>,
        kind: Option<&'static str>,
    ) -> (Decision, Option<GatewayUsed>) {
        let route = || (decision.clone(), None);
        if status < 400 || self.options.errors == Errors::Handler {
            return route();
        }
        let types = kind.map_or_else(|| engine::gateway_response_types_for(status), |k| vec![k]);
        let answers: Vec<engine::GatewayAnswer> = types
            .iter()
            .filter_map(|t| engine::gateway_response(policy, t, origin, Some(status)))
            .collect();
        let readable = |a: &engine::GatewayAnswer| {
            origin.is_none_or(|o| {
                check_access(
                    Engine::Chromium,
                    o,
                    Credentials::Omit,
                    &response(status, &owned(&a.headers)),
                )
                .is_ok()
            })
        };
        let Some(answer) = answers
            .iter()
            .find(|a| !readable(a))
            .or_else(|| answers.first())
        else {
            return route();
        };
        (
            Decision {
                preflight_status: None,
                headers: answer.headers.clone(),
            },
            Some(GatewayUsed {
                response_type: answer.response_type,
                applies: answer.applies,
            }),
        )
    }

    /// Judges the answer as the browser does and hands the event to the log.
    fn log(
        &self,
        place: &PolicyPlace<'_>,
        head: &Head,
        answered: &Answered,
        origin: Option<String>,
        asked: Option<String>,
    ) {
        let host = head
            .header("host")
            .unwrap_or_else(|| self.listen.to_string());
        let url = format!("http://{host}{}", head.target);
        let path = head.path();
        let preflight = answered.source == Source::Preflight;
        let preflight_headers: Vec<String> = head
            .header("access-control-request-headers")
            .filter(|_| preflight)
            .map(|v| {
                v.split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let cookie = head.header("cookie").is_some();
        let mut event = Event {
            method: head.method.clone(),
            url: url.clone(),
            rule: place.rule_name(path),
            origin: origin.clone(),
            preflight_method: asked.clone().filter(|_| preflight),
            preflight_headers: preflight_headers.clone(),
            gateway_response: answered.gateway.clone(),
            problem: answered.problem.clone(),
            credentials: if cookie && !preflight {
                Credentials::Include
            } else {
                Credentials::Omit
            },
            ..Event::answered(answered.status, answered.source)
        };
        self.counts.requests.fetch_add(1, Ordering::SeqCst);
        let Some(origin) = origin else {
            return (self.log)(&Entry::Request(Box::new(event)));
        };
        if origin == format!("http://{host}") {
            event.verdict = Judged::SameOrigin;
            return (self.log)(&Entry::Request(Box::new(event)));
        }
        self.counts.cross_origin.fetch_add(1, Ordering::SeqCst);
        let answer = response(answered.status, &answered.headers);
        let request = |credentials| FetchRequest {
            engine: crate::browser::Engine::Chromium,
            url: url.clone(),
            origin: origin.clone(),
            method: if preflight {
                asked.clone().unwrap_or_default()
            } else {
                head.method.clone()
            },
            headers: preflight_headers
                .iter()
                .map(|n| (n.clone(), "1".to_string()))
                .collect(),
            credentials,
            initiator: Initiator::Fetch,
        };
        let judge = |credentials| {
            let request = request(credentials);
            let result = if preflight {
                check_preflight(&request, &answer).map(|_| ())
            } else {
                check_access(Engine::Chromium, &origin, credentials, &answer)
            };
            (request, result)
        };
        let (request, result) = judge(event.credentials);
        match result {
            Ok(()) => {
                event.verdict = Judged::Allowed;
                if !preflight {
                    event.readable_headers = readable_headers(event.credentials, &answer);
                }
            }
            Err(blocked) => {
                self.counts.blocked.fetch_add(1, Ordering::SeqCst);
                event.verdict = Judged::Blocked;
                event.error = Some(blocked.error);
                event.message =
                    Some(blocked.console_message(&url, &url, &origin, Initiator::Fetch));
                let serialized =
                    origin == "null" || crate::address::origin(&origin).as_deref() == Some(&origin);
                event.fixes = match &answered.gateway {
                    // A client that is no browser (curl, a test) may send anything.
                    _ if !serialized => vec![Fix {
                        message: format!(
                            "`{origin}` is not an origin a browser sends (browsers send scheme://host[:port], lowercase, without a path or a default port): no policy change"
                        ),
                        location: None,
                    }],
                    None => policy_fixes(place, &request, &blocked, path),
                    Some(gateway) => {
                        let how = if gateway.response_type.starts_with("INTEGRATION_") {
                            format!("--gateway-response {}", gateway.response_type)
                        } else {
                            format!("--status {}", answered.status)
                        };
                        let mut fixes = vec![Fix {
                            message: format!(
                                "API Gateway answers this error itself; `corsgen check {} --origin {origin} --url {url} {how}` explains the gateway response and its fix",
                                place.source.path
                            ),
                            location: None,
                        }];
                        // The same status from the upstream's own handler is not API Gateway's.
                        if let Some(route) = &answered.as_handler {
                            let ours = response(answered.status, route);
                            if check_access(Engine::Chromium, &origin, event.credentials, &ours).is_ok() {
                                fixes.push(Fix {
                                    message: format!(
                                        "if the upstream's handler sent this {} itself (a Lambda proxy's own error, not API Gateway's), the deployed API answers it with the route's headers, which this page can read: run serve with --errors handler to see that",
                                        answered.status
                                    ),
                                    location: None,
                                });
                            }
                        }
                        fixes
                    }
                };
            }
        }
        if event.credentials == Credentials::Omit && !cookie {
            let (_, with) = judge(Credentials::Include);
            let with = with
                .err()
                .map(|b| b.console_message(&url, &url, &origin, Initiator::Fetch));
            if with != event.message {
                event.message_with_credentials = with;
            }
        }
        (self.log)(&Entry::Request(Box::new(event)));
    }
}

/// The upstream's response headers the browser gets (every one but those of the connection
/// and its framing), each byte one character; and its `Content-Length`.
fn response_headers(headers: &ureq::http::HeaderMap) -> (Vec<(String, String)>, Option<u64>) {
    let mut kept = Vec::new();
    let mut length = None;
    let connection: Vec<&str> = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let connection = connection.join(",");
    for (name, value) in headers {
        let name = name.as_str();
        if name == "content-length" {
            length = value.to_str().ok().and_then(|v| v.trim().parse().ok());
            continue;
        }
        if upstream::hop_by_hop(name, &connection) {
            continue;
        }
        kept.push((
            name.to_string(),
            value.as_bytes().iter().copied().map(char::from).collect(),
        ));
    }
    (kept, length)
}

fn owned(headers: &[(&'static str, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| ((*n).to_string(), v.clone()))
        .collect()
}

fn response(status: u16, headers: &[(String, String)]) -> Response {
    Response {
        status,
        headers: headers.to_vec(),
    }
}

/// The time now, `YYYY-MM-DDTHH:MM:SSZ` (UTC, RFC 3339).
fn now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The browser's request body as the upstream reads it, remembering whether reading it failed
/// (a malformed chunk, a body shorter than its length): the browser's fault, not the upstream's.
struct Tracked<'a> {
    inner: &'a mut dyn std::io::Read,
    failed: bool,
}

impl std::io::Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf);
        self.failed |= read.is_err();
        read
    }
}
