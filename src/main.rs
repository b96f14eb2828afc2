use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = dualdraw::cli::Cli::parse();
    std::process::exit(i32::from(dualdraw::cli::run(cli).await));
}
