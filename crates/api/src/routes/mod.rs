mod fallback;
mod health;
mod login;
mod logout;
mod register;
mod status;

use actix_web::http::Method;
use actix_web::web;

/// Registers the `/auth` and `/health` routes, the JSON body rules and the JSON 404/405 answers. The
/// caller puts in the app data a `web::Data<AuthService>`, a `web::Data<HashLimiter>` and a
/// `web::Data<dyn Readiness>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(crate::extract::json_config())
        .service(
            web::scope("/auth")
                .service(endpoint("/register", Method::POST, web::post().to(register::register)))
                .service(endpoint("/login", Method::POST, web::post().to(login::login)))
                .service(endpoint("/status", Method::GET, web::get().to(status::status)))
                .service(endpoint("/logout", Method::POST, web::post().to(logout::logout))),
        )
        .service(endpoint("/health/live", Method::GET, web::get().to(health::live)))
        .service(endpoint("/health/ready", Method::GET, web::get().to(health::ready)))
        .default_service(web::to(fallback::not_found));
}

/// One path, one method; any other method is a JSON 405 that names the allowed one.
fn endpoint(path: &str, allowed: Method, route: actix_web::Route) -> actix_web::Resource {
    web::resource(path).route(route).default_service(web::to(move || fallback::method_not_allowed(allowed.clone())))
}
