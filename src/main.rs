//! The `corsgen` binary: parse arguments, call the library, print, map outcomes to exit codes.

mod cli;

use std::io::Write as _;
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

fn print_diagnostics(loaded: &Loaded, format: Format, always: bool) {
    match format {
        Format::Human => {
            if always || !loaded.diagnostics.is_empty() {
                eprint!("{}", report::human(&loaded.source, &loaded.diagnostics));
            }
        }
        Format::Json => print!("{}", report::json(&loaded.source, &loaded.diagnostics)),
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate {
            policy,
            env,
            format,
        } => {
            let loaded = corsgen::load(&policy, env.as_deref())?;
            print_diagnostics(&loaded, format, true);
            Ok(if loaded.policy.is_some() { 0 } else { INVALID })
        }
        Command::Emit {
            policy,
            out,
            env,
            check,
            format,
        } => {
            let loaded = corsgen::load(&policy, env.as_deref())?;
            print_diagnostics(&loaded, format, false);
            let Some(valid) = &loaded.policy else {
                return Ok(INVALID);
            };
            let files = corsgen::generate(valid, &loaded.source)?;
            if check {
                let drift = corsgen::write::check(&out, &files)?;
                if drift.is_clean() {
                    eprintln!(
                        "{}: {} files up to date",
                        out.display(),
                        drift.unchanged.len()
                    );
                    return Ok(0);
                }
                print!("{}", drift.diff);
                let env_flag = env.map(|e| format!(" --env {e}")).unwrap_or_default();
                eprintln!(
                    "{}: {} file(s) out of date, {} orphaned; run `corsgen emit {} --out {}{env_flag}`",
                    out.display(),
                    drift.changed.len(),
                    drift.orphans.len(),
                    policy.display(),
                    out.display()
                );
                return Ok(1);
            }
            let written = corsgen::write::write(&out, &files)?;
            eprintln!(
                "{}: wrote {} file(s), {} unchanged, {} orphan(s) removed",
                out.display(),
                written.changed.len(),
                written.unchanged.len(),
                written.orphans.len()
            );
            Ok(0)
        }
        Command::Schema => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(corsgen::schema::policy_schema().as_bytes())?;
            Ok(0)
        }
        Command::Init { path } => {
            corsgen::init::init(&path)?;
            eprintln!(
                "wrote {}; check it with `corsgen validate {}`",
                path.display(),
                path.display()
            );
            Ok(0)
        }
    }
}
