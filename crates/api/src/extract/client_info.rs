use actix_web::dev::Payload;
use actix_web::http::header::USER_AGENT;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

/// Who is asking, for the session list: the `User-Agent` (cut and cleaned by the domain) and the peer's
/// address. Information only, never a check.
pub struct ClientDetails(pub auth_domain::ClientInfo);

impl FromRequest for ClientDetails {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok());
        let ip = req.peer_addr().map(|addr| addr.ip().to_string());
        ready(Ok(Self(auth_domain::ClientInfo::new(user_agent, ip))))
    }
}
