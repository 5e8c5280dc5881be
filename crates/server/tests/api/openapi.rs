use crate::helpers::TestApp;
use crate::openapi_check::document;
use actix_web::test::TestRequest;
use auth_testkit::{Backend, on_both_backends};

#[test]
fn every_route_is_documented_with_its_method() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for (path, method) in auth_api::routes() {
        let method = method.as_str().to_ascii_lowercase();
        assert!(doc["paths"][path][&method].is_object(), "{method} {path} is not in the OpenAPI document");
    }
    let documented: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, auth_api::routes().len(), "the document describes routes the app does not have");
}

#[test]
fn the_bearer_scheme_and_every_status_are_described() {
    let doc = document();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["bearerFormat"], "JWT");
    for (path, method, statuses) in [
        ("/auth/register", "post", &["201", "202", "400", "413", "415", "503"][..]),
        ("/auth/login", "post", &["200", "400", "404", "413", "415", "503"]),
        ("/auth/status", "get", &["200", "401", "503"]),
        ("/auth/logout", "post", &["200", "401", "403", "503"]),
    ] {
        let operation = &doc["paths"][path][method];
        for status in statuses {
            assert!(operation["responses"][status].is_object(), "{method} {path} {status}");
        }
        if path == "/auth/status" || path == "/auth/logout" {
            assert_eq!(operation["security"][0]["bearer"], serde_json::json!([]), "{path}");
        }
    }
}

async fn the_document_and_the_docs_page_are_served(backend: Backend) {
    let app = TestApp::new(backend);
    let served = app.call(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(served.status, 200);
    assert_eq!(&served.body, document());

    // The Swagger UI page and its assets come from the service itself (nothing from a CDN).
    let page = app.raw(TestRequest::get().uri("/docs/")).await;
    assert_eq!(page.0, 200);
    assert!(page.1.contains("swagger-ui"), "{}", page.1);
    assert!(!page.1.contains("https://"), "the page must not load anything from the network: {}", page.1);
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/swagger-initializer.js"] {
        let (status, body) = app.raw(TestRequest::get().uri(asset)).await;
        assert_eq!(status, 200, "{asset}");
        assert!(!body.is_empty(), "{asset}");
    }
    let (_, initializer) = app.raw(TestRequest::get().uri("/docs/swagger-initializer.js")).await;
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    // An unknown file is the API's JSON 404, like any other unknown path.
    let (status, body) = app.raw(TestRequest::get().uri("/docs/no-such-file.js")).await;
    assert_eq!((status, body.as_str()), (404, r#"{"status":"fail","message":"Not found."}"#));
}

on_both_backends!(async the_document_and_the_docs_page_are_served);
