//! The `chorus` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    chorus::cli::main()
}
