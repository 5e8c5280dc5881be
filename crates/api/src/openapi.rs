//! The OpenAPI 3.1 description, generated from the handlers' annotations, and the docs page.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The JSON body of register and login.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the body `Credentials` reads by hand
pub(crate) struct CredentialsBody {
    /// One `@`, a domain with a dot, at most 254 characters; compared case-insensitively
    #[schema(example = "joe@gmail.com")]
    email: String,
    /// At least `password.min_length` characters (default 6), at most 72 bytes
    #[schema(example = "123456", format = Password)]
    password: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-service",
        description = "Token-based (JWT) authentication: register, login, status, logout. Every response is JSON with `status` `success` or `fail`."
    ),
    paths(
        crate::routes::register::register,
        crate::routes::login::login,
        crate::routes::status::status,
        crate::routes::logout::logout,
        crate::routes::health::live,
        crate::routes::health::ready,
        crate::routes::metrics::metrics,
    ),
    components(schemas(CredentialsBody)),
    modifiers(&BearerScheme),
    tags((name = "auth", description = "Users and tokens"), (name = "health", description = "Liveness and readiness"), (name = "operations", description = "Metrics"))
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
