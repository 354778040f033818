//! The CDK module in the user's own tool. For every example and synthetic policy (API Gateway
//! on), `cdk/` is emitted and used by three sample apps, each a `RestApi` with the app's own
//! methods (ANY, a MOCK answering 200 with `corsIntegrationResponse` / `corsMethodResponse`) on
//! every resource the policy lists, then `applyCors(api)`:
//! - `app.ts`, TypeScript importing `cdk/cors.ts`;
//! - `app.js`, JavaScript (CommonJS) requiring `cdk/cors.js`;
//! - `dts.ts`, TypeScript importing `cors.js` through `cors.d.ts`.
//!
//! `tsc --noEmit` (typescript, aws-cdk-lib and constructs pinned in
//! `tests/harness/package-lock.json`) type-checks the TypeScript apps; every app synthesizes
//! (`generateBootstrapVersionRule: false`, analytics off), the three templates of a policy are
//! equal, and the template, deployed into LocalStack as a stack, answers every request of the
//! REST matrix (`localstack::requests`) as the engine does. Apps that misuse the module
//! (`defaultCorsPreflightOptions`, an OPTIONS method of their own, a gateway response it adds,
//! a second variable path part, an unknown resource path) must fail with its message.

use std::path::Path;

use serde_json::{json, Value};

use crate::cloudfront::emit_variant;
use crate::conformance::{subjects, Subject};
use crate::localstack::{templates_answer_as_the_engine, ACTUAL};
use crate::support::{cors_properties, emit_into, require_tool, root, yaml_to_json};

/// The body types the apps' own MOCK methods take (LocalStack selects a request template by
/// the whole Content-Type).
pub(crate) fn body_types() -> Vec<&'static str> {
    let mut types: Vec<&str> = ACTUAL.iter().filter_map(|(_, t)| *t).collect();
    types.push("application/json");
    types.sort_unstable();
    types.dedup();
    types
}

/// A sample app: `import` is how it loads the module, `ts` whether it is TypeScript, `http`
/// whether it also defines an `HttpApi` with the module's `corsPreflight`.
fn app(import: &str, ts: bool, http: bool, body_types: &[&str]) -> String {
    let types = serde_json::to_string(body_types).unwrap();
    let (names, http_api) = if http {
        (
            "applyCors, corsIntegrationResponse, corsMethodResponse, corsResourcePaths, httpApiCorsPreflight",
            "  new apigwv2.HttpApi(stack, \"Http\", { corsPreflight: httpApiCorsPreflight });\n",
        )
    } else {
        (
            "applyCors, corsIntegrationResponse, corsMethodResponse, corsResourcePaths",
            "",
        )
    };
    let (head, export) = if ts {
        (
            format!(
                "import {{ App, DefaultStackSynthesizer, Stack }} from \"aws-cdk-lib\";\n\
                 import * as apigateway from \"aws-cdk-lib/aws-apigateway\";\n\
                 import * as apigwv2 from \"aws-cdk-lib/aws-apigatewayv2\";\n\
                 import {{ {names} }} from \"{import}\";\n"
            ),
            "export function synth(outdir: string): void {",
        )
    } else {
        (
            format!(
                "\"use strict\";\n\
                 const {{ App, DefaultStackSynthesizer, Stack }} = require(\"aws-cdk-lib\");\n\
                 const apigateway = require(\"aws-cdk-lib/aws-apigateway\");\n\
                 const apigwv2 = require(\"aws-cdk-lib/aws-apigatewayv2\");\n\
                 const {{ {names} }} = require(\"{import}\");\n"
            ),
            "exports.synth = function synth(outdir) {",
        )
    };
    format!(
        "{head}\n{export}\n\
         \x20 const app = new App({{ outdir, analyticsReporting: false }});\n\
         \x20 const stack = new Stack(app, \"CorsgenSample\", {{\n\
         \x20   synthesizer: new DefaultStackSynthesizer({{ generateBootstrapVersionRule: false }}),\n\
         \x20 }});\n\
         \x20 const api = new apigateway.RestApi(stack, \"Api\", {{ cloudWatchRole: false, deployOptions: {{ stageName: \"prod\" }} }});\n\
         \x20 // The app's own methods: a MOCK answering 200, with the CORS headers of its 2XX response.\n\
         \x20 const requestTemplates = Object.fromEntries({types}.map((t) => [t, '{{\"statusCode\": 200}}']));\n\
         \x20 for (const path of corsResourcePaths) {{\n\
         \x20   api.root.resourceForPath(path).addMethod(\n\
         \x20     \"ANY\",\n\
         \x20     new apigateway.MockIntegration({{ requestTemplates, integrationResponses: [corsIntegrationResponse(path)] }}),\n\
         \x20     {{ methodResponses: [corsMethodResponse(path)] }},\n\
         \x20   );\n\
         \x20 }}\n\
         \x20 applyCors(api);\n\
         {http_api}\
         \x20 app.synth();\n\
         }}{}\n",
        if ts { "" } else { ";" }
    )
}

/// Apps that misuse the module, each with the words its error must contain (none: the app
/// must synthesize).
const MISUSES: [(&str, &str, &str); 8] = [
    (
        "proxy-resource",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false });\n  api.root.addProxy({ anyMethod: false });\n  applyCors(api);",
        "",
    ),
    (
        "default-preflight",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false, defaultCorsPreflightOptions: { allowOrigins: [\"https://a.example.com\"] } });\n  applyCors(api);",
        "sets defaultCorsPreflightOptions",
    ),
    (
        "own-options",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false });\n  api.root.addMethod(\"OPTIONS\", new apigateway.MockIntegration());\n  applyCors(api);",
        "already has an OPTIONS method",
    ),
    (
        "gateway-response",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false });\n  api.root.addMethod(\"GET\", new apigateway.MockIntegration());\n  api.addGatewayResponse(\"Mine\", { type: apigateway.ResponseType.DEFAULT_4XX });\n  applyCors(api);",
        "already has a DEFAULT_4XX gateway response",
    ),
    (
        "variable-sibling",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false });\n  api.root.addResource(\"{id}\").addMethod(\"GET\", new apigateway.MockIntegration());\n  applyCors(api);",
        "allows one variable path part per resource",
    ),
    (
        "own-options-lowercase",
        "const api = new apigateway.RestApi(stack, \"Api\", { cloudWatchRole: false });\n  api.root.addMethod(\"options\", new apigateway.MockIntegration());\n  applyCors(api);",
        "already has an OPTIONS method",
    ),
    (
        "lambda-rest-api",
        "const lambda = require(\"aws-cdk-lib/aws-lambda\");\n  const handler = new lambda.Function(stack, \"F\", { runtime: lambda.Runtime.NODEJS_22_X, handler: \"index.main\", code: lambda.Code.fromInline(\"exports.main = async () => ({})\") });\n  const api = new apigateway.LambdaRestApi(stack, \"Api\", { handler, cloudWatchRole: false });\n  applyCors(api);",
        "LambdaRestApi with proxy: true",
    ),
    (
        "unknown-path",
        "corsIntegrationResponse(\"/not-a-resource\");",
        "is not one of the policy's resources",
    ),
];

fn misuse(body: &str) -> String {
    format!(
        "\"use strict\";\n\
         const {{ App, Stack }} = require(\"aws-cdk-lib\");\n\
         const apigateway = require(\"aws-cdk-lib/aws-apigateway\");\n\
         const {{ applyCors, corsIntegrationResponse }} = require(\"./cdk/cors.js\");\n\
         exports.synth = function synth(outdir) {{\n\
         \x20 const app = new App({{ outdir, analyticsReporting: false }});\n\
         \x20 const stack = new Stack(app, \"Misuse\");\n\
         \x20 {body}\n\
         \x20 app.synth();\n\
         }};\n"
    )
}

fn run(program: &Path, args: &[&str], dir: &Path) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{stdout}\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn template(outdir: &Path) -> Value {
    let text = std::fs::read_to_string(outdir.join("CorsgenSample.template.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", outdir.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn cdk_apps_type_check_synthesize_and_answer_as_the_engine_in_localstack() {
    require_tool("node");
    let modules = root().join("tests/harness/node_modules");
    let tsc = modules.join("typescript/bin/tsc");
    assert!(
        tsc.exists() && modules.join("aws-cdk-lib/package.json").exists(),
        "typescript and aws-cdk-lib are required by this test; run scripts/test.sh, which installs them (npm ci, cached under ~/.cache/corsgen)"
    );
    let dir = tempfile::tempdir().unwrap();
    let apps = dir.path().join("apps");
    std::fs::create_dir_all(&apps).unwrap();
    std::os::unix::fs::symlink(&modules, apps.join("node_modules")).unwrap();
    let mut subjects: Vec<_> = subjects(dir.path())
        .into_iter()
        .filter(|s| s.policy.apigateway.is_some())
        .collect();
    // One more that HTTP API CORS fits, with max-age 0 and a method as written in lower case:
    // the HttpApi's corsPreflight must keep both.
    let text = "version = 1\n[cors]\nallow-origins = [\"https://a.example.com\"]\nallow-methods = [\"patch\", \"PUT\"]\nmax-age = 0\n";
    let (out, file) = (dir.path().join("extra"), dir.path().join("extra.toml"));
    std::fs::write(&file, text).unwrap();
    subjects.push(Subject {
        label: "max-age 0, lowercase method".to_string(),
        policy: emit_into(text, None, &out),
        out,
        file,
        env: None,
    });
    let types = body_types();
    let mut synth = Vec::new();
    for (i, subject) in subjects.iter().enumerate() {
        let mut policy = subject.policy.clone();
        policy.targets.insert("cdk", corsgen::targets::Enabled::Yes);
        let out = apps.join(format!("p{i}"));
        emit_variant(&policy, &subject.label, &out);
        for file in ["cors.ts", "cors.js", "cors.d.ts"] {
            assert!(
                out.join("cdk").join(file).exists(),
                "{}: {file}",
                subject.label
            );
        }
        // cors.js with its declarations alone, as a JavaScript package would ship them.
        std::fs::create_dir_all(out.join("cdkjs")).unwrap();
        for file in ["cors.js", "cors.d.ts"] {
            std::fs::copy(out.join("cdk").join(file), out.join("cdkjs").join(file)).unwrap();
        }
        let http = out.join("apigateway/http-api.openapi.json").exists();
        std::fs::write(out.join("app.ts"), app("./cdk/cors", true, http, &types)).unwrap();
        std::fs::write(out.join("dts.ts"), app("./cdkjs/cors", true, http, &types)).unwrap();
        std::fs::write(
            out.join("app.js"),
            app("./cdk/cors.js", false, http, &types),
        )
        .unwrap();
        for (name, module) in [
            ("ts", apps.join(format!("build/p{i}/app.js"))),
            ("dts", apps.join(format!("build/p{i}/dts.js"))),
            ("js", out.join("app.js")),
        ] {
            synth.push(json!({"module": module, "outdir": out.join(format!("cdk.out.{name}"))}));
        }
    }
    for (name, body, _) in MISUSES {
        std::fs::write(apps.join(format!("p0/{name}.js")), misuse(body)).unwrap();
        synth.push(json!({
            "module": apps.join(format!("p0/{name}.js")),
            "outdir": apps.join(format!("p0/cdk.out.{name}")),
        }));
    }
    std::fs::write(
        apps.join("tsconfig.json"),
        json!({
            "compilerOptions": {
                "strict": true, "target": "ES2022", "module": "commonjs", "esModuleInterop": true,
                "skipLibCheck": true, "outDir": "build", "rootDir": ".", "types": [],
            },
            "include": ["p*/app.ts", "p*/dts.ts"],
        })
        .to_string(),
    )
    .unwrap();
    let node = Path::new("node");
    let tsc = tsc.to_str().unwrap();
    run(node, &[tsc, "--noEmit", "-p", "tsconfig.json"], &apps);
    run(node, &[tsc, "--noCheck", "-p", "tsconfig.json"], &apps);
    // dts.js requires cors.js next to it, as the package would ship it.
    for i in 0..subjects.len() {
        let to = apps.join(format!("build/p{i}/cdkjs"));
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(apps.join(format!("p{i}/cdkjs/cors.js")), to.join("cors.js")).unwrap();
    }
    let input = apps.join("synth.json");
    std::fs::write(&input, json!({"apps": synth}).to_string()).unwrap();
    let harness = root().join("tests/harness/cdk_synth.js");
    let results: Vec<Value> = serde_json::from_str(&run(
        node,
        &[harness.to_str().unwrap(), input.to_str().unwrap()],
        &apps,
    ))
    .unwrap();

    let mut deploy = Vec::new();
    let mut http_apis = 0;
    for (i, subject) in subjects.iter().enumerate() {
        for r in &results[i * 3..i * 3 + 3] {
            assert_eq!(r["ok"], true, "{}: synth failed: {r}", subject.label);
        }
        let out = apps.join(format!("p{i}"));
        let ts = template(&out.join("cdk.out.ts"));
        assert_eq!(
            ts,
            template(&out.join("cdk.out.js")),
            "{}: cors.ts and cors.js synthesize different templates",
            subject.label
        );
        assert_eq!(
            ts,
            template(&out.join("cdk.out.dts")),
            "{}: cors.js through cors.d.ts synthesizes another template",
            subject.label
        );
        let options = ts["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| {
                r["Type"] == "AWS::ApiGateway::Method" && r["Properties"]["HttpMethod"] == "OPTIONS"
            })
            .count();
        let resources = crate::localstack::resources(&subject.out);
        assert_eq!(
            options,
            resources.len(),
            "{}: one OPTIONS per resource",
            subject.label
        );
        // The OPTIONS methods and gateway responses are apigateway/cloudformation.yaml's.
        let standalone = yaml_to_json(&subject.out.join("apigateway/cloudformation.yaml"));
        assert_eq!(
            cors_properties(&ts),
            cors_properties(&standalone),
            "{}: the synthesized CORS resources",
            subject.label
        );
        // The HttpApi's CorsConfiguration is the one apigateway/http-api.* hold.
        let http = subject.out.join("apigateway/http-api.openapi.json");
        let synthesized: Vec<&Value> = ts["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Api")
            .map(|r| &r["Properties"]["CorsConfiguration"])
            .collect();
        if http.exists() {
            let openapi: Value =
                serde_json::from_str(&std::fs::read_to_string(&http).unwrap()).unwrap();
            let want: serde_json::Map<String, Value> = openapi["x-amazon-apigateway-cors"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (format!("{}{}", k[..1].to_uppercase(), &k[1..]), v.clone()))
                .collect();
            assert_eq!(
                synthesized,
                vec![&Value::Object(want)],
                "{}: the HttpApi's CorsConfiguration",
                subject.label
            );
            http_apis += 1;
        } else {
            assert!(synthesized.is_empty(), "{}", subject.label);
        }
        deploy.push(json!({"template": out.join("cdk.out.ts/CorsgenSample.template.json")}));
    }
    assert!(http_apis > 0, "no policy fits HTTP API CORS");
    for ((name, _, words), r) in MISUSES.iter().zip(&results[subjects.len() * 3..]) {
        if words.is_empty() {
            // A ProxyResource copies its methods to the root: applyCors must not.
            assert_eq!(r["ok"], true, "{name}: {r}");
            continue;
        }
        let error = r["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no error: {r}"));
        assert!(
            error.starts_with("corsgen: ") && error.contains(words),
            "{name}: {error}"
        );
    }

    eprintln!(
        "CDK: {} apps type-check and synthesize alike (TypeScript, JavaScript, cors.d.ts)",
        subjects.len() * 3
    );
    templates_answer_as_the_engine(&subjects, &deploy, "CDK app");
}
