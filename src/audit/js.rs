//! CloudFront Function code, run in an embedded JavaScript engine (QuickJS through rquickjs) the
//! way CloudFront runs it: the top-level `handler(event)` called with a fresh event, its return
//! value (or the value its promise resolves to, for an `async` handler) read back as JSON. Each
//! run has a memory limit and a deadline, so hostile code cannot hang or exhaust audit. A
//! function that reads a KeyValueStore (`import cf from 'cloudfront'`) is not evaluated: the
//! store's contents are not in the input.

use std::time::{Duration, Instant};

use rquickjs::{Context, Runtime};

/// Why a run gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsError {
    /// The code reads something audit does not have (a KeyValueStore), or runs too long.
    NotEvaluated(String),
    /// The function throws (CloudFront answers 503).
    Throws(String),
}

const KVS_MARK: &str = "corsgen: KeyValueStore";

/// The code with `import X from 'cloudfront'` replaced by a stand-in: with an import file
/// (`{"data": [{"key", "value"}]}`), its KeyValueStore answers `get` and `exists` from it as
/// CloudFront documents (`get` rejects a missing key); without one, every read throws a marked
/// error.
fn prepared(code: &str) -> String {
    static IMPORT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = IMPORT.get_or_init(|| {
        regex::Regex::new(r#"(?m)^\s*import\s+([A-Za-z_$][\w$]*)\s+from\s+['"]cloudfront['"]\s*;?"#)
            .expect("valid")
    });
    re.replace_all(code, |c: &regex::Captures<'_>| {
        format!(
            "var {} = {{kvs: function () {{ var file = globalThis.__corsgenStore; if (!file) {{ var no = function () {{ globalThis.__corsgenKvs = true; throw new Error({KVS_MARK:?}); }}; return {{get: no, exists: no, meta: no}}; }} var data = new Map(); for (var i = 0; i < file.data.length; i++) data.set(file.data[i].key, file.data[i].value); return {{get: async function (key, options) {{ if (!data.has(key)) throw new Error('key ' + JSON.stringify(key) + ' not found'); var value = data.get(key); return options && options.format === 'json' ? JSON.parse(value) : value; }}, exists: async function (key) {{ return data.has(key); }}}}; }}}};",
            &c[1]
        )
    })
    .into_owned()
}

const CALL: &str = r"
(function () {
  globalThis.__corsgenOut = undefined;
  globalThis.__corsgenErr = undefined;
  globalThis.__corsgenKvs = false;
  try {
    var returned = handler(JSON.parse(globalThis.__corsgenEvent));
    Promise.resolve(returned).then(
      function (v) { globalThis.__corsgenOut = JSON.stringify(v === undefined ? null : v); },
      function (e) { globalThis.__corsgenErr = String(e && e.message || e); });
  } catch (e) {
    globalThis.__corsgenErr = String(e && e.message || e);
  }
})();
";

/// Runs `code`'s `handler` once per event, in one engine (globals persist between calls, as in
/// CloudFront).
///
/// # Errors
/// [`JsError::NotEvaluated`] when the code does not load (a syntax error, no `handler`) or the
/// engine cannot start.
pub fn run(
    code: &str,
    events: &[serde_json::Value],
    store: Option<&str>,
) -> Result<Vec<Result<serde_json::Value, JsError>>, JsError> {
    let runtime = Runtime::new().map_err(|e| JsError::NotEvaluated(e.to_string()))?;
    runtime.set_memory_limit(64 << 20);
    runtime.set_max_stack_size(1 << 20);
    let deadline = Instant::now() + Duration::from_secs(2);
    runtime.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    let context = Context::full(&runtime).map_err(|e| JsError::NotEvaluated(e.to_string()))?;
    let code = prepared(code);
    context.with(|ctx| {
        if let Some(store) = store {
            let parsed: rquickjs::Result<()> = ctx
                .globals()
                .set("__corsgenStoreText", store.to_string())
                .and_then(|()| {
                    ctx.eval(
                        "globalThis.__corsgenStore = JSON.parse(globalThis.__corsgenStoreText);",
                    )
                });
            if parsed.is_err() {
                return Err(JsError::NotEvaluated(
                    "the KeyValueStore import file is not JSON".into(),
                ));
            }
        }
        let loaded: rquickjs::Result<()> = ctx.eval(code.as_str());
        if loaded.is_err() {
            let thrown = ctx.catch();
            return Err(JsError::NotEvaluated(format!(
                "the function code does not load: {}",
                describe(&thrown)
            )));
        }
        let has_handler: bool = ctx.eval("typeof handler === 'function'").unwrap_or(false);
        if !has_handler {
            return Err(JsError::NotEvaluated(
                "the code has no top-level handler function".into(),
            ));
        }
        Ok(())
    })?;
    let mut results = Vec::new();
    for event in events {
        let started = context.with(|ctx| {
            ctx.globals()
                .set("__corsgenEvent", event.to_string())
                .and_then(|()| ctx.eval::<(), _>(CALL))
                .is_ok()
        });
        if !started {
            return Err(JsError::NotEvaluated("the run was interrupted".into()));
        }
        while runtime.is_job_pending() {
            if runtime.execute_pending_job().is_err() || Instant::now() > deadline {
                return Err(JsError::NotEvaluated(
                    "the function runs longer than 2 s".into(),
                ));
            }
        }
        let (out, err, kvs): (Option<String>, Option<String>, bool) = context.with(|ctx| {
            let globals = ctx.globals();
            (
                globals.get("__corsgenOut").ok().flatten(),
                globals.get("__corsgenErr").ok().flatten(),
                globals.get("__corsgenKvs").unwrap_or(false),
            )
        });
        // A store read decides the answer even when the code catches its failure.
        let err = if kvs { Some(KVS_MARK.to_string()) } else { err };
        results.push(match (if kvs { None } else { out }, err) {
            (Some(json), _) => serde_json::from_str(&json)
                .map_err(|e| JsError::Throws(format!("returns what is not JSON: {e}"))),
            (None, Some(err)) if err.contains(KVS_MARK) => Err(JsError::NotEvaluated(
                "the function reads a KeyValueStore, whose contents the input does not have".into(),
            )),
            (None, Some(err)) => Err(JsError::Throws(err)),
            (None, None) => Err(JsError::NotEvaluated(
                "the handler's promise never settles".into(),
            )),
        });
    }
    Ok(results)
}

fn describe(value: &rquickjs::Value<'_>) -> String {
    if let Some(exception) = value.as_exception() {
        return exception.message().unwrap_or_default();
    }
    value
        .as_string()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| "an exception".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handlers_run_sync_and_async_and_keep_globals() {
        let code = "var n = 0; async function handler(e) { n++; return {n: n, o: e.o}; }";
        let out = run(code, &[json!({"o": "a"}), json!({"o": "b"})], None).unwrap();
        assert_eq!(out[0], Ok(json!({"n": 1, "o": "a"})));
        assert_eq!(out[1], Ok(json!({"n": 2, "o": "b"})));
    }

    #[test]
    fn throws_loops_and_key_value_stores_are_told_apart() {
        let out = run(
            "function handler(e) { throw new Error('boom'); }",
            &[json!({})],
            None,
        )
        .unwrap();
        assert_eq!(out[0], Err(JsError::Throws("boom".into())));
        assert!(matches!(
            run("function handler(e) { for (;;) {} }", &[json!({})], None),
            Err(JsError::NotEvaluated(_))
        ));
        let kvs = "import cf from 'cloudfront';\nconst kvs = cf.kvs();\nasync function handler(e) { return await kvs.get('x'); }";
        let out = run(kvs, &[json!({})], None).unwrap();
        assert!(matches!(&out[0], Err(JsError::NotEvaluated(m)) if m.contains("KeyValueStore")));
        // With the store's import file, reads answer from it; a missing key rejects.
        let store = r#"{"data": [{"key": "x", "value": "found"}]}"#;
        let out = run(kvs, &[json!({})], Some(store)).unwrap();
        assert_eq!(out[0], Ok(json!("found")));
        let missing = kvs.replace("'x'", "'y'");
        let out = run(&missing, &[json!({})], Some(store)).unwrap();
        assert!(matches!(&out[0], Err(JsError::Throws(m)) if m.contains("not found")));
        assert!(matches!(
            run("function (", &[], None),
            Err(JsError::NotEvaluated(_))
        ));
        assert!(matches!(
            run("var x = 1;", &[], None),
            Err(JsError::NotEvaluated(_))
        ));
    }
}
