//! The three browser engines the model knows, and what each measured one does differently.
//!
//! Every difference is a rule of the model in `request`, `response` or `messages`, measured in
//! the real engine by the browser test (`tests/integration/browser.rs`), or, where a page on
//! loopback cannot show it (the preflight cache's caps), taken from the engine's source and
//! named so. WebKitGTK shares WebCore's CORS checks and messages with Safari; Safari's network
//! stack (CFNetwork, not libsoup) and its release train are its own, so wire details (how a
//! header value above U+007F or a `Location` byte above 0x7F goes out) may differ there.

use serde::Serialize;

/// A browser engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Chromium (Chrome, Edge, Opera, Brave): Blink and its network service. The model's
    /// reference: today's top-level verdict and message are Chromium's.
    #[default]
    Chromium,
    /// Firefox: Gecko and Necko.
    Firefox,
    /// WebKit (Safari, and every browser on iOS): WebCore's CORS checks.
    Webkit,
}

impl Engine {
    /// Every engine, in the order reports list them.
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::Webkit];

    /// The engine's name for people.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "Chromium",
            Engine::Firefox => "Firefox",
            Engine::Webkit => "WebKit",
        }
    }

    /// The engine as `--browser` and JSON name it.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::Webkit => "webkit",
        }
    }

    /// The release the model was measured against.
    #[must_use]
    pub fn measured(self) -> &'static str {
        match self {
            Engine::Chromium => "Chromium 156",
            Engine::Firefox => "Firefox ESR 153.8",
            Engine::Webkit => "WebKitGTK 2.50.6",
        }
    }

    /// The longest the engine keeps a preflight, in seconds: Chromium's
    /// `kMaxCacheTimeout` (2 hours), Firefox's cap in `nsCORSListenerProxy` (24 hours) and
    /// WebKit's `maxPreflightCacheTimeout` (10 minutes; measured: a 10,000 s max-age was
    /// still cached after 300 s and no longer after 610 s).
    #[must_use]
    pub fn max_age_cap(self) -> u32 {
        match self {
            Engine::Chromium => 7200,
            Engine::Firefox => 86_400,
            Engine::Webkit => 600,
        }
    }

    /// Every engine as measured, for a sentence: `Chromium 156, Firefox ESR 153.8 and WebKitGTK
    /// 2.50.6`.
    #[must_use]
    pub fn all_measured() -> String {
        crate::report::and_list(Engine::ALL.iter().map(|e| e.measured().to_string()))
    }

    /// The engine with this `--browser` name.
    #[must_use]
    pub fn from_key(key: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.key() == key)
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
