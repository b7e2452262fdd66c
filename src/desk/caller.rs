//! Who is asking, and what they may do: the one home of the permission rules. Each way in (the
//! API, the console, the command line) only builds a `Caller`; the use cases ask it. The rule
//! for who may be told of a submission by e-mail is the domain's (`domain::may_hear_of`),
//! which the composer and the outbox worker ask of each recipient too.

use crate::domain::may_hear_of;
use crate::domain::{Desk, Locale, Role};

/// The staff member behind a request, loaded fresh with each request from their session (a
/// role change or a disable holds from the next request on), or the operator at the command
/// line.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Sign-in never yields a disabled account; the rules still ask.
    pub active: bool,
    /// The session the request came with (empty for the operator).
    pub session_id: String,
    /// The account's chosen language, if any.
    pub locale: Option<Locale>,
}

/// Why a caller may not do something, decided here once for every way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Refused, where the thing's existence is no secret (the admin pages and routes).
    #[error("not allowed")]
    Forbidden,
    /// On a desk the caller may not see: answered exactly as a missing one is.
    #[error("not found")]
    NotFound,
}

/// The actor id the command line's acts are audited under.
pub const OPERATOR: &str = "cli";

impl Caller {
    /// The operator at the command line: whoever holds the machine holds every desk.
    pub fn operator() -> Caller {
        Caller {
            id: OPERATOR.to_owned(),
            email: String::new(),
            display_name: OPERATOR.to_owned(),
            role: Role::Admin,
            active: true,
            session_id: String::new(),
            locale: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.active && self.role == Role::Admin
    }

    /// Admins only (accounts, data rights, unmatched mail).
    pub fn require_admin(&self) -> Result<(), Denied> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// Whether the caller may see (and so act on) the submissions of `desk`.
    pub fn sees(&self, desk: Desk) -> bool {
        may_hear_of(self.role, self.active, desk)
    }

    /// A submission of `desk`, or `NotFound` as for a missing one.
    pub fn may_see(&self, desk: Desk) -> Result<(), Denied> {
        if self.sees(desk) {
            Ok(())
        } else {
            Err(Denied::NotFound)
        }
    }

    /// The desks the caller sees: the predicate of every list and lookup.
    pub fn desks(&self) -> Vec<Desk> {
        Desk::ALL
            .iter()
            .copied()
            .filter(|d| self.sees(*d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, active: bool) -> Caller {
        Caller {
            active,
            role,
            ..Caller::operator()
        }
    }

    #[test]
    fn each_role_sees_its_own_desks_and_a_disabled_account_none() {
        assert_eq!(caller(Role::Admin, true).desks(), Desk::ALL.to_vec());
        assert_eq!(caller(Role::Editor, true).desks(), vec![Desk::Editorial]);
        assert_eq!(caller(Role::Sales, true).desks(), vec![Desk::Commercial]);
        assert!(caller(Role::Admin, false).desks().is_empty());
        assert_eq!(
            caller(Role::Sales, true).may_see(Desk::Editorial),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn only_active_admins_pass_the_admin_rule() {
        assert!(caller(Role::Admin, true).require_admin().is_ok());
        assert_eq!(
            caller(Role::Admin, false).require_admin(),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            caller(Role::Editor, true).require_admin(),
            Err(Denied::Forbidden)
        );
        assert!(!may_hear_of(Role::Sales, true, Desk::Editorial));
        assert!(!may_hear_of(Role::Editor, false, Desk::Editorial));
        assert!(may_hear_of(Role::Editor, true, Desk::Editorial));
    }
}
