//! The `shortfall` command: a thin wrapper over the library.

fn main() {
    if let Err(e) = shortfall::cli::main() {
        // Every error of the library already says its cause in its message.
        eprintln!("error: {}", e.to_string().trim_end());
        std::process::exit(1);
    }
}
