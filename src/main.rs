//! The `shortfall` command: a thin wrapper over the library.

fn main() {
    if let Err(e) = shortfall::cli::main() {
        // Every error of the library already says its cause in its message.
        eprintln!("error: {}", e.to_string().trim_end());
        // As for a flag the command line parser refuses, a flag's value refused after
        // parsing (`--trials 0`, `--range 5:1:3`, `--set` on a missing key) exits with 2.
        // So does a comparison whose every scenario refused the same flag's value.
        let flag = |e: &shortfall::Error| matches!(e, shortfall::Error::Usage { flag, .. } if flag.starts_with("--"));
        std::process::exit(match e.downcast_ref::<shortfall::Error>() {
            Some(shortfall::Error::Interrupted) => shortfall::cli::interrupted_exit(),
            Some(e) if flag(e) => 2,
            Some(shortfall::Error::Several(all)) if all.iter().all(flag) => 2,
            _ => 1,
        });
    }
}
