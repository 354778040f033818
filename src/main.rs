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
use corsgen::check::PolicyPlace;
use corsgen::{report, Failure, FailureKind, Loaded};

use cli::{Cli, Color, Command, Format, RequestArgs};

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
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json");
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

/// The failure for an invalid policy whose diagnostics were printed.
fn invalid(loaded: &Loaded) -> Failure {
    Failure::invalid(format!("{} is invalid", loaded.source.path)).reported()
}

/// Renders a valid policy's artifacts; `None` when the policy is invalid or an artifact would
/// break a platform limit (those diagnostics are added to `loaded`).
fn generate(loaded: &mut Loaded) -> Result<Option<Vec<corsgen::render::RenderedFile>>, Failure> {
    let Some(valid) = &loaded.policy else {
        return Ok(None);
    };
    match corsgen::generate(valid, &loaded.source)? {
        Ok(generated) => {
            loaded.diagnostics.extend(generated.warnings);
            Ok(Some(generated.files))
        }
        Err(broken) => {
            loaded.diagnostics.extend(broken);
            loaded.policy = None;
            Ok(None)
        }
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
            let mut loaded = corsgen::load(&policy, env.as_deref())?;
            // Limits that only the rendered artifacts show are part of validity too (only the
            // files those limits read are rendered).
            if let Some(valid) = &loaded.policy {
                let found = corsgen::limit_diagnostics(valid, &loaded.source)?;
                if found.iter().any(corsgen::diagnostic::Diagnostic::is_error) {
                    loaded.policy = None;
                }
                loaded.diagnostics.extend(found);
            }
            print_diagnostics(&loaded, format, ui, true, None)?;
            if loaded.policy.is_some() {
                Ok(false)
            } else {
                Err(invalid(&loaded))
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
            let mut loaded = corsgen::load(&policy, env.as_deref())?;
            // Everything is rendered in memory before the first byte is written.
            let (Some(files), Some(valid)) = (generate(&mut loaded)?, loaded.policy.as_ref())
            else {
                print_diagnostics(&loaded, format, ui, false, None)?;
                return Err(invalid(&loaded));
            };
            let options = corsgen::write::Options { force, full_diff };
            let owner = corsgen::write::Owner::of(valid);
            let result = if check {
                corsgen::write::check(&out_dir, &files, owner, options)?
            } else {
                corsgen::write::write(&out_dir, &files, owner, options)?
            };
            let outcome = report::EmitOutcome {
                out: &out_dir,
                files: &result,
            };
            match format {
                Format::Json => print_diagnostics(&loaded, format, ui, false, Some(outcome))?,
                Format::Human => {
                    print_diagnostics(&loaded, format, ui, false, None)?;
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
            env,
            format,
        } => {
            let loaded = load_valid(&policy, env.as_deref(), format, ui)?;
            let place = place(&loaded, env.as_deref())?;
            let target = corsgen::check::target(url.as_deref(), path.as_deref(), stage.as_deref())?;
            let fetch = fetch_request(&target.url, &request)?;
            let errors = gateway_types(gateway_response.as_deref(), status)?;
            if !errors.is_empty() && place.policy.apigateway.is_none() {
                return Err(Failure::usage(format!(
                    "{} emits no API Gateway artifacts ([apigateway] enabled = false): there are no gateway responses to check",
                    policy.display()
                )));
            }
            let exchange = if errors.is_empty() {
                corsgen::check::check(&place, fetch, &target)
            } else {
                corsgen::check::check_gateway_responses(&place, &fetch, &target, &errors, status)
            };
            let by = format!(
                "{} generated from {} ({}{})",
                if errors.is_empty() {
                    "the artifacts"
                } else {
                    "the OPTIONS method, then API Gateway's own error response, as"
                },
                policy.display(),
                place.rule_name(&target.route.path),
                target.note()
            );
            print_exchange(&exchange, &by, format, &[])?;
            Ok(!exchange.verdict.allowed())
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
            let fetch = fetch_request(&url, &request)?;
            if !(timeout > 0.0 && timeout.is_finite()) {
                return Err(Failure::usage(
                    "--timeout must be a positive number of seconds",
                ));
            }
            // The policy is read first: a broken one is reported before any request is sent.
            let loaded = match &policy {
                Some(path) => Some(load_valid(path, env.as_deref(), format, ui)?),
                None => None,
            };
            let mut exchange =
                corsgen::probe::probe(fetch, std::time::Duration::from_secs_f64(timeout))?;
            let mut differences = Vec::new();
            if let Some(loaded) = &loaded {
                let place = place(loaded, env.as_deref())?;
                let target = corsgen::check::target(Some(&url), None, stage.as_deref())?;
                differences = corsgen::check::differences(place.policy, &exchange, &target);
                exchange.fixes =
                    corsgen::check::check(&place, exchange.request.clone(), &target).fixes;
            }
            print_exchange(&exchange, &url, format, &differences)?;
            Ok(!exchange.verdict.allowed())
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
            let place = match &loaded {
                Some(loaded) => Some(place(loaded, env.as_deref())?),
                None => None,
            };
            let capture = corsgen::doctor::read(&har)?;
            let report = corsgen::doctor::diagnose(&capture, place.as_ref(), stage.as_deref())?;
            match format {
                Format::Human => out(&corsgen::doctor::human(&report))?,
                Format::Json => out(&corsgen::doctor::json(&report))?,
            }
            Ok(!report.findings.is_empty())
        }
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

/// The gateway-response types `check` answers with: the one named, or those of a status.
fn gateway_types(named: Option<&str>, status: Option<u16>) -> Result<Vec<&'static str>, Failure> {
    if let Some(name) = named {
        return corsgen::engine::gateway_response_type(name)
            .map(|t| vec![t])
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--gateway-response `{name}` is not one of API Gateway's gateway-response types (e.g. UNAUTHORIZED, ACCESS_DENIED, THROTTLED, DEFAULT_4XX, DEFAULT_5XX)"
                ))
            });
    }
    match status {
        None => Ok(Vec::new()),
        Some(code) => {
            let types = corsgen::engine::gateway_response_types_for(code);
            if types.is_empty() {
                Err(Failure::usage(format!(
                    "--status {code} is not an error API Gateway answers itself (4XX or 5XX)"
                )))
            } else {
                Ok(types)
            }
        }
    }
}

/// Reads a policy a command judges requests by; prints its diagnostics and fails when it is
/// invalid.
fn load_valid(path: &Path, env: Option<&str>, format: Format, ui: Ui) -> Result<Loaded, Failure> {
    let loaded = corsgen::load(path, env)?;
    if loaded.policy.is_none() {
        print_diagnostics(&loaded, format, ui, false, None)?;
        return Err(invalid(&loaded));
    }
    Ok(loaded)
}

fn place<'a>(loaded: &'a Loaded, env: Option<&'a str>) -> Result<PolicyPlace<'a>, Failure> {
    PolicyPlace::of(loaded, env).ok_or_else(|| invalid(loaded))
}

fn fetch_request(url: &str, args: &RequestArgs) -> Result<corsgen::browser::FetchRequest, Failure> {
    corsgen::check::fetch_request(
        url,
        &args.origin,
        &args.method,
        &args.headers,
        args.credentials,
        args.xhr,
    )
}

fn print_exchange(
    exchange: &corsgen::check::Exchange,
    answered_by: &str,
    format: Format,
    differences: &[corsgen::check::Difference],
) -> Result<(), Failure> {
    match format {
        Format::Human => {
            let mut text = corsgen::check::human(exchange, answered_by);
            for difference in differences {
                text.push_str(&format!("differs from the policy: {difference}\n"));
            }
            out(&text)
        }
        Format::Json => out(&corsgen::check::json(exchange, differences)),
    }
}
