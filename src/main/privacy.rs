//! `courrier privacy …`: a reader's data rights from the command line, as the API gives them
//! to admins: the export of an address's data, and its erasure.

use std::sync::Arc;

use clap::Subcommand;

use courrier::config::Settings;
use courrier::desk::privacy::{self, PrivacyError};
use courrier::desk::Caller;
use courrier::desk::Context;
use courrier::http::privacy::{ErasureReport, ExportDocument};
use courrier::instruments::Instruments;

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Print, as JSON, everything held that this address sent or received (GDPR Art. 15 and
    /// 20): its submissions, messages, replies, notes, consent, e-mail deliveries and marketing
    /// withdrawal. Audited.
    Export {
        #[arg(long)]
        email: String,
    },
    /// Erase this address's personal data from every table (GDPR Art. 17), leaving tombstones,
    /// and cancel its pending e-mails; print, as JSON, what was erased per table and what was
    /// left on legal hold. Audited.
    Erase {
        #[arg(long)]
        email: String,
    },
}

pub async fn run(settings: Settings, cmd: PrivacyCommand) -> anyhow::Result<()> {
    let state = Context::open_for_command(settings, Arc::new(Instruments::new())).await?;
    let json = match cmd {
        PrivacyCommand::Export { email } => {
            let export = privacy::export(&state, &Caller::operator(), &email)
                .await
                .map_err(explain)?;
            serde_json::to_string_pretty(&ExportDocument::new(&export))?
        }
        PrivacyCommand::Erase { email } => {
            let erasure = privacy::erase(&state, &Caller::operator(), &email)
                .await
                .map_err(explain)?;
            serde_json::to_string_pretty(&ErasureReport::new(&erasure))?
        }
    };
    println!("{json}");
    Ok(())
}

fn explain(e: PrivacyError) -> anyhow::Error {
    match e {
        PrivacyError::Invalid(_) => anyhow::anyhow!("--email: not an e-mail address"),
        other => anyhow::Error::new(other),
    }
}
