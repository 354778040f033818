//! The `corsgen` binary: parse arguments, call the library, print, map outcomes to exit codes.

mod cli;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser as _;
use corsgen::{report, Loaded, UnknownEnv};

use cli::{Cli, Command, Format};

const INVALID: u8 = 3;
const FAILURE: u8 = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let usage = error.downcast_ref::<UnknownEnv>().is_some();
            eprintln!("error: {error:#}");
            ExitCode::from(if usage { 2 } else { FAILURE })
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
