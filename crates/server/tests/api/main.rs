//! The HTTP contract, tested in-process against both backends: every test runs once on SQLite and
//! once on PostgreSQL, asserting status, content type, the exact body and what is stored afterwards.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod concurrency;
mod durability;
mod events;
mod fallback;
mod faults;
mod garbage;
mod helpers;
mod hostile;
mod keys;
mod login;
mod logout;
mod openapi;
mod openapi_check;
mod register;
mod sessions;
mod status;
mod throttle;
