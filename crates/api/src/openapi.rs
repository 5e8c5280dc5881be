//! The OpenAPI 3.1 description, generated from the handlers' annotations, and the docs page.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        crate::routes::refresh::refresh,
        crate::routes::sessions::sessions,
        crate::routes::session_end::end_session,
        crate::routes::password::change_password,
        crate::routes::verify_email::verify_email,
        crate::routes::verify_resend::resend_verification,
        crate::routes::password_forgot::forgot_password,
        crate::routes::password_reset::reset_password,
        crate::routes::email_change::change_email,
        crate::routes::email_confirm::confirm_email_change,
        crate::routes::account_delete::delete_account,
        crate::routes::pages::verify_page,
        crate::routes::pages::reset_page,
        crate::routes::pages::confirm_page,
        crate::routes::admin_events::events,
        crate::routes::jwks::jwks,
        crate::routes::revocations::revocations,
        crate::routes::revocations_stream::revocations_stream,
        crate::routes::health::live,
        crate::routes::health::ready,
        crate::routes::metrics::metrics,
    ),
    components(schemas(
        crate::extract::Credentials,
        crate::extract::RefreshRequest,
        crate::extract::PasswordChangeRequest,
        crate::extract::LinkTokenRequest,
        crate::extract::ForgotPasswordRequest,
        crate::extract::PasswordResetRequest,
        crate::extract::EmailChangeRequest,
        crate::extract::AccountDeletionRequest,
    )),
    modifiers(&BearerScheme),
    tags((name = "auth", description = "Users and tokens"), (name = "sessions", description = "Refresh tokens, the session list, password change"), (name = "account", description = "The account's life by email: verification, password reset, email change, deletion; and the pages the emails' links open"), (name = "admin", description = "For administrators"), (name = "keys", description = "Public keys for verifying tokens"), (name = "health", description = "Liveness and readiness"), (name = "operations", description = "Metrics"))
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

/// The document as served at `/openapi.json`: what the annotations say, plus the password length the
/// service is configured with.
pub fn openapi(min_password_length: usize) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{RefOr, Schema};
    let mut document = ApiDoc::openapi();
    for (schema, property) in [
        ("CredentialsBody", "password"),
        ("PasswordChangeRequest", "new_password"),
        ("PasswordResetRequest", "new_password"),
    ] {
        let password =
            document.components.as_mut().and_then(|c| c.schemas.get_mut(schema)).and_then(|schema| match schema {
                RefOr::T(Schema::Object(object)) => object.properties.get_mut(property),
                _ => None,
            });
        if let Some(RefOr::T(Schema::Object(password))) = password {
            password.min_length = Some(min_password_length);
        }
    }
    link_tokens_to_their_uses(&mut document);
    registration_may_hold_its_tokens(&mut document);
    document
}

/// With `email.require_verification`, a registration answers 201 with only a message: the 201 of
/// `/auth/register` is either body (anyOf: a token body also has a message).
fn registration_may_hold_its_tokens(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::AnyOf;
    use utoipa::openapi::{Ref, RefOr};
    let created = document
        .paths
        .paths
        .get_mut("/auth/register")
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.responses.responses.get_mut("201"));
    if let Some(RefOr::T(response)) = created
        && let Some(RefOr::T(content)) = response.content.get_mut("application/json")
    {
        let either = AnyOf::builder()
            .item(Ref::from_schema_name("TokenBody"))
            .item(Ref::from_schema_name("MessageBody"))
            .build();
        content.schema = Some(RefOr::T(utoipa::openapi::Schema::AnyOf(either)));
    }
}

/// The token a registration or login returns opens status and logout: links say so (the token goes in
/// the `Authorization` header, `Bearer <auth_token>`), so that a client generator or a stateful fuzzer
/// can follow them.
fn link_tokens_to_their_uses(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::Link;
    for (path, status) in [("/auth/register", "201"), ("/auth/login", "200"), ("/auth/refresh", "200")] {
        let response = document
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
            .and_then(|operation| operation.responses.responses.get_mut(status));
        if let Some(RefOr::T(response)) = response {
            for (name, operation_id) in [
                ("status", "status"),
                ("logout", "logout"),
                ("sessions", "sessions"),
                ("change_password", "change_password"),
            ] {
                let link = Link::builder()
                    .operation_id(operation_id)
                    .parameter("header.Authorization", "Bearer {$response.body#/auth_token}")
                    .description(format!("`Authorization: Bearer <auth_token>` for `{operation_id}`"))
                    .build();
                response.links.insert(name.to_owned(), RefOr::T(link));
            }
            let refresh = Link::builder()
                .operation_id("refresh")
                .request_body(Some(serde_json::json!({"refresh_token": "$response.body#/refresh_token"})))
                .description("`refresh_token` for `refresh`")
                .build();
            response.links.insert("refresh".to_owned(), RefOr::T(refresh));
        }
    }
    // The session list names the sessions a DELETE can end.
    let listed = document
        .paths
        .paths
        .get_mut("/auth/sessions")
        .and_then(|item| item.get.as_mut())
        .and_then(|operation| operation.responses.responses.get_mut("200"));
    if let Some(RefOr::T(response)) = listed {
        let link = Link::builder()
            .operation_id("end_session")
            .parameter("id", "$response.body#/data/sessions/0/id")
            .parameter("header.Authorization", "$request.header.Authorization")
            .description("the first listed session, with the same token")
            .build();
        response.links.insert("end_session".to_owned(), RefOr::T(link));
    }
}
