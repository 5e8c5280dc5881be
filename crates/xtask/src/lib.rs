//! `cargo run -p xtask -- TASK ...`: the project's development tasks that are not part of the service.

pub mod bench_chart;
