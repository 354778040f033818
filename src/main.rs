//! The `corsgen` binary: parse arguments, call the library, print, map outcomes to exit codes.
//!
//! Exit codes are decided here and nowhere else: 0 success, 1 a negative finding (drift,
//! a blocked request, doctor's failures), and one code per [`FailureKind`].

mod cli;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};
use corsgen::{commands, report, Failure, FailureKind, Loaded};

use cli::{AuditFormat, Cli, Color, Command, ErrorAnswers, Format, RequestArgs};

/// The exit code of each failure kind: the one mapping in the program.
fn exit_code(kind: FailureKind) -> u8 {
    match kind {
        FailureKind::Usage => 2,
        FailureKind::Invalid => 3,
        FailureKind::Refused | FailureKind::Io => 4,
    }
}

/// What a command found when it did not fail: `true` for a negative finding (exit 1).
type Finding = bool;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let format = requested_format(&args);
    let outcome = match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli),
        Err(error) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => match format {
            Format::Human => {
                let _ = error.print();
                return ExitCode::from(exit_code(FailureKind::Usage));
            }
            Format::Json => Err(Failure::usage(
                error.render().to_string().trim_end().to_string(),
            )),
        },
    };
    match outcome {
        Ok(found) => ExitCode::from(u8::from(found)),
        Err(failure) => {
            if !failure.reported {
                match format {
                    Format::Human => err(&format!(
                        "error: {}\n",
                        report::printable_line(&failure.to_string())
                    )),
                    // A stdout that cannot be written to has nowhere to report that either.
                    Format::Json => {
                        let _ = out(&report::failure_json(&failure));
                    }
                }
            }
            ExitCode::from(exit_code(failure.kind))
        }
    }
}

/// Writes `text` to stdout. A closed or full stdout (`| head`, `> /dev/full`) is an I/O
/// failure, never a panic.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::io(anyhow::Error::new(e).context("cannot write to stdout")))
}

/// Writes `text` to stderr; there is nowhere left to report a failure to.
fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// How human output looks: coloured or not, quiet or not.
#[derive(Debug, Clone, Copy)]
struct Ui {
    color: bool,
    quiet: bool,
}

impl Ui {
    fn of(cli: &Cli) -> Ui {
        let color = match cli.color {
            Color::Always => true,
            Color::Never => false,
            // https://no-color.org: set and not empty disables colour.
            Color::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        Ui {
            color,
            quiet: cli.quiet,
        }
    }
}

/// `--format json` anywhere on the command line, so that even arguments clap rejects get their
/// answer as a JSON document.
fn requested_format(args: &[OsString]) -> Format {
    let json = args
        .windows(2)
        .any(|w| w[0] == "--format" && (w[1] == "json" || w[1] == "sarif"))
        || args
            .iter()
            .any(|a| a == "--format=json" || a == "--format=sarif");
    if json {
        Format::Json
    } else {
        Format::Human
    }
}

/// Prints a policy's diagnostics in `format`: in human form only when there are any (or
/// `always`), as JSON always (with what `emit` did, when it ran).
fn print_diagnostics(
    loaded: &Loaded,
    format: Format,
    ui: Ui,
    always: bool,
    emit: Option<report::EmitOutcome<'_>>,
) -> Result<(), Failure> {
    match format {
        Format::Human => {
            // --quiet keeps the errors only; the summary still counts every diagnostic.
            let shown: Vec<_> = loaded
                .diagnostics
                .iter()
                .filter(|d| !ui.quiet || d.is_error())
                .cloned()
                .collect();
            if (always && !ui.quiet) || !shown.is_empty() {
                let hidden = if shown.len() < loaded.diagnostics.len() {
                    " (warnings hidden by --quiet)"
                } else {
                    ""
                };
                err(&format!(
                    "{}{}{hidden}\n",
                    report::rendered(&loaded.source, &shown, ui.color),
                    report::summary(&loaded.source, &loaded.diagnostics)
                ));
            }
            Ok(())
        }
        Format::Json => out(&report::json(&loaded.source, &loaded.diagnostics, emit)),
    }
}

fn run(cli: Cli) -> Result<Finding, Failure> {
    let ui = Ui::of(&cli);
    match cli.command {
        Command::Validate {
            policy,
            env,
            format,
        } => {
            let loaded = commands::validate(&policy, env.as_deref())?;
            print_diagnostics(&loaded, format, ui, true, None)?;
            if loaded.policy.is_some() {
                Ok(false)
            } else {
                Err(commands::invalid(&loaded))
            }
        }
        Command::Emit {
            policy,
            out: out_dir,
            env,
            check,
            force,
            full_diff,
            format,
        } => {
            let options = corsgen::write::Options { force, full_diff };
            let emitted = commands::emit(&policy, env.as_deref(), &out_dir, check, options)?;
            let Some(result) = &emitted.files else {
                print_diagnostics(&emitted.loaded, format, ui, false, None)?;
                return Err(commands::invalid(&emitted.loaded));
            };
            let outcome = report::EmitOutcome {
                out: &out_dir,
                files: result,
            };
            match format {
                Format::Json => {
                    print_diagnostics(&emitted.loaded, format, ui, false, Some(outcome))?;
                }
                Format::Human => {
                    print_diagnostics(&emitted.loaded, format, ui, false, None)?;
                    let regenerate = format!(
                        "corsgen emit {} --out {}{}{}",
                        policy.display(),
                        out_dir.display(),
                        env.map(|e| format!(" --env {e}")).unwrap_or_default(),
                        if force { " --force" } else { "" }
                    );
                    let (diff, summary) = report::emit_human(&outcome, &regenerate);
                    out(&diff)?;
                    // --quiet hides progress, never a refusal or drift.
                    if !ui.quiet || result.refused() || (check && !result.is_clean()) {
                        err(&summary);
                    }
                }
            }
            if result.refused() && !check {
                return Err(Failure::refused(format!(
                    "{}: refused files corsgen will not touch without --force; nothing was written",
                    out_dir.display()
                ))
                .reported());
            }
            Ok(check && !result.is_clean())
        }
        Command::Check {
            policy,
            request,
            path,
            url,
            stage,
            gateway_response,
            status,
            target,
            env,
            format,
        } => {
            let loaded = load_valid(&policy, env.as_deref(), format, ui)?;
            let (exchanges, by) = commands::check(
                &loaded,
                env.as_deref(),
                commands::CheckRequest {
                    request: spec(&request),
                    url: url.as_deref(),
                    path: path.as_deref(),
                    stage: stage.as_deref(),
                    gateway_response: gateway_response.as_deref(),
                    status,
                    target: target.as_deref(),
                },
            )?;
            print_exchange(&exchanges, &by, format, &[])?;
            Ok(exchanges.iter().any(|e| !e.verdict.allowed()))
        }
        Command::Probe {
            url,
            request,
            policy,
            env,
            stage,
            timeout,
            format,
        } => {
            let spec = spec(&request);
            let fetch = spec.to(&url)?;
            let timeout = commands::timeout(timeout)?;
            // The policy is read first: a broken one is reported before any request is sent.
            let loaded = match &policy {
                Some(path) => Some(load_valid(path, env.as_deref(), format, ui)?),
                None => None,
            };
            let judged = loaded
                .as_ref()
                .map(|l| (l, env.as_deref(), stage.as_deref()));
            let (exchanges, differences) =
                commands::probe(&url, fetch, &spec.engines, timeout, judged)?;
            print_exchange(&exchanges, &url, format, &differences)?;
            Ok(exchanges.iter().any(|e| !e.verdict.allowed()))
        }
        Command::Doctor {
            har,
            policy,
            env,
            stage,
            format,
        } => {
            let loaded = match &policy {
                Some(path) => Some(load_valid(path, env.as_deref(), format, ui)?),
                None => None,
            };
            let judged = loaded.as_ref().map(|l| (l, env.as_deref()));
            let report = commands::doctor(&har, judged, stage.as_deref())?;
            match format {
                Format::Human => out(&corsgen::doctor::human(&report))?,
                Format::Json => out(&corsgen::doctor::json(&report))?,
            }
            Ok(!report.findings.is_empty())
        }
        Command::Audit {
            inputs,
            policy,
            env,
            fail_on,
            format,
        } => {
            let json = if format == AuditFormat::Human {
                Format::Human
            } else {
                Format::Json
            };
            let loaded = match &policy {
                Some(path) => Some(load_valid(path, env.as_deref(), json, ui)?),
                None => None,
            };
            let report = match corsgen::audit::audit(
                &inputs,
                loaded.as_ref().and_then(|l| l.policy.as_ref()),
            ) {
                Ok(report) => report,
                // A code-scanning upload reads SARIF whatever happened.
                Err(failure) if format == AuditFormat::Sarif => {
                    out(&corsgen::audit::output::sarif_failure(&failure.to_string()))?;
                    return Err(failure.reported());
                }
                Err(failure) => return Err(failure),
            };
            out(&match format {
                AuditFormat::Human => corsgen::audit::output::human(&report),
                AuditFormat::Json => corsgen::audit::output::json(&report),
                AuditFormat::Sarif => corsgen::audit::output::sarif(&report),
            })?;
            Ok(report.fails(fail_on))
        }
        Command::Import { inputs, out: file } => {
            let text = corsgen::audit::import::import(&inputs)?;
            match file {
                Some(path) => {
                    corsgen::init::create_policy(&path, &text, "import").map_err(Failure::io)?;
                    if !ui.quiet {
                        err(&format!(
                            "wrote {}; review it, then `corsgen emit {} --out DIR`\n",
                            path.display(),
                            path.display()
                        ));
                    }
                }
                None => out(&text)?,
            }
            Ok(false)
        }
        Command::Serve {
            policy,
            upstream,
            listen,
            env,
            errors,
            timeout,
            format,
        } => serve(
            &policy, &upstream, &listen, env, errors, timeout, format, ui,
        ),
        Command::Schema => {
            let schema = corsgen::schema::policy_schema().map_err(Failure::io)?;
            out(&schema)?;
            Ok(false)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "corsgen", &mut script);
            out(&String::from_utf8_lossy(&script))?;
            Ok(false)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| {
                    Failure::io(anyhow::Error::new(e).context("cannot render the manual page"))
                })?;
            out(&String::from_utf8_lossy(&page))?;
            Ok(false)
        }
        Command::Init { path } => {
            corsgen::init::init(&path)?;
            if !ui.quiet {
                err(&format!(
                "wrote {}; check it with `corsgen validate {}` (`corsgen schema > policy.schema.json` gives editors completion)\n",
                path.display(),
                path.display()
            ));
            }
            Ok(false)
        }
    }
}

/// `serve`: binds, says where, logs every request until Ctrl-C or SIGTERM, then sums up. Its
/// JSON output is JSON Lines, a failure before it listens (an invalid policy included) too.
#[allow(clippy::too_many_arguments)]
fn serve(
    policy: &Path,
    upstream: &str,
    listen: &str,
    env: Option<String>,
    errors: ErrorAnswers,
    timeout: f64,
    format: Format,
    ui: Ui,
) -> Result<Finding, Failure> {
    let served = serve_logging(policy, upstream, listen, env, errors, timeout, format, ui);
    match (served, format) {
        (Err(failure), Format::Json) if !failure.reported => {
            let _ = out(&one_line(&report::failure_json(&failure)));
            Err(failure.reported())
        }
        (served, _) => served,
    }
}

/// A JSON document on one line.
fn one_line(document: &str) -> String {
    serde_json::from_str::<serde_json::Value>(document)
        .map_or_else(|_| document.to_string(), |value| format!("{value}\n"))
}

#[allow(clippy::too_many_arguments)]
fn serve_logging(
    policy: &Path,
    upstream: &str,
    listen: &str,
    env: Option<String>,
    errors: ErrorAnswers,
    timeout: f64,
    format: Format,
    ui: Ui,
) -> Result<Finding, Failure> {
    use corsgen::serve;
    let options = serve::Options {
        upstream: serve::upstream_url(upstream)?,
        listen: serve::listen_address(listen)?,
        timeout: commands::timeout(timeout)?,
        errors: match errors {
            ErrorAnswers::Gateway => serve::Errors::Gateway,
            ErrorAnswers::Handler => serve::Errors::Handler,
        },
    };
    let loaded = corsgen::load(policy, env.as_deref())?;
    match format {
        Format::Json if loaded.policy.is_none() => {
            out(&one_line(&report::json(
                &loaded.source,
                &loaded.diagnostics,
                None,
            )))?;
        }
        // Warnings too: they are worth seeing before the first request.
        Format::Human => print_diagnostics(&loaded, format, ui, false, None)?,
        Format::Json => {}
    }
    if loaded.policy.is_none() {
        return Err(commands::invalid(&loaded));
    }
    let log: Box<dyn Fn(&serve::Entry) + Send + Sync> = match format {
        // A log line that cannot be written (a closed pipe) is dropped; serving goes on.
        Format::Human => Box::new(|event| {
            let _ = out(&serve::human(event));
        }),
        Format::Json => Box::new(|event| {
            let _ = out(&serve::json(event));
        }),
    };
    let upstream_shown = options.upstream.to_string();
    let gateway_errors = options.errors == serve::Errors::Gateway
        && loaded
            .policy
            .as_ref()
            .is_some_and(|p| p.apigateway.is_some());
    let server = serve::Server::bind(loaded, policy, env, options, log)?;
    let address = server.address();
    let stopper = server.stopper();
    ctrlc::set_handler(move || stopper.stop()).map_err(|e| {
        Failure::io(anyhow::Error::new(e).context("cannot handle Ctrl-C and SIGTERM"))
    })?;
    let url = format!("http://{address}");
    if !address.ip().is_loopback() && !ui.quiet {
        err(&format!("warning: {address} is not a loopback address: other machines can reach {upstream_shown} through this proxy\n"));
    }
    match format {
        Format::Json => out(&format!(
            "{}\n",
            serde_json::json!({"schema_version": 1, "event": "listening", "url": url, "upstream": upstream_shown})
        ))?,
        Format::Human => {
            err(&format!(
                "corsgen serve: {url} → {upstream_shown} ({}; upstream errors get {}); Ctrl-C stops\n",
                policy.display(),
                if gateway_errors {
                    "the gateway responses' headers"
                } else {
                    "the route's headers"
                }
            ));
        }
    }
    let summary = server.run();
    match format {
        Format::Json => {
            let mut value = serde_json::to_value(summary).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.insert("schema_version".into(), 1.into());
                object.insert("event".into(), "stopped".into());
            }
            let _ = out(&format!("{value}\n"));
        }
        Format::Human => err(&format!(
            "corsgen serve: stopped after {} request{} ({} cross-origin, {} blocked)\n",
            summary.requests,
            if summary.requests == 1 { "" } else { "s" },
            summary.cross_origin,
            summary.blocked
        )),
    }
    Ok(false)
}

/// Reads a policy a command judges requests by; prints its diagnostics and fails when it is
/// invalid.
fn load_valid(path: &Path, env: Option<&str>, format: Format, ui: Ui) -> Result<Loaded, Failure> {
    let loaded = corsgen::load(path, env)?;
    if loaded.policy.is_none() {
        print_diagnostics(&loaded, format, ui, false, None)?;
        return Err(commands::invalid(&loaded));
    }
    Ok(loaded)
}

fn spec(args: &RequestArgs) -> commands::RequestSpec<'_> {
    commands::RequestSpec {
        origin: &args.origin,
        method: &args.method,
        headers: &args.headers,
        credentials: args.credentials,
        xhr: args.xhr,
        engines: args.browser.engines(),
    }
}

fn print_exchange(
    exchanges: &[corsgen::check::Exchange],
    answered_by: &str,
    format: Format,
    differences: &[corsgen::check::Difference],
) -> Result<(), Failure> {
    match format {
        Format::Human => {
            let mut text = corsgen::check::human(exchanges, answered_by);
            for difference in differences {
                text.push_str(&format!("differs from the policy: {difference}\n"));
            }
            out(&text)
        }
        Format::Json => out(&corsgen::check::json(exchanges, differences)),
    }
}
