//! Parameters of long statements (many rows in one `INSERT` or `VALUES`), numbered as each
//! engine prefers: `$n` on PostgreSQL, plain `?` on SQLite. SQLite keeps named parameters
//! (`$n` is one) in a list it scans for each of them, to prepare the statement and again to
//! bind it: a 64-row insert of visits spent more time there than writing them.

use sqlx::AnyConnection;

/// Hands out a statement's parameters in order.
#[derive(Debug)]
pub(crate) struct Params {
    sqlite: bool,
    given: usize,
}

impl Params {
    /// For a statement run on `conn`.
    pub(crate) fn on(conn: &AnyConnection) -> Self {
        Self {
            sqlite: conn.backend_name() == "SQLite",
            given: 0,
        }
    }

    /// The next parameter.
    pub(crate) fn next(&mut self) -> String {
        self.given += 1;
        if self.sqlite {
            "?".to_owned()
        } else {
            format!("${}", self.given)
        }
    }

    /// `count` parameters, each wrapped by `wrap` (`{}` stands for the parameter), joined by
    /// commas.
    pub(crate) fn list(&mut self, count: usize, wrap: &str) -> String {
        (0..count)
            .map(|_| wrap.replace("{}", &self.next()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `template` with each `{}` replaced by the next parameter.
    pub(crate) fn fill(&mut self, template: &str) -> String {
        let mut parts = template.split("{}");
        let mut filled = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            filled.push_str(&self.next());
            filled.push_str(part);
        }
        filled
    }

    /// `rows` parenthesised tuples of `cols` parameters, each wrapped by `wrap`.
    pub(crate) fn rows(&mut self, rows: usize, cols: usize, wrap: &str) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(cols, wrap)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(sqlite: bool) -> Params {
        Params { sqlite, given: 0 }
    }

    #[test]
    fn postgresql_parameters_are_numbered_in_order_and_sqlite_ones_are_plain() {
        let mut pg = on(false);
        assert_eq!(pg.next(), "$1");
        assert_eq!(pg.rows(2, 2, "{}"), "($2, $3), ($4, $5)");
        assert_eq!(
            pg.list(2, "CAST({} AS BIGINT)"),
            "CAST($6 AS BIGINT), CAST($7 AS BIGINT)"
        );
        assert_eq!(pg.fill("({}, 'x', {})"), "($8, 'x', $9)");
        let mut sqlite = on(true);
        assert_eq!(sqlite.rows(2, 2, "{}"), "(?, ?), (?, ?)");
    }
}
