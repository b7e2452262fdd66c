//! The published contract: the OpenAPI document covers every route, and the answers the
//! document promises for unknown paths and methods hold. (schemathesis, run by `.ci/run` through
//! `scripts/contract`, checks every answer against the document.)

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use crate::helpers::{free_port, spawn_app, Backend, TestDb};

/// Every route the service answers, as method and path.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/assets/courrier.css"),
    ("get", "/merci"),
    ("post", "/v1/forms/newsroom"),
    ("post", "/v1/forms/sales"),
    ("get", "/v1/forms/{form}/token"),
    ("get", "/v1/forms/{form}"),
    ("get", "/corrections"),
    ("get", "/corrections.json"),
    ("get", "/corrections.atom"),
    ("patch", "/v1/corrections/{id}"),
    ("delete", "/v1/corrections/{id}"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
    ("get", "/metrics"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/logout"),
    ("get", "/v1/auth/me"),
    ("get", "/v1/queues"),
    ("get", "/v1/submissions"),
    ("get", "/v1/submissions/{key}"),
    ("patch", "/v1/submissions/{key}"),
    ("post", "/v1/submissions/{key}/notes"),
    ("post", "/v1/submissions/{key}/replies"),
    ("post", "/v1/submissions/{key}/handover"),
    ("get", "/v1/reports/desk"),
    ("get", "/v1/saved-replies"),
    ("post", "/v1/saved-replies"),
    ("get", "/v1/saved-replies/{id}"),
    ("patch", "/v1/saved-replies/{id}"),
    ("delete", "/v1/saved-replies/{id}"),
    ("get", "/v1/users"),
    ("post", "/v1/users"),
    ("patch", "/v1/users/{id}"),
    ("post", "/v1/users/{id}/invitation"),
    ("post", "/v1/inbound/mime"),
    ("get", "/v1/inbound/unmatched"),
    ("get", "/v1/submissions/{key}/messages/{message_id}/raw"),
    ("post", "/v1/privacy/exports"),
    ("post", "/v1/privacy/erasures"),
    ("get", "/v1/optout/{token}"),
    ("post", "/v1/optout/{token}"),
];

async fn document() -> (crate::helpers::TestApp, Value) {
    let app = spawn_app(Backend::Sqlite, free_port()).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    (app, doc)
}

#[tokio::test]
async fn openapi_document_describes_every_route_and_no_other() {
    let (_app, doc) = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "patch", "put", "delete"].contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, served);
    let ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let unique: BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique: {ids:?}");
}

/// A parameter documented in the path that the path does not hold is never sent where the route
/// reads it: a client (schemathesis among them) following the document would have its value
/// dropped, and the route's own checks on it would never be reached.
#[tokio::test]
async fn every_documented_parameter_is_where_the_route_reads_it() {
    let (_app, doc) = document().await;
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method];
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        let templated: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        assert_eq!(in_path, templated, "{method} {path}: path parameters");
        for p in &params {
            assert!(
                ["path", "query", "header"].contains(&p["in"].as_str().unwrap()),
                "{method} {path}: {p}"
            );
        }
    }
    // The unmatched list's `limit` is a query parameter with the handler's bounds.
    let limit = doc["paths"]["/v1/inbound/unmatched"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["required"], false);
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&serde_json::json!(1), &serde_json::json!(200))
    );
}

#[tokio::test]
async fn openapi_document_gives_staff_routes_a_bearer_and_every_error_its_shape() {
    let (_app, doc) = document().await;
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method];
        // The opt-out link is the reader's, signed in its token: no session.
        let staff = path.starts_with("/v1/")
            && !path.starts_with("/v1/forms/")
            && !path.starts_with("/v1/optout/");
        let signed_in = staff && *path != "/v1/auth/login";
        assert_eq!(
            op["security"].is_array(),
            signed_in || *path == "/metrics",
            "{method} {path}: a bearer exactly where a session is needed"
        );
        if signed_in {
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}: errors have one shape"
                );
            }
        }
    }
    // Both forms document both encodings, the idempotency key and the flood limit.
    for form in ["newsroom", "sales"] {
        let op = &doc["paths"][format!("/v1/forms/{form}")]["post"];
        let content = &op["requestBody"]["content"];
        assert!(content["application/json"].is_object(), "{form}");
        assert!(
            content["application/x-www-form-urlencoded"].is_object(),
            "{form}"
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(params.contains(&"Idempotency-Key"), "{form}: {params:?}");
        assert!(
            op["responses"]["429"]["headers"]["Retry-After"].is_object(),
            "{form}"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"]["properties"]["fields"].is_object());
}

#[tokio::test]
async fn an_unsupported_method_answers_405_with_the_allowed_ones() {
    let app = spawn_app(Backend::Sqlite, free_port()).await;
    let response = app
        .client
        .delete(app.url("/v1/submissions/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, PATCH");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");
    let response = app
        .client
        .put(app.url("/v1/forms/newsroom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn an_unknown_path_answers_404_in_the_error_shape() {
    let db = Arc::new(TestDb::new(Backend::Sqlite));
    let app = crate::helpers::spawn_app_with(db, free_port(), |_| {}).await;
    let response = app.get("/v2/nothing-here").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn docs_page_lists_every_route_from_the_document() {
    let (app, doc) = document().await;
    let page = app.get("/docs").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let page = page.text().await.unwrap();
    assert!(!page.contains("<script"), "no script, nothing fetched");
    for (method, path) in ROUTES {
        let heading = format!("<code>{} {}</code>", method.to_uppercase(), path);
        assert!(page.contains(&heading), "{heading}");
    }
    let title = doc["info"]["title"].as_str().unwrap();
    assert!(page.contains(title));
}

/// Two request bodies of one name would share one schema in the document, and clients would be
/// told to send the wrong fields: each route's body names the fields its own handler reads.
#[tokio::test]
async fn each_request_body_is_described_by_its_own_fields() {
    let (_app, doc) = document().await;
    let body_of = |path: &str, method: &str| -> Vec<String> {
        let reference = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} names a schema"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        doc["components"]["schemas"][&reference]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{reference} has properties"))
            .keys()
            .cloned()
            .collect()
    };
    for (path, method) in [
        ("/v1/saved-replies", "post"),
        ("/v1/saved-replies/{id}", "patch"),
    ] {
        let fields = body_of(path, method);
        assert!(
            fields.contains(&"body".to_owned()),
            "{method} {path}: {fields:?}"
        );
        assert!(
            !fields.contains(&"password".to_owned()),
            "{method} {path}: {fields:?}"
        );
    }
    for (path, method) in [("/v1/users", "post"), ("/v1/users/{id}", "patch")] {
        let fields = body_of(path, method);
        assert!(
            fields.contains(&"password".to_owned()),
            "{method} {path}: {fields:?}"
        );
    }
}
