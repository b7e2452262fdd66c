//! Which queue a submission lands in, at which priority, and by when it must be handled.

use chrono::{Duration, NaiveDateTime};

use super::{FormKind, Priority, QueueName, Topic};

/// Where one submission goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub queue: QueueName,
    pub priority: Priority,
    pub deadline: Option<NaiveDateTime>,
}

#[derive(Debug, Clone)]
struct Rule {
    form: FormKind,
    topic: Option<Topic>,
    queue: Option<QueueName>,
    priority: Option<Priority>,
}

/// Routing rules, checked once at start-up: the first matching rule wins, a rule naming a topic
/// beats one that does not, and each form falls back to its default queue.
#[derive(Debug, Clone)]
pub struct Router {
    newsroom_queue: QueueName,
    sales_queue: QueueName,
    right_of_reply_deadline: Duration,
    rules: Vec<Rule>,
}

/// One rule as configured, before it is checked.
pub struct RuleSpec<'a> {
    pub form: &'a str,
    pub topic: Option<&'a str>,
    pub queue: Option<&'a str>,
    pub priority: Option<&'a str>,
}

impl Router {
    /// Builds the router; `known_queue` says whether a queue is configured.
    pub fn new<'a>(
        newsroom_queue: &str,
        sales_queue: &str,
        right_of_reply_deadline_days: u32,
        rules: impl IntoIterator<Item = RuleSpec<'a>>,
        known_queue: impl Fn(&str) -> bool,
    ) -> Result<Router, String> {
        let queue = |name: &str| -> Result<QueueName, String> {
            if !known_queue(name) {
                return Err(format!("unknown queue `{name}`"));
            }
            QueueName::parse(name).map_err(|_| format!("invalid queue name `{name}`"))
        };
        let mut parsed = Vec::new();
        for spec in rules {
            let form =
                FormKind::parse(spec.form).map_err(|_| format!("unknown form `{}`", spec.form))?;
            let topic = spec
                .topic
                .map(|t| Topic::parse_for(form, t).map_err(|_| format!("unknown topic `{t}`")))
                .transpose()?;
            let priority = spec
                .priority
                .map(|p| Priority::parse(p).map_err(|_| format!("unknown priority `{p}`")))
                .transpose()?;
            parsed.push(Rule {
                form,
                topic,
                queue: spec.queue.map(queue).transpose()?,
                priority,
            });
        }
        // Topic-specific rules first, keeping the configured order otherwise.
        parsed.sort_by_key(|r| r.topic.is_none());
        Ok(Router {
            newsroom_queue: queue(newsroom_queue)?,
            sales_queue: queue(sales_queue)?,
            right_of_reply_deadline: Duration::days(i64::from(right_of_reply_deadline_days)),
            rules: parsed,
        })
    }

    pub fn route(&self, form: FormKind, topic: Topic, now: NaiveDateTime) -> Route {
        let rule = self
            .rules
            .iter()
            .find(|r| r.form == form && r.topic.is_none_or(|t| t == topic));
        let default_queue = match form {
            FormKind::Newsroom => &self.newsroom_queue,
            FormKind::Sales => &self.sales_queue,
        };
        Route {
            queue: rule
                .and_then(|r| r.queue.clone())
                .unwrap_or_else(|| default_queue.clone()),
            priority: rule.and_then(|r| r.priority).unwrap_or(Priority::Normal),
            deadline: (topic == Topic::RightOfReply).then(|| now + self.right_of_reply_deadline),
        }
    }

    /// Every queue a form's submissions can be routed to.
    pub fn queues_for(&self, form: FormKind) -> Vec<&QueueName> {
        let default = match form {
            FormKind::Newsroom => &self.newsroom_queue,
            FormKind::Sales => &self.sales_queue,
        };
        std::iter::once(default)
            .chain(
                self.rules
                    .iter()
                    .filter(|r| r.form == form)
                    .filter_map(|r| r.queue.as_ref()),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(form: &'a str, topic: Option<&'a str>, queue: Option<&'a str>) -> RuleSpec<'a> {
        RuleSpec {
            form,
            topic,
            queue,
            priority: Some("high"),
        }
    }

    fn known(q: &str) -> bool {
        ["editorial", "commercial", "readers-editor"].contains(&q)
    }

    #[test]
    fn topic_rules_beat_form_rules_and_defaults_apply() {
        let now = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let router = Router::new(
            "editorial",
            "commercial",
            3,
            [
                spec("newsroom", None, Some("editorial")),
                spec("newsroom", Some("correction"), Some("readers-editor")),
            ],
            known,
        )
        .unwrap();
        let r = router.route(FormKind::Newsroom, Topic::Correction, now);
        assert_eq!(r.queue.as_str(), "readers-editor");
        assert_eq!(r.priority, Priority::High);
        assert_eq!(r.deadline, None);
        let r = router.route(FormKind::Newsroom, Topic::RightOfReply, now);
        assert_eq!(r.queue.as_str(), "editorial");
        assert_eq!(r.deadline, Some(now + Duration::days(3)));
        let r = router.route(FormKind::Sales, Topic::Advertising, now);
        assert_eq!(
            (r.queue.as_str(), r.priority),
            ("commercial", Priority::Normal)
        );
    }

    #[test]
    fn unknown_queue_is_refused() {
        let err = Router::new(
            "editorial",
            "commercial",
            3,
            [spec("sales", None, Some("nope"))],
            known,
        )
        .unwrap_err();
        assert!(err.contains("nope"), "{err}");
        assert!(Router::new("ghost", "commercial", 3, [], known).is_err());
    }
}
