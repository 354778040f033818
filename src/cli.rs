//! The command line: clap types only. Behaviour lives in the library; `main` maps outcomes to
//! exit codes.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (warnings allowed)
  1  emit --check found generated files out of date
  2  usage error (bad arguments, unknown --env)
  3  the policy is invalid
  4  I/O or internal error";

/// Validate a CORS policy against the Fetch standard and what browsers enforce, then generate
/// every AWS artifact it needs (Lambda snippets for now), all agreeing with each other.
#[derive(Debug, Parser)]
#[command(name = "corsgen", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub(crate) enum Format {
    /// Source line, caret and help, on stderr.
    #[default]
    Human,
    /// One JSON document on stdout.
    Json,
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
    /// Generate every artifact of a policy into a directory.
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
        /// Write nothing; print a diff and exit 1 if DIR is out of date.
        #[arg(long)]
        check: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the JSON Schema of the policy file.
    Schema,
    /// Write a starter policy (never overwrites).
    Init {
        /// Where to write it.
        #[arg(default_value = "corsgen.toml")]
        path: PathBuf,
    },
}
