pub(crate) mod account_delete;
pub(crate) mod admin_events;
mod docs;
pub(crate) mod email_change;
pub(crate) mod email_confirm;
mod fallback;
pub(crate) mod health;
pub(crate) mod jwks;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod metrics;
pub(crate) mod pages;
pub(crate) mod password;
pub(crate) mod password_forgot;
pub(crate) mod password_reset;
pub(crate) mod refresh;
pub(crate) mod register;
pub(crate) mod revocations;
pub(crate) mod revocations_stream;
pub(crate) mod session_end;
pub(crate) mod sessions;
pub(crate) mod status;
pub(crate) mod verify_email;
pub(crate) mod verify_resend;

use actix_web::http::Method;
use actix_web::{Route, web};

/// Every API route: path, method, handler. `configure` registers them and `routes` lists them, so the
/// OpenAPI test can check that each one is documented.
fn endpoints() -> [(&'static str, Method, Route); 25] {
    [
        ("/auth/register", Method::POST, web::post().to(register::register)),
        ("/auth/login", Method::POST, web::post().to(login::login)),
        ("/auth/status", Method::GET, web::get().to(status::status)),
        ("/auth/logout", Method::POST, web::post().to(logout::logout)),
        ("/auth/refresh", Method::POST, web::post().to(refresh::refresh)),
        ("/auth/sessions", Method::GET, web::get().to(sessions::sessions)),
        ("/auth/sessions/{id}", Method::DELETE, web::delete().to(session_end::end_session)),
        ("/auth/password", Method::POST, web::post().to(password::change_password)),
        ("/auth/password/forgot", Method::POST, web::post().to(password_forgot::forgot_password)),
        ("/auth/password/reset", Method::POST, web::post().to(password_reset::reset_password)),
        ("/auth/reset", Method::GET, web::get().to(pages::reset_page)),
        ("/auth/verify", Method::GET, web::get().to(pages::verify_page)),
        ("/auth/verify", Method::POST, web::post().to(verify_email::verify_email)),
        ("/auth/verify/resend", Method::POST, web::post().to(verify_resend::resend_verification)),
        ("/auth/email", Method::POST, web::post().to(email_change::change_email)),
        ("/auth/email/confirm", Method::GET, web::get().to(pages::confirm_page)),
        ("/auth/email/confirm", Method::POST, web::post().to(email_confirm::confirm_email_change)),
        ("/auth/account", Method::DELETE, web::delete().to(account_delete::delete_account)),
        ("/admin/events", Method::GET, web::get().to(admin_events::events)),
        ("/.well-known/jwks.json", Method::GET, web::get().to(jwks::jwks)),
        ("/auth/revocations", Method::GET, web::get().to(revocations::revocations)),
        ("/auth/revocations/stream", Method::GET, web::get().to(revocations_stream::revocations_stream)),
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
    // a path may have more than one method (a page and its form's endpoint): one resource for each path
    let mut paths: Vec<(&'static str, Vec<(Method, Route)>)> = Vec::new();
    for (path, method, route) in endpoints() {
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push((method, route)),
            None => paths.push((path, vec![(method, route)])),
        }
    }
    for (path, routes) in paths {
        cfg.service(resource(path, routes));
    }
    cfg.service(resource("/openapi.json", vec![(Method::GET, web::get().to(docs::openapi_json))]))
        .service(resource("/docs/{tail:.*}", vec![(Method::GET, web::get().to(docs::docs_file))]))
        .default_service(web::to(fallback::not_found));
}

/// One path and its methods; any other method is a JSON 405 that names the allowed ones.
fn resource(path: &str, routes: Vec<(Method, Route)>) -> actix_web::Resource {
    let allowed: Vec<Method> = routes.iter().map(|(method, _)| method.clone()).collect();
    let resource = routes.into_iter().fold(web::resource(path), |resource, (_, route)| resource.route(route));
    resource.default_service(web::to(move || fallback::method_not_allowed(allowed.clone())))
}
