//! `comments-server`: the binary. The command line and what each command
//! does live in the library's `cli` module.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    comments_server::cli::main()
}
