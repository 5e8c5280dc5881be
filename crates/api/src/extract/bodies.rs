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

string_fields_body! {
    /// `{"token": "..."}`: the token of a link sent by email
    #[derive(utoipa::ToSchema)]
    #[schema(as = LinkTokenRequest)]
    LinkTokenRequest {
        /// The `token` parameter of the link (43 characters of base64url)
        #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
        token,
    }
}

string_fields_body! {
    /// `{"email": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = ForgotPasswordRequest)]
    ForgotPasswordRequest {
        #[schema(value_type = String, format = Email, max_length = 254, example = "joe@gmail.com")]
        email,
    }
}

string_fields_body! {
    /// `{"token": "...", "new_password": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = PasswordResetRequest)]
    PasswordResetRequest {
        /// The `token` parameter of the reset link (43 characters of base64url)
        #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]
        token,
        /// As at registration: `password.min_length` (default 6) to 128 characters
        #[schema(value_type = String, format = Password, max_length = 128)]
        new_password,
    }
}

string_fields_body! {
    /// `{"new_email": "...", "current_password": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = EmailChangeRequest)]
    EmailChangeRequest {
        /// As at registration
        #[schema(value_type = String, format = Email, max_length = 254, example = "joe.new@gmail.com")]
        new_email,
        #[schema(value_type = String, format = Password)]
        current_password,
    }
}

string_fields_body! {
    /// `{"current_password": "..."}`
    #[derive(utoipa::ToSchema)]
    #[schema(as = AccountDeletionRequest)]
    AccountDeletionRequest {
        #[schema(value_type = String, format = Password)]
        current_password,
    }
}
