//! Staff: roles, the desks they may see, passwords, and the status workflow they follow.

use super::Status;

text_enum!(
    /// What an account may do: `admin` everything, `editor` the editorial desk, `sales` the
    /// commercial desk.
    Role { Admin => "admin", Editor => "editor", Sales => "sales" }
);
text_enum!(
    /// The side of the house a queue belongs to. Editorial queues are never shown to sales.
    Desk { Editorial => "editorial", Commercial => "commercial" }
);

impl super::FormKind {
    /// The desk a form's submissions belong to, wherever they are routed or moved: what readers
    /// send the newsroom never reaches the commercial desk (source protection).
    pub fn desk(self) -> Desk {
        match self {
            super::FormKind::Newsroom => Desk::Editorial,
            super::FormKind::Sales => Desk::Commercial,
        }
    }
}

impl Role {
    pub fn sees(self, desk: Desk) -> bool {
        matches!(
            (self, desk),
            (Role::Admin, _) | (Role::Editor, Desk::Editorial) | (Role::Sales, Desk::Commercial)
        )
    }
}

/// Whether an account may see a desk's submissions and be e-mailed about them: it is active and
/// its role sees the desk. The desk's rules (`desk::caller`) and the outbox worker, when it
/// sends, both ask this one function.
pub fn may_hear_of(role: Role, active: bool, desk: Desk) -> bool {
    active && role.sees(desk)
}

/// A password as chosen: 12 to 128 characters. Longer ones are refused before any hashing.
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least 12 characters")]
    TooShort,
    #[error("a password has at most 128 characters")]
    TooLong,
}

impl Password {
    pub const MIN: usize = 12;
    pub const MAX: usize = 128;

    pub fn parse(s: String) -> Result<Password, PasswordError> {
        // Checked on bytes first so a huge input is not even walked as characters.
        if s.len() > Self::MAX * 4 {
            return Err(PasswordError::TooLong);
        }
        match s.chars().count() {
            n if n < Self::MIN => Err(PasswordError::TooShort),
            n if n > Self::MAX => Err(PasswordError::TooLong),
            _ => Ok(Password(s)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Status {
    /// The statuses a submission may move to from this one: new → open → waiting ↔ open;
    /// open or waiting → resolved (an answer that settles it needs no reopening first);
    /// anything → spam; resolved or spam → open again.
    pub fn allowed_moves(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Open, Spam],
            Open => &[Waiting, Resolved, Spam],
            Waiting => &[Open, Resolved, Spam],
            Resolved => &[Open, Spam],
            Spam => &[Open],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_moves().contains(&to)
    }

    /// Still needs handling: counts towards "overdue".
    pub fn is_open(self) -> bool {
        !Self::CLOSED.contains(&self)
    }

    /// The statuses that need no more handling.
    pub const CLOSED: &'static [Status] = &[Status::Resolved, Status::Spam];

    /// The same, as stored, for queries.
    pub fn closed_texts() -> Vec<&'static str> {
        Self::CLOSED.iter().map(|s| s.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_see_their_desk_only() {
        assert!(Role::Admin.sees(Desk::Editorial) && Role::Admin.sees(Desk::Commercial));
        assert!(Role::Editor.sees(Desk::Editorial) && !Role::Editor.sees(Desk::Commercial));
        assert!(Role::Sales.sees(Desk::Commercial) && !Role::Sales.sees(Desk::Editorial));
    }

    #[test]
    fn workflow_allows_only_the_documented_moves() {
        use Status::*;
        let legal = [
            (New, Open),
            (New, Spam),
            (Open, Waiting),
            (Open, Resolved),
            (Open, Spam),
            (Waiting, Open),
            (Waiting, Resolved),
            (Waiting, Spam),
            (Resolved, Open),
            (Resolved, Spam),
            (Spam, Open),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    legal.contains(&(*from, *to)),
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn passwords_are_bounded() {
        assert_eq!(
            Password::parse("short".into()).unwrap_err(),
            PasswordError::TooShort
        );
        assert!(Password::parse("é".repeat(12)).is_ok());
        assert!(Password::parse("x".repeat(128)).is_ok());
        assert_eq!(
            Password::parse("x".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(
            Password::parse("x".repeat(100_000)).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(
            format!("{:?}", Password::parse("x".repeat(20)).unwrap()),
            "Password(…)"
        );
    }
}
