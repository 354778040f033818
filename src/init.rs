//! `corsgen init`: writes a starter policy, never over an existing file.

use std::path::Path;

/// The starter policy (valid, warning-free; a test checks it).
pub const STARTER_POLICY: &str = include_str!("../templates/init/corsgen.toml");

/// Writes the starter policy to `path`.
///
/// # Errors
/// When `path` exists (it is never overwritten) or cannot be written.
pub fn init(path: &Path) -> anyhow::Result<()> {
    create_policy(path, STARTER_POLICY, "init")
}

/// Writes a new policy file at `path`, all or nothing; never overwrites one (`command` names
/// who refuses).
///
/// # Errors
/// `path` exists, or an I/O error.
pub fn create_policy(path: &Path, text: &str, command: &str) -> anyhow::Result<()> {
    crate::write::create_new(path, text.as_bytes()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; corsgen {command} never overwrites a policy",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{init, STARTER_POLICY};
    use crate::source::PolicySource;

    #[test]
    fn starter_policy_is_valid_without_warnings() {
        let loaded =
            crate::load_source(PolicySource::new("corsgen.toml", STARTER_POLICY), None).unwrap();
        assert!(loaded.policy.is_some(), "{:?}", loaded.diagnostics);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    }

    #[test]
    fn refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corsgen.toml");
        std::fs::write(&path, "mine").unwrap();
        let err = init(&path).unwrap_err();
        assert!(format!("{err:#}").contains("never overwrites"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    }
}
