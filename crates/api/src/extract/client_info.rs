use crate::client_ip::TrustedProxies;
use actix_web::dev::Payload;
use actix_web::http::header::USER_AGENT;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

/// Who is asking: the `User-Agent` (cut and cleaned by the domain; for the session list only) and the
/// client's address (the peer's, or what trusted proxies say: `TrustedProxies`), which attempt limits
/// count by.
pub struct ClientDetails(pub auth_domain::ClientInfo);

impl FromRequest for ClientDetails {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user_agent = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok());
        let ip = match req.app_data::<web::Data<TrustedProxies>>() {
            Some(proxies) => proxies.client_ip(req),
            None => TrustedProxies::default().client_ip(req),
        };
        let ip = ip.map(|ip| ip.to_string());
        ready(Ok(Self(auth_domain::ClientInfo::new(user_agent, ip))))
    }
}
