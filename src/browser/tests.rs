//! The browser model against the Fetch standard and Chromium's behaviour, rule by rule.

use super::{
    check_access, check_preflight, check_redirect, evaluate, preflight_cache_seconds,
    readable_headers, Blocked, CorsError, Credentials, Engine, FetchRequest, Initiator, Note,
    PreflightReason, Response,
};

type Headers<'a> = &'a [(&'a str, &'a str)];

const ORIGIN: &str = "https://rabbit.invalid";
const URL: &str = "https://api.invalid/orders";

fn response(status: u16, headers: &[(&str, &str)]) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
    }
}

fn request(method: &str, headers: &[(&str, &str)], credentials: Credentials) -> FetchRequest {
    FetchRequest {
        url: URL.into(),
        origin: ORIGIN.into(),
        method: method.into(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
        credentials,
        initiator: Initiator::Fetch,
        engine: Engine::Chromium,
    }
}

/// A blocked request's error and hint.
fn kind(blocked: &Blocked) -> (CorsError, String) {
    (blocked.error, blocked.hint.clone())
}

fn actual_error(credentials: Credentials, headers: &[(&str, &str)]) -> Option<CorsError> {
    check_access(
        Engine::Chromium,
        ORIGIN,
        credentials,
        &response(200, headers),
    )
    .err()
    .map(|b| b.error)
}

#[test]
fn the_fetch_standard_credentials_table() {
    use CorsError as E;
    use Credentials::{Include, Omit};
    let acao = "Access-Control-Allow-Origin";
    let acac = "Access-Control-Allow-Credentials";
    let rows: [(Credentials, Headers<'_>, Option<CorsError>); 7] = [
        (Omit, &[(acao, "*")], None),
        (Omit, &[(acao, "*"), (acac, "true")], None),
        (
            Omit,
            &[(acao, "https://rabbit.invalid/")],
            Some(E::AllowOriginMismatch),
        ),
        (Omit, &[(acao, ORIGIN)], None),
        (
            Include,
            &[(acao, "*"), (acac, "true")],
            Some(E::WildcardOriginNotAllowed),
        ),
        (Include, &[(acao, ORIGIN), (acac, "true")], None),
        (
            Include,
            &[(acao, ORIGIN), (acac, "True")],
            Some(E::InvalidAllowCredentials),
        ),
    ];
    for (credentials, headers, expected) in rows {
        assert_eq!(
            actual_error(credentials, headers),
            expected,
            "{credentials:?} {headers:?}"
        );
    }
}

#[test]
fn acao_classification_follows_chromium_order() {
    use CorsError as E;
    let acao = "Access-Control-Allow-Origin";
    let cases: [(Headers<'_>, CorsError, &str); 7] = [
        (&[], E::MissingAllowOriginHeader, ""),
        (
            &[(acao, "https://a.com, https://b.com")],
            E::MultipleAllowOriginValues,
            "https://a.com, https://b.com",
        ),
        (
            &[(acao, ORIGIN), (acao, ORIGIN)],
            E::MultipleAllowOriginValues,
            "https://rabbit.invalid, https://rabbit.invalid",
        ),
        (&[(acao, "null")], E::AllowOriginMismatch, "null"),
        (
            &[(acao, "rabbit.invalid")],
            E::InvalidAllowOriginValue,
            "rabbit.invalid",
        ),
        (
            &[(acao, "https://RABBIT.invalid")],
            E::AllowOriginMismatch,
            "https://RABBIT.invalid",
        ),
        (&[(acao, "")], E::InvalidAllowOriginValue, ""),
    ];
    for (headers, error, hint) in cases {
        let got = check_access(
            Engine::Chromium,
            ORIGIN,
            Credentials::Omit,
            &response(200, headers),
        )
        .unwrap_err();
        assert_eq!(kind(&got), (error, hint.to_string()), "{headers:?}");
    }
    // Missing ACAC is reported with an empty hint.
    let got = check_access(
        Engine::Chromium,
        ORIGIN,
        Credentials::Include,
        &response(200, &[(acao, ORIGIN)]),
    )
    .unwrap_err();
    assert_eq!(
        kind(&got),
        (E::InvalidAllowCredentials, String::new().to_string()),
    );
}

#[test]
fn which_requests_are_preflighted_and_why() {
    let simple = request(
        "get",
        &[
            ("Accept", "application/json"),
            ("Content-Type", "text/plain;charset=UTF-8"),
        ],
        Credentials::Omit,
    );
    assert!(simple.preflight_reasons().is_empty());
    assert_eq!(simple.wire_method(), "GET");
    assert_eq!(simple.preflight_headers(), None);

    let patch = request("patch", &[], Credentials::Omit);
    assert_eq!(
        patch.preflight_reasons(),
        vec![PreflightReason::Method {
            method: "patch".into()
        }]
    );

    let json = request(
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("X-B", "1"),
            ("x-a", "2"),
            ("Authorization", "Bearer t"),
            ("Cookie", "a=b"),
        ],
        Credentials::Include,
    );
    assert_eq!(
        json.unsafe_header_names(),
        ["authorization", "content-type", "x-a", "x-b"]
    );
    let preflight = json.preflight_headers().unwrap();
    assert!(preflight.contains(&(
        "Access-Control-Request-Headers".into(),
        "authorization,content-type,x-a,x-b".into()
    )));
    assert!(preflight.contains(&("Access-Control-Request-Method".into(), "POST".into())));
    assert_eq!(
        json.request_notes(),
        vec![Note::ForbiddenHeaderDropped {
            name: "Cookie".into()
        }]
    );

    let long = request("GET", &[("Accept", &"a".repeat(129))], Credentials::Omit);
    assert_eq!(long.unsafe_header_names(), ["accept"]);
    let ranges = request("GET", &[("Range", "bytes=0-10")], Credentials::Omit);
    assert!(ranges.preflight_reasons().is_empty());
    let multi = request("GET", &[("Range", "bytes=0-1,3-4")], Credentials::Omit);
    assert_eq!(multi.unsafe_header_names(), ["range"]);
    let language = request(
        "GET",
        &[("Content-Language", "de-DE"), ("Accept-Language", "en\"")],
        Credentials::Omit,
    );
    assert_eq!(language.unsafe_header_names(), ["accept-language"]);
    let many: Vec<(String, String)> = (0..9)
        .map(|_| ("Accept".to_string(), "a".repeat(120)))
        .collect();
    let big = FetchRequest {
        headers: many,
        ..request("GET", &[], Credentials::Omit)
    };
    assert_eq!(big.unsafe_header_names(), ["accept"]);
}

fn preflight_error(req: &FetchRequest, status: u16, headers: &[(&str, &str)]) -> Option<Blocked> {
    check_preflight(req, &response(status, headers)).err()
}

#[test]
fn preflight_checks_in_chromium_order() {
    use CorsError as E;
    let acao = ("Access-Control-Allow-Origin", ORIGIN);
    let put = request("PUT", &[("X-Foo", "1")], Credentials::Omit);
    // A 403 without ACAO is reported as the missing header, not the status.
    assert_eq!(
        preflight_error(&put, 403, &[]).unwrap().error,
        E::PreflightMissingAllowOriginHeader
    );
    assert_eq!(
        preflight_error(&put, 400, &[acao]).unwrap().error,
        E::PreflightInvalidStatus
    );
    assert_eq!(
        preflight_error(&put, 301, &[("Location", "https://api.invalid/x")])
            .unwrap()
            .error,
        E::PreflightDisallowedRedirect
    );
    assert_eq!(
        kind(&preflight_error(&put, 204, &[("Access-Control-Allow-Origin", "*")]).unwrap()),
        (E::MethodDisallowedByPreflightResponse, "PUT".to_string()),
    );
    assert_eq!(
        kind(
            &preflight_error(&put, 204, &[acao, ("Access-Control-Allow-Methods", "PUT")]).unwrap()
        ),
        (E::HeaderDisallowedByPreflightResponse, "x-foo".to_string()),
    );
    assert_eq!(
        preflight_error(
            &put,
            204,
            &[acao, ("Access-Control-Allow-Methods", "PUT, (bad)")]
        )
        .unwrap()
        .error,
        E::InvalidAllowMethodsPreflightResponse
    );
    assert_eq!(
        preflight_error(
            &put,
            204,
            &[
                acao,
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "x foo")
            ]
        )
        .unwrap()
        .error,
        E::InvalidAllowHeadersPreflightResponse
    );
    assert_eq!(
        preflight_error(
            &put,
            200,
            &[
                acao,
                ("Access-Control-Allow-Methods", "GET,,PUT"),
                ("Access-Control-Allow-Headers", "X-FOO")
            ]
        ),
        None
    );
    // Methods compare case-sensitively after normalization.
    let patch = request("patch", &[], Credentials::Omit);
    assert_eq!(
        preflight_error(
            &patch,
            204,
            &[acao, ("Access-Control-Allow-Methods", "PATCH")]
        )
        .unwrap()
        .hint,
        "patch"
    );
    // With credentials, the wildcards are literal names and the preflight needs ACAC.
    let cred = request("PUT", &[("X-Foo", "1")], Credentials::Include);
    let star = [
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "*"),
        ("Access-Control-Allow-Headers", "*"),
    ];
    assert_eq!(
        preflight_error(&cred, 204, &star).unwrap().error,
        E::MethodDisallowedByPreflightResponse
    );
    assert_eq!(
        kind(
            &preflight_error(&cred, 204, &[acao, ("Access-Control-Allow-Methods", "PUT")]).unwrap()
        ),
        (
            E::PreflightInvalidAllowCredentials,
            String::new().to_string()
        ),
    );
    assert_eq!(
        preflight_error(
            &cred,
            204,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true")
            ]
        )
        .unwrap()
        .error,
        E::PreflightWildcardOriginNotAllowed
    );
    assert_eq!(
        preflight_error(
            &cred,
            204,
            &[(
                "Access-Control-Allow-Origin",
                "https://a.com, https://b.com"
            )]
        )
        .unwrap()
        .error,
        E::PreflightMultipleAllowOriginValues
    );
    assert_eq!(
        preflight_error(&cred, 204, &[("Access-Control-Allow-Origin", "a.com")])
            .unwrap()
            .error,
        E::PreflightInvalidAllowOriginValue
    );
    assert_eq!(
        preflight_error(
            &cred,
            204,
            &[("Access-Control-Allow-Origin", "https://a.com")]
        )
        .unwrap()
        .error,
        E::PreflightAllowOriginMismatch
    );
    assert_eq!(
        preflight_error(
            &cred,
            204,
            &[
                star[0],
                star[1],
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "*")
            ]
        )
        .unwrap()
        .hint,
        "x-foo"
    );
    // Without credentials, `*` covers methods and headers.
    let star_omit = [
        acao,
        ("Access-Control-Allow-Methods", "*"),
        ("Access-Control-Allow-Headers", "*"),
    ];
    assert_eq!(preflight_error(&put, 204, &star_omit), None);
}

#[test]
fn wildcard_headers_cover_authorization_in_chromium_only() {
    let auth = request("GET", &[("Authorization", "Bearer t")], Credentials::Omit);
    let notes = check_preflight(
        &auth,
        &response(
            204,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Headers", "*"),
            ],
        ),
    )
    .unwrap();
    assert_eq!(notes, vec![Note::AuthorizationByWildcard {
        standard_message: format!("Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response.")
    }]);
    let listed = check_preflight(
        &auth,
        &response(
            204,
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Headers", "*, Authorization"),
            ],
        ),
    )
    .unwrap();
    assert!(listed.is_empty());
}

#[test]
fn every_message_has_chromium_wording() {
    use CorsError as E;
    let lead = format!(
        "Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: "
    );
    let p = "Response to preflight request doesn't pass access control check: ";
    let wild = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.";
    let missing = "No 'Access-Control-Allow-Origin' header is present on the requested resource.";
    let multiple = "The 'Access-Control-Allow-Origin' header contains multiple values 'a, b', but only one is allowed. Have the server send the header with a valid value.";
    let invalid = "The 'Access-Control-Allow-Origin' header contains the invalid value 'a.example'. Have the server send the header with a valid value.";
    let mismatch = "The 'Access-Control-Allow-Origin' header has a value 'https://a.example/' that is not equal to the supplied origin. Have the server send the header with a valid value.";
    let creds = "The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'.";
    let cases: Vec<(CorsError, &str, String)> = vec![
        (E::WildcardOriginNotAllowed, "", wild.into()),
        (E::PreflightWildcardOriginNotAllowed, "", format!("{p}{wild}")),
        (E::MissingAllowOriginHeader, "", missing.into()),
        (E::PreflightMissingAllowOriginHeader, "", format!("{p}{missing}")),
        (E::MultipleAllowOriginValues, "a, b", multiple.into()),
        (E::PreflightMultipleAllowOriginValues, "a, b", format!("{p}{multiple}")),
        (E::InvalidAllowOriginValue, "a.example", invalid.into()),
        (E::PreflightInvalidAllowOriginValue, "a.example", format!("{p}{invalid}")),
        (E::AllowOriginMismatch, "https://a.example/", mismatch.into()),
        (E::PreflightAllowOriginMismatch, "https://a.example/", format!("{p}{mismatch}")),
        (E::InvalidAllowCredentials, "True", creds.into()),
        (E::PreflightInvalidAllowCredentials, "True", format!("{p}{creds}")),
        (E::PreflightInvalidStatus, "", format!("{p}It does not have HTTP ok status.")),
        (E::PreflightDisallowedRedirect, "", format!("{p}Redirect is not allowed for a preflight request.")),
        (E::InvalidAllowMethodsPreflightResponse, "", "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".into()),
        (E::InvalidAllowHeadersPreflightResponse, "", "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".into()),
        (E::MethodDisallowedByPreflightResponse, "PUT", "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.".into()),
        (E::HeaderDisallowedByPreflightResponse, "x-foo", "Request header field x-foo is not allowed by Access-Control-Allow-Headers in preflight response.".into()),
        // Measured: Chromium quotes no location.
        (E::RedirectContainsCredentials, "", "Redirect location '' contains a username and password, which is disallowed for cross-origin requests.".into()),
    ];
    // A redirect to another scheme is a failed load, not a CORS error.
    assert_eq!(
        Blocked::new(E::UnsafeRedirect, "").console_message(URL, URL, ORIGIN, Initiator::Fetch),
        "Failed to load resource: net::ERR_UNSAFE_REDIRECT"
    );
    for (error, hint, text) in cases {
        let blocked = Blocked::new(error, hint);
        assert_eq!(
            blocked.console_message(URL, URL, ORIGIN, Initiator::Fetch),
            format!("{lead}{text}"),
            "{error:?}"
        );
        assert_eq!(
            blocked.error.has_preflight_prefix(),
            text.starts_with(p),
            "{error:?}"
        );
    }
    // XHR words the kind differently, drops the no-cors advice and adds the withCredentials one.
    let xhr = Blocked::new(E::InvalidAllowCredentials, String::new()).console_message(
        URL,
        URL,
        ORIGIN,
        Initiator::XmlHttpRequest,
    );
    assert!(
        xhr.starts_with("Access to XMLHttpRequest at ")
            && xhr.ends_with("controlled by the withCredentials attribute."),
        "{xhr}"
    );
    let xhr = Blocked::new(E::AllowOriginMismatch, "x:y").text(Initiator::XmlHttpRequest);
    assert!(xhr.ends_with("supplied origin."), "{xhr}");
    // Hints are escaped like Chromium's EncodeHint.
    let odd =
        Blocked::new(E::AllowOriginMismatch, "https://bücher.example\n").text(Initiator::Fetch);
    assert!(
        odd.contains("'https://b\\u00FCcher.example\\u000A'"),
        "{odd}"
    );
}

#[test]
fn exchange_verdicts_and_readable_headers() {
    let put = request("PUT", &[], Credentials::Include);
    let ok_preflight = response(
        204,
        &[
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Max-Age", "100000"),
        ],
    );
    let ok_actual = response(
        500,
        &[
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Expose-Headers", "X-Id, *"),
            ("X-Id", "1"),
            ("X-Other", "2"),
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "a=b"),
        ],
    );
    let verdict = evaluate(&put, Some(&ok_preflight), Some(&ok_actual));
    assert!(verdict.allowed());
    assert_eq!(verdict.preflight_cache_seconds, Some(7200));
    assert_eq!(verdict.readable_headers, ["content-type", "x-id"]);
    let omit = readable_headers(Credentials::Omit, &ok_actual);
    assert_eq!(
        omit,
        [
            "access-control-allow-credentials",
            "access-control-allow-origin",
            "access-control-expose-headers",
            "content-type",
            "x-id",
            "x-other"
        ]
    );
    let blocked = evaluate(&put, Some(&ok_preflight), Some(&response(200, &[])));
    assert_eq!(
        blocked.blocked.unwrap().error,
        CorsError::MissingAllowOriginHeader
    );
    let blocked = evaluate(&put, Some(&response(204, &[])), Some(&ok_actual));
    assert_eq!(
        blocked.blocked.unwrap().error,
        CorsError::PreflightMissingAllowOriginHeader
    );
    for (acma, seconds) in [
        (None, 5),
        (Some("-1"), 0),
        (Some("abc"), 5),
        (Some("600"), 600),
    ] {
        let mut r = response(204, &[]);
        if let Some(v) = acma {
            r.headers.push(("Access-Control-Max-Age".into(), v.into()));
        }
        assert_eq!(
            preflight_cache_seconds(Engine::Chromium, &r),
            seconds,
            "{acma:?}"
        );
    }
}

#[test]
fn redirects_and_urls() {
    let get = request("GET", &[], Credentials::Omit);
    let redirect = response(
        302,
        &[
            ("Location", "https://u:p@b.example/"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    );
    assert_eq!(
        check_redirect(&get, URL, &redirect, "https://u:p@b.example/")
            .unwrap_err()
            .error,
        CorsError::RedirectContainsCredentials
    );
    assert_eq!(
        check_redirect(&get, URL, &redirect, "ftp://b.example/")
            .unwrap_err()
            .error,
        CorsError::UnsafeRedirect
    );
    assert!(check_redirect(&get, URL, &redirect, "https://b.example/x").is_ok());
    let bare = response(302, &[("Location", "https://b.example/")]);
    assert_eq!(
        check_redirect(&get, URL, &bare, "https://b.example/")
            .unwrap_err()
            .error,
        CorsError::MissingAllowOriginHeader
    );
}

#[test]
fn redirects_rewrite_the_method_as_fetch_does() {
    let post = request(
        "post",
        &[("Content-Type", "text/plain"), ("X-A", "1")],
        Credentials::Omit,
    );
    let to_get = post.redirected(303);
    assert_eq!(to_get.wire_method(), "GET");
    assert_eq!(to_get.headers, [("X-A".to_string(), "1".to_string())]);
    assert_eq!(post.redirected(302).wire_method(), "GET");
    assert_eq!(post.redirected(301).wire_method(), "GET");
    assert_eq!(post.redirected(307).wire_method(), "POST");
    assert_eq!(post.redirected(308).headers.len(), 2);
    let put = request("PUT", &[], Credentials::Omit);
    assert_eq!(put.redirected(302).wire_method(), "PUT");
    assert_eq!(put.redirected(303).wire_method(), "GET");
    assert_eq!(
        request("HEAD", &[], Credentials::Omit)
            .redirected(303)
            .wire_method(),
        "HEAD"
    );
    // A same-origin GET carries no Origin; any other method does; a cross-origin one always.
    let page = FetchRequest {
        origin: "https://api.invalid".into(),
        ..request("GET", &[], Credentials::Omit)
    };
    assert!(!page.actual_headers(URL).iter().any(|(n, _)| n == "Origin"));
    let delete = FetchRequest {
        method: "DELETE".into(),
        ..page.clone()
    };
    assert!(delete
        .actual_headers(URL)
        .iter()
        .any(|(n, _)| n == "Origin"));
    assert!(page
        .actual_headers("https://other.invalid/")
        .iter()
        .any(|(n, _)| n == "Origin"));
}

#[test]
fn redirected_requests_name_the_final_and_the_first_url() {
    let blocked = Blocked::new(CorsError::MissingAllowOriginHeader, String::new());
    assert_eq!(
        blocked.console_message("https://b.invalid/final", URL, ORIGIN, Initiator::Fetch),
        format!("Access to fetch at 'https://b.invalid/final' (redirected from '{URL}') from origin '{ORIGIN}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
}

/// The exception for `request` made with `fetch()` and with XHR.
fn thrown(method: &str, headers: &[(&str, &str)]) -> Option<(String, String)> {
    let fetch = request(method, headers, Credentials::Omit);
    let xhr = FetchRequest {
        initiator: Initiator::XmlHttpRequest,
        ..fetch.clone()
    };
    let message = |r: &FetchRequest| {
        r.script_exception()
            .map(|b| b.console_message(URL, URL, ORIGIN, r.initiator))
    };
    Some((message(&fetch)?, message(&xhr)?))
}

#[test]
fn scripts_throw_before_any_request_in_chromium_order() {
    // Chromium 156's exceptions, measured.
    let fetch = "TypeError: Failed to execute 'fetch' on 'Window': ";
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], String, String);
    let cases: [Case<'_>; 8] = [
        (
            "CONNECT",
            &[],
            format!("{fetch}'CONNECT' HTTP method is unsupported."),
            "SecurityError: Failed to execute 'open' on 'XMLHttpRequest': 'CONNECT' HTTP method is unsupported.".into(),
        ),
        (
            "GE T",
            &[],
            format!("{fetch}'GE T' is not a valid HTTP method."),
            "SyntaxError: Failed to execute 'open' on 'XMLHttpRequest': 'GE T' is not a valid HTTP method.".into(),
        ),
        (
            "",
            &[],
            format!("{fetch}'' is not a valid HTTP method."),
            "SyntaxError: Failed to execute 'open' on 'XMLHttpRequest': '' is not a valid HTTP method.".into(),
        ),
        (
            "G\u{101}T",
            &[("Bad Name", "1")],
            format!("{fetch}Failed to read the 'method' property from 'RequestInit': String contains non ISO-8859-1 code point."),
            "TypeError: Failed to execute 'open' on 'XMLHttpRequest': String contains non ISO-8859-1 code point.".into(),
        ),
        (
            "GET",
            &[("Bad Name", "x")],
            format!("{fetch}Invalid name"),
            "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'Bad Name' is not a valid HTTP header field name.".into(),
        ),
        (
            "GET",
            &[("X-A", "  a\nb "), ("Bad Name", "1")],
            format!("{fetch}Invalid value"),
            "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'a\nb' is not a valid HTTP header field value.".into(),
        ),
        (
            "GET",
            &[("X-\u{e9}", "1")],
            format!("{fetch}Invalid name"),
            "SyntaxError: Failed to execute 'setRequestHeader' on 'XMLHttpRequest': 'X-\u{e9}' is not a valid HTTP header field name.".into(),
        ),
        (
            // fetch() converts the headers before the method; XHR's open() comes first.
            "CONNECT",
            &[("X-A", "\u{101}")],
            format!("{fetch}Failed to read the 'headers' property from 'RequestInit': String contains non ISO-8859-1 code point."),
            "SecurityError: Failed to execute 'open' on 'XMLHttpRequest': 'CONNECT' HTTP method is unsupported.".into(),
        ),
    ];
    for (method, headers, by_fetch, by_xhr) in cases {
        assert_eq!(
            thrown(method, headers),
            Some((by_fetch, by_xhr)),
            "{method:?} {headers:?}"
        );
        let r = request(method, headers, Credentials::Omit);
        assert!(r.throws() && r.preflight_headers().is_none());
    }
    let with_credentials = FetchRequest {
        url: "https://u:p@api.invalid/orders".into(),
        ..request("GE T", &[], Credentials::Omit)
    };
    assert_eq!(
        with_credentials.script_exception().map(|b| b.console_message(URL, URL, ORIGIN, Initiator::Fetch)),
        Some(format!("{fetch}Request cannot be constructed from a URL that includes credentials: https://u:p@api.invalid/orders"))
    );
    for method in ["trace", "Track", "get", "patch", "PURGE", "M-SEARCH", "x~y"] {
        let forbidden = method.eq_ignore_ascii_case("trace") || method == "Track";
        assert_eq!(thrown(method, &[]).is_some(), forbidden, "{method}");
    }
    // Latin-1 values and a value the browser trims are fine.
    assert_eq!(
        thrown("GET", &[("X-A", "caf\u{e9}"), ("X-B", " v\t")]),
        None
    );
}

#[test]
fn headers_as_the_browser_sends_them() {
    // Trimmed, forbidden ones dropped, a repeated name joined under its first spelling.
    let r = request(
        "PUT",
        &[
            ("X-A", " 1 "),
            ("Cookie", "a=b"),
            ("x-a", "2"),
            ("Accept-Language", "en"),
            ("accept-language", "fr"),
        ],
        Credentials::Omit,
    );
    // Accept: */* unless the script set Accept; the actual request adds Origin.
    assert_eq!(
        FetchRequest {
            origin: "null".into(),
            ..r.clone()
        }
        .actual_headers(URL),
        [
            ("X-A".to_string(), "1, 2".to_string()),
            ("Accept-Language".to_string(), "en, fr".to_string()),
            ("Accept".to_string(), "*/*".to_string()),
            ("Origin".to_string(), "null".to_string())
        ]
    );
    assert_eq!(r.unsafe_header_names(), ["x-a"]);
    // Two values that are each safelisted can make a value that is not.
    let joined = request(
        "POST",
        &[
            ("Content-Type", "text/plain"),
            ("Content-Type", "text/plain"),
        ],
        Credentials::Omit,
    );
    assert_eq!(joined.unsafe_header_names(), ["content-type"]);
    assert!(joined.preflight_reasons()[0].to_string().ends_with(
        "(the script set it more than once, and the browser joins the values with `, `)"
    ));
    let accept = request(
        "GET",
        &[("Accept", &"a".repeat(100)), ("Accept", &"b".repeat(100))],
        Credentials::Omit,
    );
    assert_eq!(accept.unsafe_header_names(), ["accept"]);
    // 128 bytes: a Latin-1 character is one byte.
    let latin1 = "\u{e9}".repeat(128);
    assert!(request("GET", &[("Accept", &latin1)], Credentials::Omit)
        .preflight_reasons()
        .is_empty());
}

#[test]
fn chromium_safelists_client_hints_and_counts_the_total() {
    let simple = |headers: &[(&str, &str)]| {
        request("GET", headers, Credentials::Omit)
            .preflight_reasons()
            .is_empty()
    };
    for (name, good, bad) in [
        ("DPR", "2.5", "2."),
        ("Device-Memory", "8", "eight"),
        ("Downlink", "10.25", ".5"),
        ("Width", "100", "1.5"),
        ("Viewport-Width", "800", ""),
        ("RTT", "50", "-1"),
        ("ECT", "4g", "5g"),
        ("Save-Data", "ON", "off"),
        ("Range", "Bytes=0-99", "bytes=-5"),
        (
            "Range",
            "bytes=9223372036854775807-",
            "bytes=9223372036854775808-",
        ),
        (
            "Range",
            "bytes=5-9223372036854775807",
            "bytes=99999999999999999999-5",
        ),
        ("Range", "bytes=5-5", "bytes=5-4"),
        ("Intervention", "<anything>", &"x".repeat(129)),
    ] {
        assert!(simple(&[(name, good)]), "{name}: {good}");
        assert!(!simple(&[(name, bad)]), "{name}: {bad}");
    }
    let hinted = request("GET", &[("DPR", "2"), ("Accept", "a")], Credentials::Omit);
    assert_eq!(
        hinted.request_notes(),
        [Note::SafelistedByChromiumOnly {
            names: vec!["dpr".into()]
        }]
    );
    // Nine safelisted values of 128 bytes pass 1024 together: all nine are then unsafe;
    // eight (exactly 1024) are not.
    let digits = "1".repeat(128);
    let nine: Vec<(&str, &str)> = [
        "DPR",
        "Width",
        "Viewport-Width",
        "Device-Memory",
        "RTT",
        "Downlink",
        "Intervention",
        "Accept",
    ]
    .iter()
    .map(|n| (*n, digits.as_str()))
    .chain([("Content-Language", digits.as_str())])
    .collect();
    assert!(simple(&nine[1..]));
    let all = request("GET", &nine, Credentials::Omit);
    assert_eq!(all.unsafe_header_names().len(), 9);
    assert!(all.preflight_reasons()[0]
        .to_string()
        .contains("together are 1152 bytes, more than 1024"));
    // The browser's own `Accept: */*` counts: eight other 128-byte values and it make 1,027
    // bytes, and accept is named too (measured in Chromium 156).
    let without_accept: Vec<(&str, &str)> = nine
        .iter()
        .filter(|(n, _)| *n != "Accept")
        .copied()
        .collect();
    let eight = request("GET", &without_accept, Credentials::Omit);
    assert_eq!(eight.unsafe_header_names().len(), 9);
    assert!(eight.unsafe_header_names().contains(&"accept".to_string()));
}

/// The request in `engine`.
fn in_engine(engine: Engine, request: FetchRequest) -> FetchRequest {
    FetchRequest { engine, ..request }
}

#[test]
fn each_engine_checks_the_allow_origin_header_in_its_own_way() {
    use CorsError as E;
    use Engine::{Chromium, Firefox, Webkit};
    let acao = "Access-Control-Allow-Origin";
    let acac = "Access-Control-Allow-Credentials";
    let two = [(acao, ORIGIN), (acao, ORIGIN)];
    let list = [(acao, "https://rabbit.invalid,https://b.invalid")];
    let rows: [(Headers<'_>, Credentials, [E; 3]); 5] = [
        (&two, Credentials::Omit, [E::MultipleAllowOriginValues; 3]),
        // Firefox counts header lines; one line with a comma is just not the origin.
        (
            &list,
            Credentials::Omit,
            [
                E::MultipleAllowOriginValues,
                E::AllowOriginMismatch,
                E::MultipleAllowOriginValues,
            ],
        ),
        (&[], Credentials::Omit, [E::MissingAllowOriginHeader; 3]),
        (
            &[(acao, "*"), (acac, "true")],
            Credentials::Include,
            [E::WildcardOriginNotAllowed; 3],
        ),
        (
            &[(acao, ORIGIN), (acac, "True")],
            Credentials::Include,
            [E::InvalidAllowCredentials; 3],
        ),
    ];
    for (headers, credentials, errors) in rows {
        for (engine, error) in [Chromium, Firefox, Webkit].into_iter().zip(errors) {
            let got = check_access(engine, ORIGIN, credentials, &response(200, headers));
            assert_eq!(got.unwrap_err().error, error, "{engine} {headers:?}");
        }
    }
    // `*` without credentials passes everywhere.
    for engine in Engine::ALL {
        assert!(check_access(
            engine,
            ORIGIN,
            Credentials::Omit,
            &response(200, &[(acao, "*")])
        )
        .is_ok());
    }
}

#[test]
fn each_engine_runs_the_preflight_checks_in_its_own_order() {
    use CorsError as E;
    let put = request("PUT", &[("X-Foo", "1")], Credentials::Omit);
    let acao = ("Access-Control-Allow-Origin", ORIGIN);
    let first = |engine: Engine, status: u16, headers: &[(&str, &str)]| {
        check_preflight(&in_engine(engine, put.clone()), &response(status, headers)).unwrap_err()
    };
    // A refusing 403 without CORS headers: WebKit checks the status first.
    assert_eq!(
        first(Engine::Chromium, 403, &[]).error,
        E::PreflightMissingAllowOriginHeader
    );
    assert_eq!(
        first(Engine::Firefox, 403, &[]).error,
        E::PreflightMissingAllowOriginHeader
    );
    let webkit = first(Engine::Webkit, 403, &[]);
    assert_eq!(
        (webkit.error, webkit.status),
        (E::PreflightInvalidStatus, 403)
    );
    // A redirect: WebKit reports it as a status that is not ok.
    let moved = [("Location", "/elsewhere"), acao];
    assert_eq!(
        first(Engine::Firefox, 307, &moved).error,
        E::PreflightDisallowedRedirect
    );
    assert_eq!(
        first(Engine::Webkit, 307, &moved).error,
        E::PreflightInvalidStatus
    );
    // An unparsable list: each engine quotes something else.
    let bad = [acao, ("Access-Control-Allow-Methods", "PUT, (x)")];
    let hints: Vec<String> = Engine::ALL
        .iter()
        .map(|e| first(*e, 204, &bad).hint)
        .collect();
    assert_eq!(hints, ["", "(x)", "PUT, (x)"]);
    // Firefox matches the method before it reads the headers' list.
    let both_bad = [
        acao,
        ("Access-Control-Allow-Methods", "GET"),
        ("Access-Control-Allow-Headers", "a b"),
    ];
    assert_eq!(
        first(Engine::Firefox, 204, &both_bad).error,
        E::MethodDisallowedByPreflightResponse
    );
    assert_eq!(
        first(Engine::Chromium, 204, &both_bad).error,
        E::InvalidAllowHeadersPreflightResponse
    );
    assert_eq!(
        first(Engine::Webkit, 204, &both_bad).error,
        E::InvalidAllowHeadersPreflightResponse
    );
    // A method is matched case-sensitively everywhere; WebKit names a header as the script
    // spelled it.
    for engine in Engine::ALL {
        let lower = first(
            engine,
            204,
            &[acao, ("Access-Control-Allow-Methods", "put")],
        );
        assert_eq!(
            lower.error,
            E::MethodDisallowedByPreflightResponse,
            "{engine}"
        );
    }
    let header = first(
        Engine::Webkit,
        204,
        &[acao, ("Access-Control-Allow-Methods", "PUT")],
    );
    assert_eq!(header.hint, "X-Foo");
    // Empty elements are skipped everywhere.
    for engine in Engine::ALL {
        let lists = [
            acao,
            ("Access-Control-Allow-Methods", ",PUT,,"),
            ("Access-Control-Allow-Headers", " , x-foo"),
        ];
        assert!(check_preflight(&in_engine(engine, put.clone()), &response(204, &lists)).is_ok());
    }
}

#[test]
fn star_covers_authorization_without_credentials_in_every_engine_and_firefox_warns() {
    let get = request("GET", &[("Authorization", "Bearer t")], Credentials::Omit);
    let answer = response(
        204,
        &[
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Headers", "*"),
        ],
    );
    let ok = response(200, &[("Access-Control-Allow-Origin", ORIGIN)]);
    for engine in Engine::ALL {
        let request = in_engine(engine, get.clone());
        let verdict = evaluate(&request, Some(&answer), Some(&ok));
        assert!(verdict.allowed(), "{engine}");
        let lines = super::console_lines(&request, &verdict, URL, Some(200));
        match engine {
            Engine::Firefox => assert!(
                lines.len() == 1 && lines[0].starts_with("Cross-Origin Request Warning: "),
                "{lines:?}"
            ),
            _ => assert!(lines.is_empty(), "{engine}: {lines:?}"),
        }
    }
}

#[test]
fn each_engine_caches_a_preflight_for_its_own_time() {
    let cases: [(Option<&str>, [u32; 3]); 6] = [
        (None, [5, 5, 5]),
        (Some("0"), [0, 0, 0]),
        (Some("600"), [600, 600, 600]),
        (Some("100000"), [7200, 86_400, 600]),
        (Some("-1"), [0, 0, 0]),
        (Some("ten"), [5, 0, 5]),
    ];
    for (age, seconds) in cases {
        let headers: Vec<(&str, &str)> = age
            .map(|a| ("Access-Control-Max-Age", a))
            .into_iter()
            .collect();
        let answer = response(204, &headers);
        let got: Vec<u32> = Engine::ALL
            .iter()
            .map(|e| preflight_cache_seconds(*e, &answer))
            .collect();
        assert_eq!(got, seconds, "{age:?}");
    }
    let caps: Vec<u32> = Engine::ALL.iter().map(|e| e.max_age_cap()).collect();
    assert_eq!(caps, [7200, 86_400, 600]);
}

#[test]
fn only_chromium_sends_its_own_safelisted_headers_without_a_preflight() {
    let dpr = request("GET", &[("DPR", "2")], Credentials::Omit);
    assert!(in_engine(Engine::Chromium, dpr.clone())
        .preflight_reasons()
        .is_empty());
    for engine in [Engine::Firefox, Engine::Webkit] {
        assert_eq!(
            in_engine(engine, dpr.clone()).unsafe_header_names(),
            ["dpr"],
            "{engine}"
        );
    }
}

#[test]
fn engines_send_header_bytes_their_own_way() {
    // Firefox's fetch() keeps the last Content-Type a script sets; the others join them.
    let twice = request(
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("content-type", "text/plain"),
        ],
        Credentials::Omit,
    );
    let content_type = |engine| {
        in_engine(engine, twice.clone())
            .sent_headers()
            .into_iter()
            .find(|(n, _)| n == "Content-Type")
            .unwrap()
            .1
    };
    assert_eq!(content_type(Engine::Firefox), "text/plain");
    assert_eq!(
        content_type(Engine::Chromium),
        "application/json, text/plain"
    );
    assert!(in_engine(Engine::Firefox, twice.clone())
        .preflight_reasons()
        .is_empty());
    // WebKitGTK sends a value's UTF-8.
    let cafe = request("GET", &[("X-Name", "caf\u{e9}")], Credentials::Omit);
    let sent = |engine| {
        in_engine(engine, cafe.clone()).actual_headers(URL)[0]
            .1
            .clone()
    };
    assert_eq!(sent(Engine::Chromium), "caf\u{e9}");
    assert_eq!(sent(Engine::Webkit), "caf\u{c3}\u{a9}");
    // A Location byte above 0x7F: on its own in Chromium and Firefox, read as UTF-8 in WebKit.
    let moved = response(302, &[("Location", "/caf\u{e9}")]);
    assert_eq!(moved.redirect_location(Engine::Firefox).unwrap(), "/caf%E9");
    assert_eq!(
        moved.redirect_location(Engine::Webkit).unwrap(),
        "/caf%C3%AF%C2%BF%C2%BD"
    );
}

#[test]
fn every_failure_has_console_lines_in_every_engine_and_webkit_reads_its_own_back() {
    use CorsError as E;
    let put = request("PUT", &[("X-Foo", "1")], Credentials::Include);
    let failures = [
        (E::MissingAllowOriginHeader, ""),
        (E::PreflightAllowOriginMismatch, "https://other.invalid"),
        (E::MultipleAllowOriginValues, "a, b"),
        (E::WildcardOriginNotAllowed, ""),
        (E::InvalidAllowCredentials, ""),
        (E::PreflightInvalidStatus, ""),
        (E::InvalidAllowMethodsPreflightResponse, "PUT, (x)"),
        (E::InvalidAllowHeadersPreflightResponse, "a b"),
        (E::MethodDisallowedByPreflightResponse, "PUT"),
        (E::HeaderDisallowedByPreflightResponse, "X-Foo"),
    ];
    for (error, hint) in failures {
        let blocked = Blocked {
            status: 403,
            origin: ORIGIN.to_string(),
            ..Blocked::new(error, hint)
        };
        for engine in Engine::ALL {
            let lines = blocked.lines(&in_engine(engine, put.clone()), URL);
            assert!(
                !lines.is_empty() && lines.iter().all(|l| !l.is_empty()),
                "{engine} {error:?}"
            );
        }
        // doctor reads a Safari capture's message back into the failure.
        let webkit = blocked.lines(&in_engine(Engine::Webkit, put.clone()), URL);
        let read = super::read_webkit_message(&webkit[0], error.is_preflight()).unwrap();
        let same = match error {
            // WebKit words a missing header and another origin alike.
            E::MissingAllowOriginHeader => E::AllowOriginMismatch,
            other => other,
        };
        assert_eq!(read.error, same, "{}", webkit[0]);
    }
    assert!(super::read_webkit_message("Failed to load resource", false).is_none());
}

#[test]
fn chromium_notes_a_fetch_from_a_more_public_address_space() {
    let note = |origin: &str, url: &str| {
        let request = FetchRequest {
            url: url.to_string(),
            origin: origin.to_string(),
            ..request("GET", &[], Credentials::Omit)
        };
        request.request_notes().into_iter().find_map(|n| match n {
            Note::LocalNetworkAccess { from, to } => Some((from, to)),
            _ => None,
        })
    };
    assert_eq!(
        note("https://app.example.com", "http://localhost:3000/x"),
        Some(("public", "loopback"))
    );
    assert_eq!(
        note("https://app.example.com", "http://192.168.1.10/x"),
        Some(("public", "private"))
    );
    assert_eq!(
        note("http://10.0.0.2:8080", "http://127.0.0.1:3000/x"),
        Some(("private", "loopback"))
    );
    assert_eq!(
        note("http://localhost:5173", "http://127.0.0.1:3000/x"),
        None
    );
    assert_eq!(
        note("https://app.example.com", "https://api.example.com/x"),
        None
    );
    assert_eq!(
        note("http://127.0.0.1:5173", "https://api.example.com/x"),
        None
    );
    // Chromium only.
    let firefox = FetchRequest {
        url: "http://localhost:3000/x".to_string(),
        origin: "https://app.example.com".to_string(),
        engine: Engine::Firefox,
        ..request("GET", &[], Credentials::Omit)
    };
    assert!(firefox.request_notes().is_empty());
}
