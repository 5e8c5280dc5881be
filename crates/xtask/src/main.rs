use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((task, rest)) if task == "bench-chart" => xtask::bench_chart::run(rest),
        _ => {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"usage: xtask bench-chart REPORT.tsv OUT.svg   (draws make bench-load's report)\n",
            );
            ExitCode::from(2)
        }
    }
}
