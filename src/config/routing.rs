//! `[queues]` and `[routing]`: the queues, the rules that route submissions to them, and their
//! check together (a rule names queues, and a queue's desk must match the forms routed to it).

use serde::Deserialize;

use super::{list_or_csv, Settings};
use crate::domain::{Desk, FormKind, QueueName, Router, RuleSpec};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    pub label: String,
    /// `editorial` or `commercial`: which staff may see the queue.
    pub desk: Desk,
    /// Sender of staff replies from this queue; `mail.from` when unset.
    pub address: Option<String>,
    /// Team addresses; a list, or one comma-separated string (handy in environment variables).
    #[serde(deserialize_with = "list_or_csv")]
    pub notify: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettings {
    pub newsroom_queue: String,
    pub sales_queue: String,
    pub right_of_reply_deadline_days: u32,
    #[serde(default)]
    pub rules: Vec<RoutingRuleSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleSettings {
    pub form: String,
    pub topic: Option<String>,
    pub queue: Option<String>,
    pub priority: Option<String>,
}

impl Settings {
    /// The router the configured rules describe.
    pub fn router(&self) -> Result<Router, String> {
        self.router_with(&self.routing.rules)
    }

    fn router_with(&self, rules: &[RoutingRuleSettings]) -> Result<Router, String> {
        Router::new(
            &self.routing.newsroom_queue,
            &self.routing.sales_queue,
            self.routing.right_of_reply_deadline_days,
            rules.iter().map(|r| RuleSpec {
                form: &r.form,
                topic: r.topic.as_deref(),
                queue: r.queue.as_deref(),
                priority: r.priority.as_deref(),
            }),
            |q| self.queues.contains_key(q),
        )
    }
}

impl Settings {
    /// The queues and the routing rules, together: a rule names queues, and a queue's desk
    /// must match the forms routed to it.
    pub(super) fn check_queues_and_routing(&self, problems: &mut Vec<String>) {
        for (name, queue) in &self.queues {
            if QueueName::parse(name).is_err() {
                problems.push(format!(
                    "queues.{name}: a queue name is 1 to 40 lowercase letters, digits, - or _"
                ));
            }
            if queue.notify.is_empty() {
                problems.push(format!("queues.{name}.notify: at least one address"));
            }
            if let Some(addr) = &queue.address {
                if addr.parse::<lettre::message::Mailbox>().is_err() {
                    problems.push(format!("queues.{name}.address: `{addr}` is not a mailbox"));
                }
            }
            for addr in &queue.notify {
                if addr.parse::<lettre::message::Mailbox>().is_err() {
                    problems.push(format!("queues.{name}.notify: `{addr}` is not an address"));
                }
            }
        }
        if let Err(e) = self.router_with(&[]) {
            problems.push(format!("routing: {e}"));
        }
        for (i, rule) in self.routing.rules.iter().enumerate() {
            if let Err(e) = self.router_with(std::slice::from_ref(rule)) {
                problems.push(format!("routing.rules[{i}]: {e}"));
            }
        }
        let Ok(router) = self.router() else {
            return;
        };
        // Source protection: what readers send the newsroom stays on the editorial desk.
        for form in FormKind::ALL.iter().copied() {
            let desk = form.desk();
            for queue in router.queues_for(form) {
                if self
                    .queues
                    .get(queue.as_str())
                    .is_some_and(|q| q.desk != desk)
                {
                    problems.push(format!(
                        "queues.{queue}.desk: the {} form routes here, so it must be `{desk}`",
                        form.as_str()
                    ));
                }
            }
        }
    }
}
