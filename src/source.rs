//! The policy text as read from disk, and byte offsets turned into `line:col`.
//!
//! Input: a path label and the file's text. Output: positions for diagnostics.
//! Guarantee: columns count characters (not bytes), lines and columns start at 1.

use sha2::{Digest, Sha256};

/// A policy file: where it came from and what it says.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// The path as the user gave it (used in diagnostics).
    pub path: String,
    /// The full text, CRLF line endings normalised to LF.
    pub text: String,
}

impl PolicySource {
    /// Wraps text read from `path`, normalising line endings so spans and digests do not depend
    /// on the checkout's line-ending style.
    #[must_use]
    pub fn new(path: impl Into<String>, text: &str) -> Self {
        Self {
            path: path.into(),
            text: text.replace("\r\n", "\n"),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// The file name without directories, as shown in generated-file headers.
    #[must_use]
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// First 16 hex digits of the SHA-256 of the normalised text.
    #[must_use]
    pub fn digest(&self) -> String {
        hex_prefix(&self.text, 8)
    }
}

/// The first `bytes` bytes of the SHA-256 of `text`, in hex (32 bytes: all of it).
pub(crate) fn hex_prefix(text: &str, bytes: usize) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash.iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Eight hex digits identifying `text`, to keep generated names unique.
pub(crate) fn short_digest(text: &str) -> String {
    hex_prefix(text, 4)
}

/// The nearest character boundary at or before `index`.
pub(crate) fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::PolicySource;

    #[test]
    fn line_col_counts_characters_from_one() {
        let src = PolicySource::new("p.toml", "a = 1\r\nb = \"é\" x\n");
        assert_eq!(src.line_col(0), (1, 1));
        let x = src.text.find('x').unwrap();
        assert_eq!(src.line_col(x), (2, 9));
        assert_eq!(src.line_col(10_000), (3, 1));
    }

    #[test]
    fn digest_ignores_line_ending_style() {
        let a = PolicySource::new("a", "x = 1\r\n");
        let b = PolicySource::new("b", "x = 1\n");
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.digest().len(), 16);
    }

    #[test]
    fn file_name_drops_directories() {
        assert_eq!(
            PolicySource::new("policies/example.toml", "").file_name(),
            "example.toml"
        );
    }
}
