//! A PostgreSQL statement put together from pieces of SQL text, each numbering its own
//! placeholders (`$1`, `$2`, …) from one, followed by its values.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::QueryResult;

/// SQL text with numbered placeholders (possibly repeated) and its values in that numbering.
/// Unlike `sql_query`, whose statements diesel never prepares twice, it is safe to cache: each
/// connection prepares the single-statement insert once (diesel's cache, keyed by its text)
/// instead of parsing and planning it at every submission.
pub(super) struct Statement<'a> {
    sql: String,
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'a>>,
}

impl<'a> Statement<'a> {
    pub(super) fn new() -> Statement<'a> {
        Statement {
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    /// Appends a piece of SQL whose `$1` is the next value bound after it, `$2` the one after.
    pub(super) fn sql(mut self, piece: &str) -> Statement<'a> {
        let offset = self.binds.len();
        let mut rest = piece;
        while let Some((before, number, after)) = placeholder(rest) {
            self.sql.push_str(before);
            match number {
                Some(n) => self.sql.push_str(&format!("${}", n + offset)),
                // Left as it is, so that `walk_ast` refuses it.
                None => self.sql.push('$'),
            }
            rest = after;
        }
        self.sql.push_str(rest);
        self
    }

    /// Appends `($1, $2, …, $count)`: a row of the next `count` values.
    pub(super) fn row(self, count: usize) -> Statement<'a> {
        let params: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
        self.sql(&format!("({})", params.join(", ")))
    }

    /// The next placeholder's value.
    pub(super) fn bind<ST, V>(mut self, value: V) -> Statement<'a>
    where
        ST: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
        V: diesel::expression::AsExpression<ST>,
        V::Expression: QueryFragment<Pg> + Send + 'a,
    {
        self.binds.push(Box::new(value.as_expression()));
        self
    }
}

/// The first `$` of `text`: the text before it, its number (`None` when no number follows it),
/// and the text after the number.
fn placeholder(text: &str) -> Option<(&str, Option<usize>, &str)> {
    let at = text.find('$')?;
    let digits = text[at + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len() - at - 1);
    let number = text[at + 1..at + 1 + digits].parse().ok();
    Some((&text[..at], number, &text[at + 1 + digits..]))
}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Each `$n` of the text becomes the n-th value; a value named twice is bound twice.
        let mut rest = self.sql.as_str();
        while let Some((before, number, after)) = placeholder(rest) {
            out.push_sql(before);
            let n =
                number.ok_or_else(|| DieselError::QueryBuilderError("bad placeholder".into()))?;
            let bind = n
                .checked_sub(1)
                .and_then(|i| self.binds.get(i))
                .ok_or_else(|| DieselError::QueryBuilderError("no such value".into()))?;
            bind.walk_ast(out.reborrow())?;
            rest = after;
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{Integer, Text};

    #[test]
    fn each_piece_numbers_its_own_values_from_one() {
        let q = Statement::new()
            .sql("SELECT ")
            .row(2)
            .bind::<Text, _>("a")
            .bind::<Integer, _>(1)
            .sql(", $2 + $1, $1")
            .bind::<Integer, _>(2)
            .bind::<Integer, _>(3);
        assert_eq!(q.sql, "SELECT ($1, $2), $4 + $3, $3");
        let sql = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(sql.starts_with("SELECT ($1, $2), $3 + $4, $5"), "{sql}");
    }

    #[test]
    fn a_dollar_without_a_number_is_refused() {
        let q = Statement::new().sql("SELECT $x");
        let mut out = diesel::pg::PgQueryBuilder::default();
        assert!(q.to_sql(&mut out, &Pg).is_err());
    }
}
