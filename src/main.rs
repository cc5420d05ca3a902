//! The `shortfall` command: a thin wrapper over the library.

fn main() {
    if let Err(e) = shortfall::cli::main() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
