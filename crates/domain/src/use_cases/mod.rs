pub mod admin;
pub mod authenticate;
pub mod delete_account;
pub mod email_change;
pub mod events;
pub mod feed;
pub mod keys;
pub mod login;
pub mod logout;
pub mod mail;
pub mod outbox;
pub mod password_change;
pub mod password_reset;
pub mod prune;
pub mod refresh;
pub mod register;
mod session_start;
pub mod sessions;
pub mod verify_email;

#[cfg(test)]
mod tests;
