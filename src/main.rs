//! The `courrier` command line: serve (the default) and migrate.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;

use courrier::app::Application;
use courrier::config::{ConfigError, Settings, Sources};
use courrier::db::{self, Pool};
use courrier::desk::accounts::{self, AccountChange, AccountError, NewAccount};
use courrier::desk::auth::Hasher;
use courrier::domain::{Locale, Msg, Role};

#[path = "main/mail.rs"]
mod mail_commands;
#[path = "main/privacy.rs"]
mod privacy_commands;
#[path = "main/retention.rs"]
mod retention_commands;

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
    /// Manage staff accounts (the first admin is created here).
    #[command(subcommand)]
    User(UserCommand),
    /// Check the configuration: print it (secrets redacted) and every problem found.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Inspect e-mails that gave up, and put them back in the queue.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Move submissions between queues of their own desk.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Readers' mail coming in: the MTA's pipe, and the messages that matched nothing.
    #[command(subcommand)]
    Mail(mail_commands::MailCommand),
    /// Readers' data rights: the export of an address's data, and its erasure.
    #[command(subcommand)]
    Privacy(privacy_commands::PrivacyCommand),
    /// Retention: purge what the configured periods make due, or list it (--dry-run).
    #[command(subcommand)]
    Retention(retention_commands::RetentionCommand),
    /// Insert plausible fake submissions, for benchmarks and demonstrations. Not for production.
    Seed {
        /// How many submissions to insert.
        #[arg(long, default_value_t = 1000)]
        count: usize,
    },
}

#[derive(Subcommand)]
enum QueueCommand {
    /// Move every submission of --from that belongs to --to's desk into --to, each move audited.
    /// Submissions of the other desk stay (they may only go to a queue of their own desk); the
    /// count of those is printed. --from may be a queue no longer configured.
    Move {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load the configuration as `serve` would, print it with secrets redacted, try the
    /// database, and list every problem; exits 1 if there is any.
    Check,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List the e-mails marked dead (a permanent refusal, or too many attempts).
    List,
    /// Put dead e-mails back in the queue, due now: one with --id, or all of them.
    Retry {
        /// The job's id, as `outbox list` prints it.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        id: Option<String>,
        /// Every dead e-mail.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is asked on the terminal, or read from the first line
    /// of standard input when that is not a terminal (12 to 128 characters).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin (everything), editor (editorial queues) or sales (commercial queues).
        #[arg(long)]
        role: Role,
    },
    /// Set a new password (asked as for `add`); ends the account's sessions.
    Passwd {
        #[arg(long)]
        email: String,
    },
    /// Disable an account; ends its sessions. Its history stays.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Clear an account's sign-in locks: those of every client, and the account-wide ceiling.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// List the accounts, with the sign-in locks running on them.
    List,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Config(ConfigCommand::Check)) = cli.command {
        return config_check(cli.config).await;
    }
    let ingest = matches!(
        cli.command,
        Some(Command::Mail(mail_commands::MailCommand::Ingest))
    );
    let settings = match Settings::load(&Sources::from_process(cli.config)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("courrier: {e}");
            // The MTA keeps the message until the configuration is fixed.
            return ExitCode::from(if ingest { 75 } else { 2 });
        }
    };
    courrier::telemetry::init(&settings.log);
    if ingest {
        return mail_commands::ingest(settings).await;
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => courrier::desk::migrate(&settings).await.map(|n| {
            println!("{n} migration(s) applied");
        }),
        Command::User(cmd) => user(&settings, cmd).await,
        Command::Outbox(cmd) => outbox(&settings, cmd).await,
        Command::Config(_) => Ok(()),
        Command::Queue(QueueCommand::Move { from, to }) => move_queue(&settings, &from, &to).await,
        Command::Seed { count } => seed(&settings, count).await,
        Command::Retention(cmd) => retention_commands::run(&settings, cmd).await,
        Command::Mail(mail_commands::MailCommand::Unmatched { limit }) => {
            mail_commands::unmatched(settings.clone(), limit).await
        }
        Command::Mail(mail_commands::MailCommand::Ingest) => Ok(()),
        Command::Privacy(cmd) => privacy_commands::run(settings.clone(), cmd).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("courrier: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A migrated pool and a password hasher, for the commands that work on accounts.
async fn tools(settings: &Settings) -> anyhow::Result<(Pool, Hasher)> {
    courrier::desk::migrate(settings).await?;
    Ok((db::pool(&settings.database)?, Hasher::new(1)?))
}

async fn user(settings: &Settings, cmd: UserCommand) -> anyhow::Result<()> {
    let (pool, hasher) = tools(settings).await?;
    // The command line acts as the operator: whoever holds the machine holds every desk.
    let operator = courrier::desk::Caller::operator();
    let by_email = |email: String| {
        let pool = pool.clone();
        async move {
            let wanted = courrier::desk::accounts::account_key(&email);
            db::run(&pool, move |conn| db::staff::user_by_email(conn, &wanted))
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account with the e-mail address {email}"))
        }
    };
    match cmd {
        UserCommand::Add { email, name, role } => {
            let password = read_password()?;
            let account = NewAccount {
                email,
                name,
                role,
                password,
            };
            let user = accounts::create(&pool, &hasher, account, &operator)
                .await
                .map_err(explain)?;
            println!("created {} ({}, {})", user.email, user.role, user.id);
        }
        UserCommand::Passwd { email } => {
            let user = by_email(email).await?;
            let password = read_password()?;
            let change = AccountChange {
                password: Some(password),
                ..AccountChange::default()
            };
            accounts::change(&pool, &hasher, &user.id, change, &operator)
                .await
                .map_err(explain)?;
            println!(
                "password changed for {}; its sessions are ended",
                user.email
            );
        }
        UserCommand::Disable { email } => {
            let user = by_email(email).await?;
            let change = AccountChange {
                active: Some(false),
                ..AccountChange::default()
            };
            accounts::change(&pool, &hasher, &user.id, change, &operator)
                .await
                .map_err(explain)?;
            println!("disabled {}; its sessions are ended", user.email);
        }
        UserCommand::Unlock { email } => {
            let user = accounts::unlock(&pool, &email, "cli")
                .await
                .map_err(|e| match e {
                    AccountError::NotFound => {
                        anyhow::anyhow!("no account with the e-mail address {email}")
                    }
                    other => explain(other),
                })?;
            println!("unlocked {}", user.email);
        }
        UserCommand::List => {
            let users = accounts::list_with_lockouts(&pool, &settings.auth).await?;
            for (u, lock) in users {
                let state = if u.active { "active" } else { "disabled" };
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.email,
                    u.display_name,
                    u.role,
                    state,
                    u.id,
                    lock.map(|l| describe_lockout(&l)).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// A running lock, for `user list`: a tab, then what is locked and until when (UTC).
fn describe_lockout(lock: &courrier::desk::auth::Lockout) -> String {
    let mut parts = Vec::new();
    if let Some(until) = lock.account_until {
        parts.push(format!(
            "locked for new clients until {}",
            until.format("%Y-%m-%d %H:%M:%SZ")
        ));
    }
    if let Some(until) = lock.clients_until {
        parts.push(format!(
            "locked for {} client(s) until {}",
            lock.clients,
            until.format("%Y-%m-%d %H:%M:%SZ")
        ));
    }
    format!("\t{}", parts.join("; "))
}

async fn config_check(extra: Option<PathBuf>) -> ExitCode {
    let settings = match Settings::load(&Sources::from_process(extra)) {
        Ok(s) => s,
        Err(ConfigError::Invalid(problems)) => {
            for p in problems {
                println!("problem: {p}");
            }
            return ExitCode::FAILURE;
        }
        Err(e) => {
            println!("problem: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{settings:#?}");
    match courrier::desk::migrate(&settings).await {
        Ok(_) => {
            println!("database: reachable and migrated");
            println!("no problem found");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("problem: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn outbox(settings: &Settings, cmd: OutboxCommand) -> anyhow::Result<()> {
    courrier::desk::migrate(settings).await?;
    let pool = db::pool(&settings.database)?;
    match cmd {
        OutboxCommand::List => {
            let jobs = db::run(&pool, db::outbox::dead_jobs).await?;
            for j in &jobs {
                let error = j.last_error.as_deref().unwrap_or("");
                println!(
                    "{}\t{}\t{}\t{} attempt(s)\t{}\t{}",
                    j.id, j.reference, j.purpose, j.attempts, j.created_at, error
                );
            }
            println!("{} dead e-mail(s)", jobs.len());
        }
        OutboxCommand::Retry { id, all: _ } => {
            let n = db::run(&pool, move |conn| {
                db::outbox::requeue_dead(conn, id.as_deref(), db::now())
            })
            .await?;
            println!("{n} e-mail(s) back in the queue; a running instance sends them");
        }
    }
    Ok(())
}

/// The password, from the terminal (asked twice) or from the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12 to 128 characters): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Turns an account error into words for the terminal.
fn explain(e: AccountError) -> anyhow::Error {
    match e {
        AccountError::Invalid(fields) => {
            let problems: Vec<String> = fields
                .iter()
                .flat_map(|(field, errs)| {
                    errs.iter()
                        .map(move |e| format!("{field}: {}", e.msg.text(Locale::En)))
                })
                .collect();
            anyhow::anyhow!(problems.join("; "))
        }
        AccountError::EmailTaken => anyhow::anyhow!(Msg::EmailTaken.text(Locale::En)),
        other => anyhow::anyhow!(other),
    }
}

async fn move_queue(settings: &Settings, from: &str, to: &str) -> anyhow::Result<()> {
    courrier::desk::migrate(settings).await?;
    let pool = db::pool(&settings.database)?;
    let done = courrier::desk::handover::move_queue(&pool, settings, from, to, "cli").await?;
    println!(
        "{} {} submission(s) moved from {from} to {to}",
        done.moved, done.desk
    );
    if done.stayed > 0 {
        println!(
            "{} submission(s) of the other desk stay in {from}: move them to a queue of their own desk",
            done.stayed
        );
    }
    Ok(())
}

async fn seed(settings: &Settings, count: usize) -> anyhow::Result<()> {
    courrier::desk::migrate(settings).await?;
    let pool = db::pool(&settings.database)?;
    let router = settings
        .router()
        .map_err(|e| anyhow::anyhow!("routing: {e}"))?;
    let started = std::time::Instant::now();
    let n = courrier::desk::seed::seed(&pool, &router, count).await?;
    println!("{n} submissions inserted in {:.1?}", started.elapsed());
    Ok(())
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
