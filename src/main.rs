//! The `shortfall` command: a thin wrapper over the library.

fn main() {
    if let Err(e) = shortfall::cli::main() {
        // Every error of the library already says its cause in its message.
        eprintln!("error: {}", e.to_string().trim_end());
        let interrupted = matches!(
            e.downcast_ref::<shortfall::Error>(),
            Some(shortfall::Error::Interrupted)
        );
        std::process::exit(if interrupted {
            shortfall::cli::interrupted_exit()
        } else {
            1
        });
    }
}
