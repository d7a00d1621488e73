use clap::Parser;

#[tokio::main]
async fn main() {
    process_limits::return_large_blocks_to_the_system();
    process_limits::raise_open_file_limit();
    let cli = tessera::cli::Cli::parse();
    std::process::exit(tessera::cli::run(cli).await);
}

/// Process-wide settings the server needs and the platform defaults get wrong.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod process_limits {
    /// Argon2 allocates 19 MiB for every password hash, on whichever blocking
    /// thread runs it. Once glibc's dynamic mmap threshold has risen past that
    /// size, it serves such blocks from per-thread arenas and keeps them: a
    /// burst of logins left the process at 300-500 MiB resident on 2 cores
    /// (more arenas on more cores), against the Helm chart's 512Mi limit. A
    /// fixed threshold maps every block of 1 MiB or more on its own and unmaps
    /// it when freed. tests/bounds/logins.rs measures it.
    pub fn return_large_blocks_to_the_system() {
        // SAFETY: mallopt only sets an allocator parameter; any value is valid.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
    }

    /// Every connection costs two descriptors (conn_deadline keeps a second
    /// one to cut slow clients off), and service managers often start
    /// processes with a soft limit of 1024 under a much higher hard one: take
    /// the hard limit, as Go's runtime does. Nothing here uses select(2).
    pub fn raise_open_file_limit() {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: both calls only read or write the struct passed to them.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod process_limits {
    pub fn return_large_blocks_to_the_system() {}
    pub fn raise_open_file_limit() {}
}
