//! How a command fails: one typed failure whose kind alone decides the exit code (`main` maps
//! kinds to codes in one place).
//!
//! Policy diagnostics are not failures: they are data (`diagnostic`). A command that finds an
//! invalid policy reports the diagnostics and then fails with [`FailureKind::Invalid`], marked
//! [`Failure::reported`] so nothing is printed twice.

use std::fmt;

use serde::Serialize;

/// The four ways a command fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Bad arguments: an unknown `--env`, an origin no browser sends, a malformed header.
    Usage,
    /// Invalid input: a policy with errors (or not UTF-8), a malformed HAR file.
    Invalid,
    /// `emit` refused files it will not touch without `--force`; nothing was written.
    Refused,
    /// I/O or internal: an unreadable file, a failed write, a network failure in `probe`.
    Io,
}

/// A failed command: its kind, what went wrong (with context), and whether the command already
/// printed a report that explains it.
#[derive(Debug)]
pub struct Failure {
    /// What kind of failure; fixes the exit code.
    pub kind: FailureKind,
    /// What went wrong, with its context chain.
    pub error: anyhow::Error,
    /// True when the command's own output (diagnostics, the emit report) already explains it.
    pub reported: bool,
}

impl Failure {
    fn new(kind: FailureKind, error: anyhow::Error) -> Self {
        Failure {
            kind,
            error,
            reported: false,
        }
    }

    /// A usage error.
    #[must_use]
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Usage, anyhow::Error::msg(message.into()))
    }

    /// Invalid input.
    #[must_use]
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Invalid, anyhow::Error::msg(message.into()))
    }

    /// Files `emit` refused to touch.
    #[must_use]
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Refused, anyhow::Error::msg(message.into()))
    }

    /// An I/O or internal error.
    #[must_use]
    pub fn io(error: anyhow::Error) -> Self {
        Self::new(FailureKind::Io, error)
    }

    /// Marks the failure as already explained by the command's output.
    #[must_use]
    pub fn reported(mut self) -> Self {
        self.reported = true;
        self
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::io(error)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::{Failure, FailureKind};
    use anyhow::Context as _;

    #[test]
    fn kinds_and_messages_with_context() {
        let io: Failure = Err::<(), _>(std::io::Error::other("disk full"))
            .context("cannot write out/x")
            .unwrap_err()
            .into();
        assert_eq!(io.kind, FailureKind::Io);
        assert_eq!(io.to_string(), "cannot write out/x: disk full");
        assert!(!io.reported);
        let usage = Failure::usage("bad --env");
        assert_eq!(usage.kind, FailureKind::Usage);
        assert!(Failure::invalid("x").reported().reported);
        assert_eq!(
            serde_json::to_value(FailureKind::Refused).unwrap(),
            "refused"
        );
    }
}
