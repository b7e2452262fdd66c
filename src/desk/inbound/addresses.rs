//! Which addresses are ours: the queues' inbound addresses, and the signed reply address of
//! each submission on its queue's.

use lettre::message::Mailbox;
use secrecy::ExposeSecret;

use crate::desk::Context;
use crate::mail::reply_token::ReplyKey;

/// The deployment's reply key, when `mail.reply_key` is set.
pub fn reply_key(state: &Context) -> Option<ReplyKey> {
    state
        .settings
        .mail
        .reply_key
        .as_ref()
        .map(|k| ReplyKey::new(k.expose_secret()))
}

/// The queue whose inbound address this is (its tag ignored, any case).
pub fn queue_of(state: &Context, address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let local = local.split_once('+').map_or(local, |(base, _)| base);
    state
        .queue_senders
        .iter()
        .find(|(_, q)| {
            let user = q.email.user();
            let base = user.split_once('+').map_or(user, |(b, _)| b);
            base.eq_ignore_ascii_case(local) && q.email.domain().eq_ignore_ascii_case(domain)
        })
        .map(|(name, _)| name.clone())
}

/// The queues' addresses, for token checks.
pub fn queue_addresses(state: &Context) -> Vec<&Mailbox> {
    state.queue_senders.values().collect()
}
