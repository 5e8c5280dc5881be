pub mod admin;
pub mod events;
pub mod keys;
pub mod login;
pub mod logout;
pub mod password_change;
pub mod prune;
pub mod refresh;
pub mod register;
mod session_start;
pub mod sessions;
pub mod status;

#[cfg(test)]
mod tests;
