//! `courrier mail …`: the MTA's pipe into Courrier (`mail ingest`), and the messages that
//! matched nothing (`mail unmatched`).

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use courrier::config::Settings;
use courrier::desk::inbound::{self, InboundError};
use courrier::desk::Context;
use courrier::instruments::Instruments;

/// sysexits.h: the input data was incorrect in some way.
const EX_DATAERR: u8 = 65;
/// sysexits.h: temporary failure; the MTA keeps the message and tries again.
const EX_TEMPFAIL: u8 = 75;

#[derive(Subcommand)]
pub enum MailCommand {
    /// Read one RFC 5322 message on standard input and take it in (for an MTA's pipe
    /// transport). Exits 0 once it is stored or deliberately ignored, 65 when it cannot be
    /// parsed or is over inbound.max_bytes, 75 when the database is unavailable (the MTA
    /// retries).
    Ingest,
    /// List the messages that matched no submission and went to no queue address, newest
    /// first.
    Unmatched {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// `mail ingest`: the exit status is the answer to the MTA.
pub async fn ingest(settings: Settings) -> ExitCode {
    let max = settings.inbound.max_bytes;
    let mut raw = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(e) = std::io::stdin().take(limit).read_to_end(&mut raw) {
        eprintln!("courrier: cannot read the message: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    if raw.len() > max {
        eprintln!("courrier: message over inbound.max_bytes ({max} bytes)");
        return ExitCode::from(EX_DATAERR);
    }
    let state = match Context::open_light(settings, Arc::new(Instruments::new())).await {
        Ok(state) => state,
        Err(e) => {
            eprintln!("courrier: {e:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    match inbound::receive(&state, raw).await {
        Ok(receipt) => {
            println!(
                "{}\t{}\t{}",
                receipt.outcome,
                receipt.reason.as_deref().unwrap_or("-"),
                receipt.reference.as_deref().unwrap_or("-")
            );
            ExitCode::SUCCESS
        }
        Err(e @ (InboundError::TooLarge { .. } | InboundError::Unparseable(_))) => {
            eprintln!("courrier: {e}");
            ExitCode::from(EX_DATAERR)
        }
        Err(e) => {
            // Anything else may pass: the MTA keeps the message and tries again.
            eprintln!("courrier: {e}");
            ExitCode::from(EX_TEMPFAIL)
        }
    }
}

/// `mail unmatched`: one line per message, then the count.
pub async fn unmatched(settings: Settings, limit: i64) -> anyhow::Result<()> {
    let state = Context::open_for_command(settings, Arc::new(Instruments::new())).await?;
    let rows = inbound::views::unmatched_for_cli(&state, limit).await?;
    for m in &rows {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            m.id,
            m.created_at.format("%Y-%m-%d %H:%M:%SZ"),
            m.sender,
            m.reason.as_deref().unwrap_or("-"),
            m.subject
        );
    }
    println!("{} unmatched message(s)", rows.len());
    Ok(())
}
