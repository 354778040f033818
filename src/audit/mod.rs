//! `corsgen audit`: reads the CORS people already defined (CloudFormation and SAM templates,
//! CDK's and the Serverless Framework's synthesized templates, OpenAPI exports with API Gateway's
//! extensions), runs what each surface answers to crafted browser requests, and reports every
//! defect as a finding with a stable code, a severity, the request that shows it, what Chromium
//! prints for it and the fix. With a policy it also reports drift from that policy.
//!
//! Stages: `tree` parses an input into a positioned tree, `read` finds the surfaces in it,
//! `rest` (with `vtl`) answers requests the way API Gateway does, `findings` probes each surface,
//! `drift` compares the answers with the engine's, `output` renders the report.

pub mod answer;
pub mod cloudfront;
pub mod drift;
pub mod findings;
pub mod import;
pub mod js;
pub mod output;
pub mod read;
pub mod rest;
pub mod terraform;
pub mod tree;
pub mod vtl;

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::model::Policy;
use crate::Failure;

/// Where a surface or a value is defined: `file:line:col`, and its path inside the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The input file.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
    /// The path inside the document (`Resources.Api.Properties.Body.paths./.options`).
    pub path: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// The platform a static CORS configuration belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// HTTP API `corsConfiguration`.
    HttpApi,
    /// An S3 bucket's CORS rule.
    S3,
    /// A Lambda function URL's `Cors`.
    FunctionUrl,
    /// A CloudFront response headers policy's `CorsConfig`.
    ResponseHeadersPolicy,
}

impl Platform {
    /// The platform in words.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Platform::HttpApi => "HTTP API",
            Platform::S3 => "S3 bucket",
            Platform::FunctionUrl => "function URL",
            Platform::ResponseHeadersPolicy => "response headers policy",
        }
    }

    /// corsgen's target for it.
    #[must_use]
    pub fn target(self) -> &'static str {
        match self {
            Platform::HttpApi => "http-api",
            Platform::S3 => "s3",
            Platform::FunctionUrl => "function-url",
            Platform::ResponseHeadersPolicy => "response-headers-policy",
        }
    }

    /// Every platform.
    pub const ALL: [Platform; 4] = [
        Platform::HttpApi,
        Platform::S3,
        Platform::FunctionUrl,
        Platform::ResponseHeadersPolicy,
    ];
}

/// A static CORS configuration: the platform answers as it is configured.
#[derive(Debug, Clone)]
pub struct StaticCors {
    /// Its platform.
    pub platform: Platform,
    /// The API, bucket, function or policy.
    pub name: String,
    /// Where the configuration is.
    pub at: Location,
    /// Allowed origins as written, each with its location.
    pub origins: Vec<(String, Location)>,
    /// Credentials allowed.
    pub credentials: bool,
    /// Allowed methods.
    pub methods: Vec<String>,
    /// Allowed request headers.
    pub headers: Vec<String>,
    /// Exposed response headers.
    pub expose: Vec<String>,
    /// Max-age, seconds.
    pub max_age: Option<i64>,
}

/// A CloudFront cache policy (or a managed one a behavior names), and whether `Origin` is in
/// its cache key.
#[derive(Debug, Clone)]
pub struct CachePolicy {
    /// Its name or id.
    pub name: String,
    /// Where it is defined or named.
    pub at: Location,
    /// True when requests from different origins get different cache entries.
    pub origin_in_key: bool,
}

/// Every surface found in the inputs.
#[derive(Debug, Clone, Default)]
pub struct Surfaces {
    /// REST APIs.
    pub rest: Vec<rest::RestApi>,
    /// Static CORS configurations (HTTP API, S3, function URL, response headers policy).
    pub configs: Vec<StaticCors>,
    /// CloudFront cache policies.
    pub cache_policies: Vec<CachePolicy>,
    /// CloudFront cache behaviors with functions, and functions on their own.
    pub cloudfront: Vec<cloudfront::Behavior>,
    /// CloudFront KeyValueStore import files (`{"data": [{"key", "value"}]}`), as JSON text.
    pub stores: Vec<String>,
    /// Two layers that each add `Access-Control-Allow-Origin` (a function URL's CORS and the
    /// function's inline code), and what they are.
    pub layers: Vec<(Location, String)>,
    /// Surfaces the input defines in a form audit does not read, and why.
    pub unread: Vec<(Location, String)>,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; nothing is broken (a deviation the policy declares, say).
    Note,
    /// Some requests fail or a response is less safe than it should be.
    Warning,
    /// Requests a browser makes fail, or an origin that should be refused is allowed.
    Error,
    /// Any origin can read responses sent with the user's credentials.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        })
    }
}

/// A request that shows a finding, and what the surface answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repro {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// Headers sent.
    pub headers: Vec<(String, String)>,
    /// The status answered.
    pub status: u16,
    /// The headers answered.
    pub response_headers: Vec<(String, String)>,
}

/// One defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code (see docs/audit.md).
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The surface, in words.
    pub surface: String,
    /// Where the surface (or the value at fault) is defined.
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// The request that shows it.
    pub request: Option<Repro>,
    /// What Chromium prints for that request (`None` when Chromium lets it through).
    pub chromium: Option<String>,
    /// How to fix it.
    pub fix: String,
}

/// What audit found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The inputs read.
    pub inputs: Vec<String>,
    /// The surfaces found, in words with their locations.
    pub surfaces: Vec<String>,
    /// Every finding, worst first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when a finding is at or above `level`.
    #[must_use]
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

/// Reads one input into its surfaces.
///
/// # Errors
/// Unreadable input (I/O), or input that is not YAML or JSON (invalid).
pub fn read_input(path: &Path) -> Result<Surfaces, Failure> {
    if path.extension().is_some_and(|e| e == "js") {
        return read_function(path);
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::io(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    let display = path.display().to_string();
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::invalid(format!("{display}: not UTF-8 text")))?;
    let root = tree::parse(&text).map_err(|e| {
        Failure::invalid(format!(
            "{display}:{}:{}: not YAML or JSON: {}",
            e.line, e.col, e.message
        ))
    })?;
    let surfaces = read::surfaces(&display, &root);
    if surfaces.rest.is_empty()
        && surfaces.stores.is_empty()
        && root.get("planned_values").is_none()
        && surfaces.configs.is_empty()
        && surfaces.cache_policies.is_empty()
        && surfaces.cloudfront.is_empty()
        && root.get("Resources").is_none()
        && root.get("paths").is_none()
    {
        return Err(Failure::invalid(format!(
            "{display}: neither a CloudFormation template (no Resources), an OpenAPI definition (no paths) nor an AWS CLI output audit reads"
        )));
    }
    Ok(surfaces)
}

/// The files of a folder of AWS CLI outputs (docs/audit.md names them): every `.json`, `.yaml`,
/// `.yml` and `.js` file in it, sorted.
fn folder(dir: &Path) -> Result<Vec<std::path::PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::io(anyhow::anyhow!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| matches!(e.to_str(), Some("json" | "yaml" | "yml" | "js")))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Failure::invalid(format!(
            "{}: no .json, .yaml or .js file to audit in this folder",
            dir.display()
        )));
    }
    Ok(files)
}

/// A CloudFront Function's code on its own (`aws cloudfront get-function … FILE.js`).
fn read_function(path: &Path) -> Result<Surfaces, Failure> {
    let display = path.display().to_string();
    let code = std::fs::read_to_string(path)
        .map_err(|e| Failure::io(anyhow::anyhow!("cannot read {display}: {e}")))?;
    let name = path
        .file_stem()
        .map_or_else(|| display.clone(), |s| s.to_string_lossy().to_string());
    let name = name
        .split_once('.')
        .map_or(name.clone(), |(_, name)| name.to_string());
    let at = Location {
        file: display,
        line: 1,
        col: 1,
        path: "$".into(),
    };
    Ok(Surfaces {
        cloudfront: vec![cloudfront::Behavior::alone(cloudfront::Function::new(
            &name, at, &code,
        ))],
        ..Surfaces::default()
    })
}

/// Audits `inputs`, and their drift from `policy` when one is given.
///
/// # Errors
/// See [`read_input`].
pub fn audit(inputs: &[std::path::PathBuf], policy: Option<&Policy>) -> Result<Report, Failure> {
    let (all, files) = read_all(inputs)?;
    Ok(judge(&all, &files, policy))
}

/// Every surface of `inputs` (a folder stands for its files), and the files read.
///
/// # Errors
/// See [`read_input`].
pub fn read_all(
    inputs: &[std::path::PathBuf],
) -> Result<(Surfaces, Vec<std::path::PathBuf>), Failure> {
    let mut all = Surfaces::default();
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut in_folder = Vec::new();
    for input in inputs {
        let listed = if input.is_dir() {
            folder(input)?
        } else {
            vec![input.clone()]
        };
        for file in listed {
            // The same file named twice is read once.
            if !files.contains(&file) {
                in_folder.push(input.is_dir());
                files.push(file);
            }
        }
    }
    for (input, in_folder) in files.iter().zip(in_folder) {
        let found = match read_input(input) {
            // In a folder, a file that is no input audit reads (a README, a saved report) is
            // named and skipped; named on the command line, it is an error.
            Err(failure) if in_folder && failure.kind == crate::FailureKind::Invalid => {
                all.unread.push((
                    Location {
                        file: input.display().to_string(),
                        line: 1,
                        col: 1,
                        path: "$".into(),
                    },
                    format!("skipped: {}", failure.error),
                ));
                continue;
            }
            other => other?,
        };
        all.rest.extend(found.rest);
        all.configs.extend(found.configs);
        all.cache_policies.extend(found.cache_policies);
        all.cloudfront.extend(found.cloudfront);
        all.stores.extend(found.stores);
        all.unread.extend(found.unread);
        all.layers.extend(found.layers);
    }
    // One store among the inputs is the one their functions read (CloudFront associates a
    // function with at most one); with several, which is whose is not in the inputs.
    if let [store] = all.stores.as_slice() {
        let store = std::rc::Rc::new(store.clone());
        for behavior in &mut all.cloudfront {
            for function in [&mut behavior.viewer_request, &mut behavior.viewer_response]
                .into_iter()
                .flatten()
            {
                function.store = Some(store.clone());
            }
        }
    }
    Ok((all, files))
}

/// The findings for `all` (read from `files`), and its drift from `policy` when one is given.
#[must_use]
pub fn judge(all: &Surfaces, files: &[std::path::PathBuf], policy: Option<&Policy>) -> Report {
    let mut findings = Vec::new();
    let mut surfaces = Vec::new();
    for api in &all.rest {
        surfaces.push(format!("REST API {} at {}", api.name, api.at));
        findings.extend(findings::rest(api, policy));
    }
    for cors in &all.configs {
        surfaces.push(format!(
            "{} {} CORS at {}",
            cors.platform.name(),
            cors.name,
            cors.at
        ));
        findings.extend(findings::configuration(cors));
    }
    for policy in &all.cache_policies {
        surfaces.push(format!("cache policy {} at {}", policy.name, policy.at));
    }
    findings.extend(findings::cache_keys(all));
    for behavior in &all.cloudfront {
        surfaces.push(format!("CloudFront {} at {}", behavior.name, behavior.at));
        findings.extend(findings::cloudfront(behavior, policy));
    }
    for (at, what) in &all.layers {
        findings.push(Finding {
            code: "two-layers",
            severity: Severity::Error,
            surface: at.path.clone(),
            location: at.clone(),
            message: what.clone(),
            request: None,
            chromium: None,
            fix: "let one layer own CORS: drop the function URL's Cors, or stop setting the headers in the function (corsgen's snippets leave them to the URL with `[lambda] cors-owner = \"function-url\"`)".into(),
        });
    }
    for (at, why) in &all.unread {
        findings.push(Finding {
            code: "not-evaluated",
            severity: Severity::Warning,
            surface: at.path.clone(),
            location: at.clone(),
            message: why.clone(),
            request: None,
            chromium: None,
            fix: "audit the processed template: aws cloudformation get-template --template-stage Processed".into(),
        });
    }
    if let Some(policy) = policy {
        findings.extend(drift::drift(all, policy));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.code.cmp(b.code))
    });
    findings.dedup();
    Report {
        inputs: files.iter().map(|p| p.display().to_string()).collect(),
        surfaces,
        findings,
    }
}
