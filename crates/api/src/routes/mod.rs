mod fallback;
mod login;
mod logout;
mod register;
mod status;

use actix_web::web;

/// Registers the `/auth` routes, the JSON body rules and the JSON 404/405 answers. The caller puts an
/// `AuthService` in the app data (`web::Data<AuthService>`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(crate::extract::json_config())
        .service(
            web::scope("/auth")
                .service(endpoint("/register", web::post().to(register::register)))
                .service(endpoint("/login", web::post().to(login::login)))
                .service(endpoint("/status", web::get().to(status::status)))
                .service(endpoint("/logout", web::post().to(logout::logout))),
        )
        .default_service(web::to(fallback::not_found));
}

fn endpoint(path: &str, route: actix_web::Route) -> actix_web::Resource {
    web::resource(path)
        .route(route)
        .default_service(web::to(fallback::method_not_allowed))
}
