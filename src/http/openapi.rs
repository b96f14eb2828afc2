//! The OpenAPI 3.1 document of the service, served at `/api/v1/openapi.json` and generated from
//! the code (`docs/api.md`, "How the document is made"): the routes are the ones [`super::routes`]
//! registers, each with the `#[utoipa::path]` of its handler (summary, who may call, parameters
//! with their patterns and bounds, every status it answers); the schemas are derived from the
//! types the handlers read and serialize. This module adds what is shared: the document's head,
//! the bearer scheme, the error body, and the body limits of [`super::limits`] (413, 429).

use super::error::ErrorBody;
use super::limits::{self, Limits, Size};
use axum::Json;
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;

/// The head of the document; the paths and schemas come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "dualdraw",
        description = "Enterprise directory, credit records and tiers, credit repair, inspection directories, working-day calendar, draws, inspection jobs and results, and the audit log of dualdraw. Errors are JSON {code, message[, details][, limit_bytes]} with a stable code (docs/api.md). The caller is checked before anything else: without a token, a route that needs one answers 401 whatever its parameters."
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme)
)]
pub struct Head;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some("token from `dualdraw token create`".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The whole document, made once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let generated = super::routes().into_openapi();
        finish(serde_json::to_value(generated).expect("the document serializes"))
    })
}

/// Whether `method` on the route `matched` (its axum pattern) needs a token: its operation
/// names no anonymous alternative (`{}`) among its security requirements. The body guard
/// answers 401 for such a route before anything else is read (`docs/api.md`).
pub fn needs_token(method: &axum::http::Method, matched: &str) -> bool {
    static SECURED: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let secured = SECURED.get_or_init(|| {
        let mut out = Vec::new();
        for (path, item) in document()["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let anonymous = op["security"].as_array().is_none_or(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
                });
                if !anonymous {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    });
    let matched = axum_pattern_as_openapi(matched);
    secured
        .iter()
        .any(|(m, p)| m == method.as_str() && *p == matched)
}

/// `/draws/{batch}/files/{*path}` (axum) is `/draws/{batch}/files/{path}` in OpenAPI.
fn axum_pattern_as_openapi(pattern: &str) -> String {
    pattern.replace("{*", "{")
}

/// What every operation shares, added to the generated document: OpenAPI path templates for
/// axum's catch-all parameters; the 400 of the query extractor; optional bodies that are
/// absent or an object, never `null`; and for each route with a body, its limit (413, and 429
/// for uploads) from the one table of [`limits::policy`].
fn finish(mut doc: Value) -> Value {
    let paths = std::mem::take(&mut doc["paths"]);
    let mut renamed = serde_json::Map::new();
    for (path, mut item) in paths.as_object().cloned().unwrap_or_default() {
        for (_, op) in item.as_object_mut().into_iter().flatten() {
            query_errors(op);
            optional_body(op);
        }
        if let Some(post) = item.get_mut("post") {
            body_limits(&path, post);
        }
        renamed.insert(axum_pattern_as_openapi(&path), item);
    }
    doc["paths"] = Value::Object(renamed);
    doc
}

/// A route with query parameters answers 400 `bad_request` when one is repeated or is not of
/// its type (`src/http/extract.rs`), whatever else it answers.
fn query_errors(op: &mut Value) {
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    if has_query && op["responses"]["400"].is_null() {
        op["responses"]["400"] = json!({
            "description": "bad_request: a query parameter is repeated or not of its type",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        });
    }
}

/// An optional body (`Option<T>` in `request_body`) may be left out; when it is sent it is a
/// `T`, not `null`.
fn optional_body(op: &mut Value) {
    let body = &mut op["requestBody"];
    if body.is_null() || body["required"] == true {
        return;
    }
    for (_, media) in body["content"].as_object_mut().into_iter().flatten() {
        let schema = &mut media["schema"];
        let alternatives = schema["oneOf"].as_array().cloned().unwrap_or_default();
        let (nulls, others): (Vec<_>, Vec<_>) =
            alternatives.into_iter().partition(|a| a["type"] == "null");
        if let ([_], [other]) = (nulls.as_slice(), others.as_slice()) {
            *schema = other.clone();
        }
    }
}

/// The 413 of a route with a body, and the 429 of uploads (`docs/http-limits.md`).
fn body_limits(path: &str, op: &mut Value) {
    let example = path.replace("{kind}", "enterprises");
    let Ok(Some(policy)) = limits::policy(&axum::http::Method::POST, path, &example) else {
        return;
    };
    let limits = Limits::default();
    let limit = limits::human(match policy.size {
        Size::Json => limits.json,
        Size::Draw => limits.draw,
        Size::Import => limits.import,
    });
    let error =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
    op["responses"]["413"] = json!({
        "description": format!("payload_too_large: the body is over {limit} (limit_bytes names the limit); refused before reading when Content-Length says so"),
        "content": error,
    });
    if policy.upload {
        op["responses"]["429"] = json!({
            "description": format!("too_many_uploads: all {} upload slots are taken; retry after the Retry-After header's seconds", limits.uploads),
            "headers": { "Retry-After": { "required": true, "schema": { "type": "integer", "minimum": 0 } } },
            "content": error,
        });
    }
    let said = op["description"].as_str().unwrap_or_default().to_string();
    op["description"] = json!(format!(
        "{said}\n\nThe caller is checked before the body is read; the body may be at most {limit}."
    ));
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    summary = "This document",
    description = "Who may call: anyone.",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)),
)]
pub async fn serve() -> Json<&'static Value> {
    Json(document())
}

/// `GET /healthz`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    summary = "Liveness",
    description = "Who may call: anyone.",
    responses((status = 200, description = "the service runs", body = Health)),
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(value_type = String)]
    pub status: &'static str,
}

#[cfg(test)]
mod tests {
    use super::document;

    #[test]
    fn names_the_body_limits() {
        let doc = document();
        let import = &doc["paths"]["/api/v1/imports/{kind}"]["post"]["responses"];
        assert!(import["413"]["description"]
            .as_str()
            .unwrap()
            .contains("2 GiB"));
        assert!(import["429"].is_object());
        let record = &doc["paths"]["/api/v1/credit-records"]["post"]["responses"];
        assert!(record["413"]["description"]
            .as_str()
            .unwrap()
            .contains("64 KiB"));
        assert!(record["429"].is_null());
    }

    #[test]
    fn describes_abandon_and_allow_past_entropy() {
        let doc = document();
        let abandon = &doc["paths"]["/api/v1/draws/{batch}/abandon"]["post"];
        assert_eq!(
            abandon["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/AbandonDraw"
        );
        for status in ["200", "404", "409", "422", "413"] {
            assert!(abandon["responses"][status].is_object(), "{status}");
        }
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["AbandonDraw"]["required"],
            serde_json::json!(["reason"])
        );
        let past = &schemas["NewDraw"]["properties"]["allow_past_entropy"];
        assert_eq!(past["type"], "boolean");
        assert!(past["description"]
            .as_str()
            .unwrap()
            .contains("FOR TESTS AND DEMOS ONLY"));
    }

    #[test]
    fn catch_all_parameters_are_openapi_templates() {
        let doc = document();
        assert!(doc["paths"]["/api/v1/draws/{batch}/files/{path}"]["get"].is_object());
        let text = doc.to_string();
        assert!(
            !text.contains("{*"),
            "an axum catch-all is left in the document"
        );
    }

    /// The USCC of GB 32100-2015 as a pattern: 18 characters of its 31-character alphabet (no
    /// I, O, S, V, Z; `solver/src/uscc.rs`). The check character is not a pattern: a code that
    /// matches but fails it is 422 `invalid_uscc`.
    const USCC_PATTERN: &str = "^[0-9A-HJ-NP-RTUWXY]{18}$";

    #[test]
    fn a_uscc_has_the_pattern_of_gb_32100() {
        let re = USCC_PATTERN;
        let doc = document();
        let tier = &doc["paths"]["/api/v1/enterprises/{uscc}/tier"]["get"]["parameters"];
        let uscc = tier
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "uscc")
            .unwrap();
        assert_eq!(uscc["schema"]["pattern"], re);
        // Every letter of the alphabet of solver/src/uscc.rs, and none other.
        let letters: String = dualdraw_solver::uscc::ALPHABET
            .iter()
            .map(|&b| b as char)
            .filter(char::is_ascii_uppercase)
            .collect();
        assert_eq!(letters, "ABCDEFGHJKLMNPQRTUWXY");
        assert!(re.contains("A-HJ-NP-RTUWXY"));
    }

    #[test]
    fn routes_that_need_a_token_are_known_to_the_guard() {
        use axum::http::Method;
        assert!(super::needs_token(&Method::GET, "/api/v1/audit"));
        assert!(super::needs_token(
            &Method::GET,
            "/api/v1/enterprises/{uscc}/tier"
        ));
        assert!(!super::needs_token(&Method::GET, "/api/v1/enterprises"));
        assert!(!super::needs_token(
            &Method::GET,
            "/api/v1/draws/{batch}/files/{*path}"
        ));
        assert!(!super::needs_token(&Method::GET, "/healthz"));
    }
}
