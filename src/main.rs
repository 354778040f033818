//! The `corsgen` binary: parse arguments, call the library, print, map outcomes to exit codes.

mod cli;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;
use corsgen::check::PolicyPlace;
use corsgen::{report, Loaded, UnknownEnv, UsageError};

use cli::{Cli, Command, Format, RequestArgs};

const INVALID: u8 = 3;
const FAILURE: u8 = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let usage = error.downcast_ref::<UnknownEnv>().is_some()
                || error.downcast_ref::<UsageError>().is_some();
            let bad_input = error.downcast_ref::<corsgen::doctor::BadHar>().is_some();
            eprintln!("error: {error:#}");
            ExitCode::from(if usage {
                2
            } else if bad_input {
                INVALID
            } else {
                FAILURE
            })
        }
    }
}

fn print_human(loaded: &Loaded, always: bool) {
    if always || !loaded.diagnostics.is_empty() {
        eprint!("{}", report::human(&loaded.source, &loaded.diagnostics));
    }
}

fn print_json(loaded: &Loaded, emit: Option<report::EmitOutcome<'_>>) {
    print!(
        "{}",
        report::json(&loaded.source, &loaded.diagnostics, emit)
    );
}

/// Renders a valid policy's artifacts; `None` when the policy is invalid or an artifact would
/// break a platform limit (those diagnostics are added to `loaded`).
fn generate(loaded: &mut Loaded) -> anyhow::Result<Option<Vec<corsgen::render::RenderedFile>>> {
    let Some(valid) = &loaded.policy else {
        return Ok(None);
    };
    match corsgen::generate(valid, &loaded.source)? {
        Ok(files) => Ok(Some(files)),
        Err(broken) => {
            loaded.diagnostics.extend(broken);
            loaded.policy = None;
            Ok(None)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate {
            policy,
            env,
            format,
        } => {
            let mut loaded = corsgen::load(&policy, env.as_deref())?;
            // Limits that only the rendered artifacts show are part of validity too.
            let files = generate(&mut loaded)?;
            match format {
                Format::Human => print_human(&loaded, true),
                Format::Json => print_json(&loaded, None),
            }
            Ok(if files.is_some() { 0 } else { INVALID })
        }
        Command::Emit {
            policy,
            out,
            env,
            check,
            format,
        } => {
            let mut loaded = corsgen::load(&policy, env.as_deref())?;
            // Everything is rendered in memory before the first byte is written.
            let Some(files) = generate(&mut loaded)? else {
                match format {
                    Format::Human => print_human(&loaded, false),
                    Format::Json => print_json(&loaded, None),
                }
                return Ok(INVALID);
            };
            let result = if check {
                corsgen::write::check(&out, &files)?
            } else {
                corsgen::write::write(&out, &files)?
            };
            let drift = check && !result.is_clean();
            match format {
                Format::Json => print_json(
                    &loaded,
                    Some(report::EmitOutcome {
                        check,
                        files: &result,
                    }),
                ),
                Format::Human => {
                    print_human(&loaded, false);
                    report_emit(&result, check, &out, &policy, env.as_deref());
                }
            }
            Ok(u8::from(drift))
        }
        Command::Check {
            policy,
            request,
            path,
            url,
            env,
            format,
        } => {
            let Some(loaded) = load_valid(&policy, env.as_deref())? else {
                return Ok(INVALID);
            };
            let Some(place) = PolicyPlace::of(&loaded, env.as_deref()) else {
                return Ok(INVALID);
            };
            let url = url.unwrap_or_else(|| {
                let slash = if path.starts_with('/') { "" } else { "/" };
                format!("https://api.example{slash}{path}")
            });
            let exchange = corsgen::check::check(&place, fetch_request(&url, &request)?);
            let by = format!(
                "the artifacts generated from {} ({})",
                policy.display(),
                place.rule_name(&corsgen::browser::url_path(&url))
            );
            print_exchange(&exchange, &by, format, &[]);
            Ok(u8::from(!exchange.verdict.allowed()))
        }
        Command::Probe {
            url,
            request,
            policy,
            env,
            timeout,
            format,
        } => {
            let request = fetch_request(&url, &request)?;
            // The policy is read first: a broken one is reported before any request is sent.
            let Ok(loaded) = load_optional(policy.as_deref(), env.as_deref())? else {
                return Ok(INVALID);
            };
            if !(timeout > 0.0 && timeout.is_finite()) {
                return Err(
                    UsageError("--timeout must be a positive number of seconds".into()).into(),
                );
            }
            let mut exchange =
                corsgen::probe::probe(request, std::time::Duration::from_secs_f64(timeout))?;
            let mut differences = Vec::new();
            if let Some(place) = loaded
                .as_ref()
                .and_then(|l| PolicyPlace::of(l, env.as_deref()))
            {
                differences = corsgen::probe::differences(place.policy, &exchange);
                exchange.fixes = corsgen::check::check(&place, exchange.request.clone()).fixes;
            }
            print_exchange(&exchange, &url, format, &differences);
            Ok(u8::from(!exchange.verdict.allowed()))
        }
        Command::Doctor {
            har,
            policy,
            env,
            format,
        } => {
            let Ok(loaded) = load_optional(policy.as_deref(), env.as_deref())? else {
                return Ok(INVALID);
            };
            let place = loaded
                .as_ref()
                .and_then(|l| PolicyPlace::of(l, env.as_deref()));
            let capture = corsgen::doctor::read(&har)?;
            let report = corsgen::doctor::diagnose(&capture, place.as_ref());
            match format {
                Format::Human => print!("{}", corsgen::doctor::human(&report)),
                Format::Json => print!("{}", corsgen::doctor::json(&report)),
            }
            Ok(u8::from(!report.findings.is_empty()))
        }
        Command::Schema => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(corsgen::schema::policy_schema().as_bytes())?;
            Ok(0)
        }
        Command::Init { path } => {
            corsgen::init::init(&path)?;
            eprintln!(
                "wrote {}; check it with `corsgen validate {}` (`corsgen schema > policy.schema.json` gives editors completion)",
                path.display(),
                path.display()
            );
            Ok(0)
        }
    }
}

fn report_emit(
    result: &corsgen::write::Report,
    check: bool,
    out: &Path,
    policy: &Path,
    env: Option<&str>,
) {
    if !check {
        eprintln!(
            "{}: wrote {} file(s), {} unchanged, {} orphan(s) removed",
            out.display(),
            result.changed.len(),
            result.unchanged.len(),
            result.orphans.len()
        );
    } else if result.is_clean() {
        eprintln!(
            "{}: {} files up to date",
            out.display(),
            result.unchanged.len()
        );
    } else {
        print!("{}", result.diff);
        let env_flag = env.map(|e| format!(" --env {e}")).unwrap_or_default();
        eprintln!(
            "{}: {} file(s) out of date, {} orphaned; run `corsgen emit {} --out {}{env_flag}`",
            out.display(),
            result.changed.len(),
            result.orphans.len(),
            policy.display(),
            out.display()
        );
    }
}

/// Reads a policy a command judges requests by; prints its diagnostics and gives `None` when it
/// is invalid.
fn load_valid(path: &Path, env: Option<&str>) -> anyhow::Result<Option<Loaded>> {
    let loaded = corsgen::load(path, env)?;
    if loaded.policy.is_none() {
        print_human(&loaded, false);
        return Ok(None);
    }
    Ok(Some(loaded))
}

/// [`load_valid`] for an optional `--policy`: `Err(())` when it was given and is invalid.
fn load_optional(
    path: Option<&Path>,
    env: Option<&str>,
) -> anyhow::Result<Result<Option<Loaded>, ()>> {
    match path {
        None => Ok(Ok(None)),
        Some(path) => Ok(load_valid(path, env)?.map(Some).ok_or(())),
    }
}

fn fetch_request(
    url: &str,
    args: &RequestArgs,
) -> Result<corsgen::browser::FetchRequest, UsageError> {
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
    differences: &[corsgen::probe::Difference],
) {
    match format {
        Format::Human => {
            print!("{}", corsgen::check::human(exchange, answered_by));
            for difference in differences {
                println!("differs from the policy: {difference}");
            }
        }
        Format::Json => print!("{}", corsgen::check::json(exchange, differences)),
    }
}
