//! The server's tests, in one binary (one link of the whole server instead of twelve): the HTTP contract
//! in-process against both backends (every test runs once on SQLite and once on PostgreSQL, asserting
//! status, content type, the exact body and what is stored afterwards), the binary and its processes
//! (`cli`, `instances`, `downstream`, `logs`, `login_flood`, `metrics_labels`), the real server over TCP
//! (`e2e`, `operations`, `slow_clients`), the settings and the deployment files.

mod common;

mod bad_input;
mod cli;
mod concurrency;
mod contract;
mod deployment;
mod downstream;
mod durability;
mod e2e;
mod email;
mod events;
mod fallback;
mod faults;
mod feed;
mod garbage;
mod helpers;
mod hostile;
mod instances;
mod keys;
mod login;
mod login_flood;
mod logout;
mod logs;
mod memory;
mod metrics_labels;
mod openapi;
mod openapi_check;
mod operations;
mod pages;
mod register;
mod sessions;
mod settings;
mod slow_clients;
mod status;
mod throttle;
