pub mod admin;
pub mod login;
pub mod logout;
pub mod prune;
pub mod register;
pub mod status;

#[cfg(test)]
mod tests;
