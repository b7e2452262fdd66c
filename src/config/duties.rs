//! Settings of the newsroom's duties: who hears of a right of reply, and when.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutySettings {
    /// Run the duties scheduler (escalations) in this instance; any number may run it.
    pub run_scheduler: bool,
    /// How often the scheduler looks for due escalations.
    pub scheduler_interval_seconds: u64,
    pub right_of_reply: RightOfReplySettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightOfReplySettings {
    /// The publication director (and whoever else answers for the insertion): each right of
    /// reply's escalations go there, and to its assignee.
    #[serde(deserialize_with = "super::list_or_csv")]
    pub escalate_to: Vec<String>,
    /// The warning goes out when this many hours remain before the deadline.
    pub warn_before_hours: u32,
}

impl DutySettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        if self.scheduler_interval_seconds == 0 {
            problems.push("duties.scheduler_interval_seconds: at least 1".into());
        }
        if self.right_of_reply.escalate_to.is_empty() {
            problems.push(
                "duties.right_of_reply.escalate_to: at least one address (the publication \
                 director's)"
                    .into(),
            );
        }
        for address in &self.right_of_reply.escalate_to {
            if address.parse::<lettre::message::Mailbox>().is_err() {
                problems.push(format!(
                    "duties.right_of_reply.escalate_to: `{address}` is not a valid mailbox"
                ));
            }
        }
    }
}
