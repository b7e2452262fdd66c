//! `/docs`: the OpenAPI document as a page for people, rendered here from the document itself
//! (no script, no asset from elsewhere), so it can never disagree with `/openapi.json`.

use askama::Template;
use serde_json::Value;

struct Operation {
    id: String,
    method: String,
    path: String,
    summary: String,
    secured: bool,
    /// Name, where (path, query, header), description.
    parameters: Vec<(String, String, String)>,
    bodies: Vec<String>,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "pages/docs.html")]
struct Docs {
    title: String,
    version: String,
    description: String,
    operations: Vec<Operation>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The page, from the JSON document.
pub fn page(document: &str) -> Result<String, String> {
    let doc: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let summary = [text(&op["summary"]), text(&op["description"])]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| (text(&p["name"]), text(&p["in"]), text(&p["description"])))
                .collect();
            let bodies = op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(media, schema)| {
                    let name = text(&schema["schema"]["$ref"]);
                    let name = name.rsplit('/').next().unwrap_or_default();
                    format!("{media} {name}").trim().to_owned()
                })
                .collect();
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| (status.clone(), text(&r["description"])))
                .collect();
            operations.push(Operation {
                id: text(&op["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary,
                secured: op["security"].is_array(),
                parameters,
                bodies,
                responses,
            });
        }
    }
    Docs {
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        description: text(&doc["info"]["description"]),
        operations,
    }
    .render()
    .map_err(|e| e.to_string())
}
