// The columns both migration folders create. Only types that diesel's MultiConnection supports on
// both backends: BigInt, Text, Timestamp (UTC, bound from Rust), Bool.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password -> Text,
        registered_on -> Timestamp,
        admin -> Bool,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        user_id -> BigInt,
        revoked_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        generation -> BigInt,
        created_at -> Timestamp,
        last_active_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        tokens_revoked -> Bool,
    }
}

diesel::table! {
    attempt_counters (id) {
        id -> Text,
        kind -> Text,
        email -> Nullable<Text>,
        window_started_at -> Timestamp,
        attempts -> BigInt,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    auth_events (id) {
        id -> BigInt,
        at -> Timestamp,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        session_id -> Nullable<Text>,
        count -> BigInt,
        aggregate_key -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        previous_kid -> Text,
        created_at -> Timestamp,
        signs_from -> Timestamp,
        public_key -> Text,
        sealed_private_key -> Text,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        voided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        user_id -> Nullable<BigInt>,
        sealed_link -> Nullable<Text>,
        detail -> Nullable<Text>,
        state -> Text,
        attempts -> BigInt,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        give_up_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    revocation_feed (id) {
        id -> BigInt,
        sid -> Nullable<Text>,
        jti -> Nullable<Text>,
        last_issued_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(revoked_tokens -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, revoked_tokens, sessions, auth_events, email_tokens, outbox);

diesel::table! {
    readiness_probe (id) {
        id -> BigInt,
        checked_at -> Timestamp,
        padding -> Text,
    }
}
