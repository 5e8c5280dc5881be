//! The JSON bodies of the session endpoints: string fields, each named in its 400 when missing.

use super::json_object::string_fields_body;

string_fields_body! {
    /// `{"refresh_token": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = RefreshRequest)]
    RefreshRequest {
        /// The refresh token a login, registration or refresh returned
        #[schema(value_type = String, min_length = 1)]
        refresh_token,
    }
}

string_fields_body! {
    /// `{"current_password": "...", "new_password": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = PasswordChangeRequest)]
    PasswordChangeRequest {
        #[schema(value_type = String, format = Password)]
        current_password,
        /// As at registration: `password.min_length` (default 6) to 128 characters
        #[schema(value_type = String, format = Password, max_length = 128)]
        new_password,
    }
}
