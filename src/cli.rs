//! The command line: clap types only. Behaviour lives in the library; `main` maps outcomes to
//! exit codes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (warnings allowed); check/probe: the request is allowed; doctor: no failure found;
     serve: stopped by Ctrl-C or SIGTERM
  1  emit --check: files out of date or refused; check/probe: the browser blocks the request,
     or the script's call throws (a forbidden or malformed method or header); doctor: failures
     found; audit: a finding at or above --fail-on
  2  usage error (bad arguments, unknown --env, an origin no browser sends)
  3  invalid input: the policy has errors or is not UTF-8; doctor: a malformed or truncated HAR;
     audit/import: an input that is not YAML or JSON, or not one they read
  4  emit refused files it will not touch (nothing written); init/import: the file exists;
     I/O or internal error (probe:
     connection refused, DNS, timeout, TLS failure, an answer that is not HTTP; serve: the
     address cannot be listened on; a closed stdout)
With --format json, stdout holds exactly one JSON document (with schema_version) in every case;
serve writes one per line (JSON Lines): `listening`, then one per request, then `stopped`.";

/// Validate a CORS policy against the Fetch standard and what browsers enforce, then generate
/// every AWS artifact it needs, all agreeing with each other; explain CORS failures the way
/// Chromium, Firefox and Safari report them.
#[derive(Debug, Parser)]
#[command(name = "corsgen", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Colour diagnostics: `auto` on a terminal unless NO_COLOR is set, `always`, `never`.
    #[arg(long, value_enum, default_value_t, global = true, value_name = "WHEN")]
    pub(crate) color: Color,
    /// Hide warnings and progress (never a verdict, a finding or an error).
    #[arg(long, short = 'q', global = true)]
    pub(crate) quiet: bool,
}

/// When diagnostics are coloured.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum Color {
    /// On a terminal, unless the NO_COLOR environment variable is set (and not empty).
    #[default]
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum Format {
    /// For people: diagnostics (source line, caret, help) on stderr, results on stdout.
    #[default]
    Human,
    /// One JSON document on stdout.
    Json,
}

/// The browser engines `check` and `probe` judge a request in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Browser {
    /// Chromium, Firefox and WebKit, each with its verdict and console message.
    #[default]
    All,
    /// Chromium (Chrome, Edge, Opera, Brave).
    Chromium,
    /// Firefox.
    Firefox,
    /// WebKit (Safari, and every browser on iOS).
    Webkit,
}

impl Browser {
    /// The engines selected, in report order.
    pub(crate) fn engines(self) -> Vec<corsgen::browser::Engine> {
        use corsgen::browser::Engine;
        match self {
            Browser::All => Engine::ALL.to_vec(),
            Browser::Chromium => vec![Engine::Chromium],
            Browser::Firefox => vec![Engine::Firefox],
            Browser::Webkit => vec![Engine::Webkit],
        }
    }
}

/// How `audit` prints its report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditFormat {
    /// For people.
    #[default]
    Human,
    /// One JSON document on stdout.
    Json,
    /// SARIF 2.1.0 on stdout, for code scanning.
    Sarif,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check a policy and print every diagnostic.
    #[command(after_help = EXIT_CODES)]
    Validate {
        /// The policy file.
        policy: PathBuf,
        /// Apply the [env.NAME] overlay (default: check the base policy and every environment).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Generate every artifact of a policy into a directory. emit owns exactly the files it
    /// recorded in DIR/.corsgen-manifest.json: it never overwrites or deletes any other file
    /// (it refuses, names them and writes nothing), and writes all or nothing.
    #[command(after_help = EXIT_CODES)]
    Emit {
        /// The policy file.
        policy: PathBuf,
        /// Directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Apply the [env.NAME] overlay.
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// Write nothing; print what would change (files to remove or refused, then a diff) and
        /// exit 1 if DIR is out of date or a file is refused.
        #[arg(long)]
        check: bool,
        /// Take over files at generated paths that corsgen did not write (or that were changed
        /// by hand), and remove hand-edited files the manifest lists but the policy no longer
        /// produces. Never deletes a file the manifest does not list.
        #[arg(long)]
        force: bool,
        /// With --check: print the whole diff (default: the first 200 lines).
        #[arg(long, requires = "check")]
        full_diff: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Simulate a browser request against the policy: the preflight, the artifacts' answers,
    /// each browser engine's verdict and console messages, and the policy change that fixes a
    /// block.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// The policy file.
        policy: PathBuf,
        #[command(flatten)]
        request: RequestArgs,
        /// The resource path the route is matched on, as API Gateway sees it (no stage), e.g.
        /// /orders/7. Default: the path of --url without its stage, else /.
        #[arg(long)]
        path: Option<String>,
        /// The full URL the page fetches, as it appears in Chromium's message. An execute-api
        /// URL's first path segment is its stage, and is not part of the route's path. Default:
        /// https://api.example plus --path.
        #[arg(long)]
        url: Option<String>,
        /// The stage segment to remove from --url's path (`$default` has none).
        #[arg(long, value_name = "NAME", requires = "url", conflicts_with = "path")]
        stage: Option<String>,
        /// Answer the request with an error API Gateway sends itself (a gateway response), e.g.
        /// UNAUTHORIZED for a 401 from an authorizer, THROTTLED, DEFAULT_5XX.
        #[arg(long, value_name = "TYPE", conflicts_with = "status")]
        gateway_response: Option<String>,
        /// The same by status: every gateway-response type API Gateway answers it with, and the
        /// default each falls back to (401: UNAUTHORIZED → DEFAULT_4XX).
        #[arg(long, value_name = "CODE")]
        status: Option<u16>,
        /// Answer as this target really does, where it cannot give the engine's answer (a
        /// declared deviation, e.g. s3); without it, the engine answers and the report lists
        /// the emitted targets whose answer the browser judges otherwise. One of
        /// apigateway-rest, http-api, lambda, cloudfront, response-headers-policy, s3, function-url, alb.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        /// Apply the [env.NAME] overlay.
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Send the real preflight and actual request to a live endpoint and explain the answer as
    /// each browser engine would.
    #[command(after_help = EXIT_CODES)]
    Probe {
        /// The URL the page fetches.
        url: String,
        #[command(flatten)]
        request: RequestArgs,
        /// Also compare the live answers with what this policy requires.
        #[arg(long, value_name = "POLICY")]
        policy: Option<PathBuf>,
        /// Apply the [env.NAME] overlay of --policy.
        #[arg(long, value_name = "NAME", requires = "policy")]
        env: Option<String>,
        /// The stage segment of URL's path, for matching --policy's routes (default: an
        /// execute-api URL's first segment; `$default` has none).
        #[arg(long, value_name = "NAME", requires = "policy")]
        stage: Option<String>,
        /// Seconds to wait for each response.
        #[arg(
            long,
            default_value_t = 10.0,
            value_name = "SECONDS",
            allow_negative_numbers = true
        )]
        timeout: f64,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Explain every failed or failing cross-origin request in a HAR capture (HAR 1.2 from
    /// Chrome's, Firefox's or Safari's developer tools), with that browser's messages.
    #[command(after_help = EXIT_CODES)]
    Doctor {
        /// The HAR file.
        har: PathBuf,
        /// The policy the API should follow: adds policy fixes and names answers that differ.
        #[arg(long, value_name = "POLICY")]
        policy: Option<PathBuf>,
        /// Apply the [env.NAME] overlay of --policy.
        #[arg(long, value_name = "NAME", requires = "policy")]
        env: Option<String>,
        /// The stage segment of the captured URLs' paths, for matching --policy's routes
        /// (default: an execute-api URL's first segment; `$default` has none).
        #[arg(long, value_name = "NAME", requires = "policy")]
        stage: Option<String>,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Read the CORS an API already has (CloudFormation and SAM templates, CDK's cdk.out and
    /// the Serverless Framework's .serverless templates, OpenAPI exports with API Gateway's
    /// extensions), run what each surface answers to crafted browser requests, and report every
    /// defect with the request that shows it, what Chromium prints and the fix.
    #[command(after_help = EXIT_CODES)]
    Audit {
        /// What to read: CloudFormation/SAM templates and OpenAPI exports (YAML or JSON),
        /// Terraform plans (`terraform show -json`), CloudFront Function code (`.js`), or a
        /// folder of AWS CLI outputs (docs/audit.md).
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Also report where the inputs drift from this policy.
        #[arg(long, value_name = "POLICY")]
        policy: Option<PathBuf>,
        /// Apply the [env.NAME] overlay of --policy.
        #[arg(long, value_name = "NAME", requires = "policy")]
        env: Option<String>,
        /// Exit 1 when a finding is at or above this severity.
        #[arg(long, value_enum, value_name = "LEVEL", default_value = "warning")]
        fail_on: corsgen::audit::Severity,
        /// How to print the result: for people, one JSON document, or SARIF 2.1.0 for code
        /// scanning.
        #[arg(long, value_enum, default_value_t)]
        format: AuditFormat,
    },
    /// Write a starter policy from the CORS an API already has (the inputs `audit` reads): the
    /// origins, methods, headers, credentials and max-age its surfaces answer, the REST
    /// resources, the gateway-response choice, an environment per stage, and a comment where the
    /// input did something the policy refuses. The policy is validated before it is written.
    #[command(after_help = EXIT_CODES)]
    Import {
        /// The templates, definitions, plans or folders to read.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Write the policy to this new file (never over an existing one) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run a local reverse proxy that answers CORS exactly as the deployed artifacts do:
    /// preflights answered here, every other request sent on to UPSTREAM with the policy's
    /// headers in place of its own, each cross-origin request logged with the browser's
    /// verdict. The policy file is read again when it changes. Stops (exit 0) on Ctrl-C or
    /// SIGTERM.
    #[command(after_help = EXIT_CODES)]
    Serve {
        /// The policy file.
        policy: PathBuf,
        /// The server the requests go on to, e.g. http://127.0.0.1:3000 (`sam local
        /// start-api`, serverless-offline, a dev server); each request's path and query are
        /// appended to it.
        #[arg(long, value_name = "URL")]
        upstream: String,
        /// Where to listen: loopback by default; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8787", value_name = "IP:PORT")]
        listen: String,
        /// Apply the [env.NAME] overlay.
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// How upstream errors (4XX, 5XX) are answered: `gateway`, with the headers of
        /// API Gateway's gateway responses (errors API Gateway sends itself: authorizers,
        /// unknown routes, throttling, a failing integration); `handler`, with the route's
        /// headers (a Lambda proxy returning the error itself).
        #[arg(long, value_enum, default_value_t, value_name = "KIND")]
        errors: ErrorAnswers,
        /// Seconds to wait for the upstream to connect and answer (then 504, as API
        /// Gateway's 29-second integration timeout).
        #[arg(
            long,
            default_value_t = 29.0,
            value_name = "SECONDS",
            allow_negative_numbers = true
        )]
        timeout: f64,
        /// How to log: for people, or one JSON document per line (JSON Lines).
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the JSON Schema of the policy file.
    #[command(after_help = EXIT_CODES)]
    Schema,
    /// Print a shell completion script (e.g. `corsgen completions bash > ~/.local/share/bash-completion/completions/corsgen`).
    #[command(after_help = EXIT_CODES)]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `corsgen man > ~/.local/share/man/man1/corsgen.1`).
    #[command(after_help = EXIT_CODES)]
    Man,
    /// Write a starter policy (never overwrites).
    #[command(after_help = EXIT_CODES)]
    Init {
        /// Where to write it.
        #[arg(default_value = "corsgen.toml")]
        path: PathBuf,
    },
}

/// How `serve` answers upstream errors.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum ErrorAnswers {
    /// With the gateway responses' headers, as API Gateway's own errors.
    #[default]
    Gateway,
    /// With the route's headers, as a handler's own error response.
    Handler,
}

/// The request a page makes, shared by `check` and `probe`.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// The page's origin, exactly as a browser sends it (`https://app.example.com`, `null`).
    #[arg(long)]
    pub(crate) origin: String,
    /// The method the script uses, as written: the browser upper-cases only get, head, post,
    /// put, delete and options; `patch`, PURGE, PROPFIND and every other token go as written.
    #[arg(long, default_value = "GET", allow_hyphen_values = true)]
    pub(crate) method: String,
    /// A header the script sets, `NAME: VALUE` (a bare `NAME` sends the value `1`). Repeatable;
    /// a name given twice is sent once, its values joined with `, `, as browsers do.
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME[: VALUE]",
        allow_hyphen_values = true
    )]
    pub(crate) headers: Vec<String>,
    /// The request is made with `credentials: 'include'` (cookies, HTTP auth).
    #[arg(long)]
    pub(crate) credentials: bool,
    /// The request is an XMLHttpRequest rather than fetch() (changes the message's wording).
    #[arg(long)]
    pub(crate) xhr: bool,
    /// The browser engines to judge the request in, each with its verdict and, when it blocks,
    /// its console message word for word; exit 1 when any of them blocks.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) browser: Browser,
}
