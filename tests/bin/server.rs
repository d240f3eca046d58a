//! The `chorus` binary, built inside the test package so that tests can run the real server as
//! a separate process (and kill it).

fn main() -> std::process::ExitCode {
    chorus_tests::chorus::cli::main()
}
