use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = tessera::cli::Cli::parse();
    std::process::exit(tessera::cli::run(cli).await);
}
