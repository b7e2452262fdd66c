//! The `courrier` command line: serve (the default) and migrate.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courrier::config::{Settings, Sources};
use courrier::startup::{self, Application};

/// Courrier: the backend behind a news site's "contact the newsroom" and "contact sales" forms.
///
/// Configuration is read from config/base.toml, then config/<COURRIER_ENV>.toml (local, test or
/// production; local by default), then the file given with --config, then environment variables
/// named COURRIER__SECTION__KEY (for example COURRIER__DATABASE__URL).
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// An extra configuration file (TOML), applied over the built-in layers.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the forms, the API and the outbox worker (default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&Sources::from_process(cli.config)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("courrier: {e}");
            return ExitCode::from(2);
        }
    };
    courrier::telemetry::init(&settings.log);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => startup::migrate(&settings).await.map(|n| {
            println!("{n} migration(s) applied");
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("courrier: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let address = settings.http.address.clone();
    let app = Application::build(settings).await?;
    eprintln!(
        "courrier: listening on http://{}",
        address.replace(":0", &format!(":{}", app.port()))
    );
    app.run_until_stopped().await
}
