pub mod admin;
pub mod authenticate;
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

#[cfg(test)]
mod tests;
