pub(crate) mod admin_events;
mod docs;
mod fallback;
pub(crate) mod health;
pub(crate) mod jwks;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod metrics;
pub(crate) mod password;
pub(crate) mod refresh;
pub(crate) mod register;
pub(crate) mod session_end;
pub(crate) mod sessions;
pub(crate) mod status;

use actix_web::http::Method;
use actix_web::{Route, web};

/// Every API route: path, method, handler. `configure` registers them and `routes` lists them, so the
/// OpenAPI test can check that each one is documented.
fn endpoints() -> [(&'static str, Method, Route); 13] {
    [
        ("/auth/register", Method::POST, web::post().to(register::register)),
        ("/auth/login", Method::POST, web::post().to(login::login)),
        ("/auth/status", Method::GET, web::get().to(status::status)),
        ("/auth/logout", Method::POST, web::post().to(logout::logout)),
        ("/auth/refresh", Method::POST, web::post().to(refresh::refresh)),
        ("/auth/sessions", Method::GET, web::get().to(sessions::sessions)),
        ("/auth/sessions/{id}", Method::DELETE, web::delete().to(session_end::end_session)),
        ("/auth/password", Method::POST, web::post().to(password::change_password)),
        ("/admin/events", Method::GET, web::get().to(admin_events::events)),
        ("/.well-known/jwks.json", Method::GET, web::get().to(jwks::jwks)),
        ("/health/live", Method::GET, web::get().to(health::live)),
        ("/health/ready", Method::GET, web::get().to(health::ready)),
        ("/metrics", Method::GET, web::get().to(metrics::metrics)),
    ]
}

/// The API's routes as (path, method).
pub fn routes() -> Vec<(&'static str, Method)> {
    endpoints().into_iter().map(|(path, method, _)| (path, method)).collect()
}

/// Registers the API routes, `/openapi.json`, the docs page at `/docs/`, the JSON body rules and the
/// JSON 404/405 answers. The caller puts in the app data a `web::Data<AuthService>`, a
/// `web::Data<HashLimiter>`, a `web::Data<dyn Readiness>` and, to serve `/metrics`, a
/// `web::Data<dyn MetricsSource>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(crate::extract::json_config());
    for (path, method, route) in endpoints() {
        cfg.service(endpoint(path, method, route));
    }
    cfg.service(endpoint("/openapi.json", Method::GET, web::get().to(docs::openapi_json)))
        .service(endpoint("/docs/{tail:.*}", Method::GET, web::get().to(docs::docs_file)))
        .default_service(web::to(fallback::not_found));
}

/// One path, one method; any other method is a JSON 405 that names the allowed one.
fn endpoint(path: &str, allowed: Method, route: Route) -> actix_web::Resource {
    web::resource(path).route(route).default_service(web::to(move || fallback::method_not_allowed(allowed.clone())))
}
