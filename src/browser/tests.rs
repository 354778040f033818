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
        (E::RedirectContainsCredentials, "https://u:p@b.example/", "Redirect location 'https://u:p@b.example/' contains a username and password, which is disallowed for cross-origin requests.".into()),
        (E::UnsafeRedirect, "", "net::ERR_UNSAFE_REDIRECT".into()),
    ];
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
