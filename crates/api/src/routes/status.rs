use crate::extract::Authenticated;
use crate::observe::record_user;
use actix_web::HttpResponse;
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serialize;

/// The token's user.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct StatusBody {
    #[schema(pattern = "^success$")]
    status: &'static str,
    data: UserData,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserData {
    user_id: i64,
    email: String,
    admin: bool,
    /// RFC 3339, UTC
    #[schema(format = DateTime)]
    registered_on: String,
    /// Whether the user proved they read the address (a verification link, a password reset or an
    /// email change)
    email_verified: bool,
}

/// The user a bearer token belongs to.
#[utoipa::path(
    get,
    path = "/auth/status",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = StatusBody),
        (status = 401, description = "No, malformed, expired, invalid or revoked token", body = crate::wire::MessageBody),
        (status = 503, description = "Database unavailable", body = crate::wire::MessageBody),
    )
)]
pub async fn status(caller: Authenticated<401>) -> HttpResponse {
    let user = caller.into_inner().user;
    record_user(user.id);
    HttpResponse::Ok().json(StatusBody {
        status: "success",
        data: UserData {
            user_id: user.id.0,
            email: user.email.as_str().to_owned(),
            admin: user.admin,
            registered_on: rfc3339_seconds(user.registered_on),
            email_verified: user.email_verified_at.is_some(),
        },
    })
}

/// `to_rfc3339_opts(SecondsFormat::Secs, true)` without chrono's format machinery, which showed in the
/// status profile; the same text for every year 0–9999 (a test compares).
fn rfc3339_seconds(at: DateTime<Utc>) -> String {
    if !(0..=9999).contains(&at.year()) {
        return at.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_as_chrono_does() {
        for (secs, nanos) in [(0, 0), (1_764_417_600, 999_999_999), (-62_135_596_800, 0), (253_402_300_799, 5), (-1, 0)]
        {
            let at = Utc.timestamp_opt(secs, nanos).unwrap();
            assert_eq!(rfc3339_seconds(at), at.to_rfc3339_opts(SecondsFormat::Secs, true), "{at:?}");
        }
        let far = Utc.with_ymd_and_hms(12_000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(rfc3339_seconds(far), far.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
}
