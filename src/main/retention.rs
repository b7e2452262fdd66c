//! `courrier retention run [--dry-run]`: the retention purge, now, or the list of what it would
//! take.

use clap::Subcommand;

use courrier::config::Settings;
use courrier::desk::retention;

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Purge now what the [retention] periods make due (submissions into tombstones, dead
    /// e-mails' bodies, unmatched inbound mail), whatever the daily schedule; one purge runs at
    /// a time across instances. Submissions on legal hold are left alone.
    Run {
        /// List what would go (reference, queue, status, since, rule) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(settings: &Settings, cmd: RetentionCommand) -> anyhow::Result<()> {
    let RetentionCommand::Run { dry_run } = cmd;
    courrier::desk::migrate(settings).await?;
    let pool = courrier::db::pool(&settings.database)?;
    if dry_run {
        let plan = retention::plan(&pool, settings).await?;
        for c in &plan.submissions {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                c.reference,
                c.queue,
                c.status.as_str(),
                c.since.format("%Y-%m-%dT%H:%M:%SZ"),
                c.rule
            );
        }
        println!(
            "would purge {} submission(s), empty the bodies of {} dead e-mail(s) and delete {} \
             unmatched inbound message(s)",
            plan.submissions.len(),
            plan.dead_mail_bodies,
            plan.unmatched_inbound
        );
    } else {
        let done = retention::purge(&pool, settings).await?;
        println!(
            "purged {} submission(s) (tombstones kept), emptied the bodies of {} dead e-mail(s), \
             deleted {} unmatched inbound message(s)",
            done.submissions, done.dead_mail_bodies, done.unmatched_inbound
        );
    }
    Ok(())
}
