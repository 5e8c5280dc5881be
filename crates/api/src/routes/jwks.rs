use crate::blocking::run_blocking;
use crate::error::ApiError;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use auth_domain::AuthService;
use serde::Serialize;

/// The published signing keys as a JWK Set (RFC 7517): public parts only.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Jwk {
    #[schema(pattern = "^OKP$")]
    kty: &'static str,
    #[schema(pattern = "^Ed25519$")]
    crv: &'static str,
    /// The public key, base64url
    x: String,
    kid: String,
    #[schema(pattern = "^EdDSA$")]
    alg: &'static str,
    #[serde(rename = "use")]
    #[schema(pattern = "^sig$")]
    use_: &'static str,
}

/// The public keys that verify our access tokens (EdDSA); empty with HS256, whose key is never published.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "keys",
    responses(
        (status = 200, description = "The published keys; `Cache-Control: public, max-age=N` with N at most half `tokens.key_publish_lead_secs`", body = JwkSet),
        (status = 503, description = "The keys cannot be read (database unavailable); never an empty set instead", body = crate::wire::MessageBody),
    )
)]
pub async fn jwks(service: web::Data<AuthService>) -> Result<HttpResponse, ApiError> {
    let service = service.into_inner();
    let published = run_blocking(move || service.published_keys().map_err(|_| ApiError::Unavailable)).await?;
    let keys = published
        .keys
        .into_iter()
        .map(|(kid, x)| Jwk { kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use_: "sig" })
        .collect();
    let max_age = published.max_age.num_seconds().max(0);
    let cache = HeaderValue::try_from(format!("public, max-age={max_age}")).map_err(|_| ApiError::Internal)?;
    Ok(HttpResponse::Ok().insert_header((CACHE_CONTROL, cache)).json(JwkSet { keys }))
}
