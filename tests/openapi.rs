//! The served OpenAPI document against the service (docs/api.md, "How the document is made"):
//! every route it describes is served, and a route that needs a token says 401 before it looks
//! at the path, the query or the body.

mod common;
use dualdraw::auth::Role;

/// A concrete path for a documented template: each parameter gets a value of its pattern.
fn concrete(template: &str) -> String {
    template
        .replace("{uscc}", "91440305MA5DA00044")
        .replace("{id}", "1")
        .replace("{batch}", "no-such-batch")
        .replace("{kind}", "enterprises")
        .replace("{path}", "commitment.json")
}

/// What the API's fallback answers for a path it does not have.
fn is_unrouted(status: u16, body: &serde_json::Value) -> bool {
    status == 405
        || (status == 404
            && body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no such endpoint")))
}

both!(every_documented_route_is_served, |app| {
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let admin = app.token(Role::Admin, None).await;
    let mut seen = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let path = concrete(template);
            let req = app.client.request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{}", app.base, path),
            );
            let res = req.bearer_auth(&admin).send().await.unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            assert!(
                !is_unrouted(status, &body),
                "{method} {template} is documented but not served: {status} {body}"
            );
            seen += 1;
        }
    }
    assert!(seen >= 50, "{seen} operations");
    // And the fallback is what the check above would catch.
    let res = app
        .client
        .get(format!("{}/api/v1/no-such-route", app.base))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(is_unrouted(status, &body), "{status} {body}");
});

both!(a_route_that_needs_a_token_says_401_before_422, |app| {
    app.load_fixtures().await;
    // A code with a wrong check character, a bad date, a query that is not an integer: each
    // would be 422 or 400 for a caller with a token; without one they are 401.
    for path in [
        "/api/v1/enterprises/91440305MA5DA00045/tier",
        "/api/v1/enterprises/91440305MA5DA00044/tier?on=yesterday",
        "/api/v1/audit?limit=many",
        "/api/v1/repairs/overdue?on=2026-13-40",
        "/api/v1/inspection-jobs/x",
        "/api/v1/repairs?uscc=1",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["code"], "unauthorized", "{path}");
        let (status, body) = json_of(app.get(path).bearer_auth("dd_not_a_token")).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["code"], "bad_token", "{path}");
    }
    // With a token the same requests are refused for what is wrong with them.
    let planner = app.token(Role::Planner, None).await;
    let (status, body) = app
        .get_json_as("/api/v1/enterprises/91440305MA5DA00045/tier", &planner)
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_uscc")));
    let (status, _) = app.get_json_as("/api/v1/audit?limit=many", &planner).await;
    assert_eq!(status, 400);
    // A public route is not guarded: its 422 stays.
    let (status, body) = app.get_json("/api/v1/enterprises/91440305MA5DA00045").await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_uscc")));
});

async fn json_of(req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}
