//! `corsgen init`: writes a starter policy, never over an existing file.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

/// The starter policy (valid, warning-free; a test checks it).
pub const STARTER_POLICY: &str = include_str!("../templates/init/corsgen.toml");

/// Writes the starter policy to `path`.
///
/// # Errors
/// When `path` exists (it is never overwritten) or cannot be written.
pub fn init(path: &Path) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| {
            if path.exists() {
                format!(
                    "{} already exists; corsgen init never overwrites a policy",
                    path.display()
                )
            } else {
                format!("cannot create {}", path.display())
            }
        })?;
    file.write_all(STARTER_POLICY.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
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
