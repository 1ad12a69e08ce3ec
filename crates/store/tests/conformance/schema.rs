//! The two engines' migrations are written by hand, one set each; this test migrates a fresh
//! database of each and compares what they built: tables, columns (with nullability and a
//! common type family) and indexes (with their columns and uniqueness).

use crate::harness::POSTGRES_ENV;
use leadline_store::{DatabaseUrl, OpenOptions, SqlStore};
use sqlx::{Connection, Executor, PgConnection, Row, SqliteConnection};
use std::collections::BTreeMap;

/// A column as both engines can describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    family: &'static str,
    nullable: bool,
}

/// An index: its columns in order, and whether it is unique.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    columns: Vec<String>,
    unique: bool,
}

/// Tables with their columns, and every index (primary keys and unique constraints included),
/// keyed by table.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    columns: BTreeMap<String, BTreeMap<String, Column>>,
    indexes: BTreeMap<String, Vec<Index>>,
}

/// The type family of a column: integers of any width are one family, as are texts.
fn family(declared: &str) -> &'static str {
    let declared = declared.to_ascii_lowercase();
    if declared.contains("int") {
        "integer"
    } else if declared.contains("char") || declared.contains("text") {
        "text"
    } else if declared.contains("real") || declared.contains("double") || declared.contains("float") {
        "real"
    } else if declared.contains("bool") {
        "boolean"
    } else if declared.contains("blob") || declared.contains("bytea") {
        "bytes"
    } else {
        "other"
    }
}

/// What the migrations built in a SQLite file.
async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::default();
    for table in tables {
        let rows = conn
            .fetch_all(format!("PRAGMA table_info(\"{table}\")").as_str())
            .await
            .unwrap();
        let mut columns = BTreeMap::new();
        let mut primary: Vec<(i64, String)> = Vec::new();
        for row in rows {
            let name: String = row.get("name");
            let declared: String = row.get("type");
            let pk: i64 = row.get("pk");
            let not_null: i64 = row.get("notnull");
            if pk > 0 {
                primary.push((pk, name.clone()));
            }
            // A primary key column is never null, whatever the declaration says.
            let nullable = not_null == 0 && pk == 0;
            columns.insert(
                name,
                Column {
                    family: family(&declared),
                    nullable,
                },
            );
        }
        primary.sort();
        let mut indexes = vec![Index {
            columns: primary.into_iter().map(|(_, name)| name).collect(),
            unique: true,
        }];
        let listed = conn
            .fetch_all(format!("PRAGMA index_list(\"{table}\")").as_str())
            .await
            .unwrap();
        for index in listed {
            let (name, unique, origin): (String, i64, String) =
                (index.get("name"), index.get("unique"), index.get("origin"));
            if origin == "pk" {
                continue;
            }
            let info = conn
                .fetch_all(format!("PRAGMA index_info(\"{name}\")").as_str())
                .await
                .unwrap();
            let mut cols: Vec<(i64, String)> = info.iter().map(|r| (r.get("seqno"), r.get("name"))).collect();
            cols.sort();
            indexes.push(Index {
                columns: cols.into_iter().map(|(_, c)| c).collect(),
                unique: unique == 1,
            });
        }
        indexes.sort();
        schema.indexes.insert(table.clone(), indexes);
        schema.columns.insert(table, columns);
    }
    schema
}

/// What the migrations built in a PostgreSQL database.
async fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS d, is_nullable::text AS n
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::default();
    for row in rows {
        let (table, column, declared, nullable): (String, String, String, String) =
            (row.get("t"), row.get("c"), row.get("d"), row.get("n"));
        schema.columns.entry(table).or_default().insert(
            column,
            Column {
                family: family(&declared),
                nullable: nullable == "YES",
            },
        );
    }
    let rows = sqlx::query(
        "SELECT t.relname::text AS t, ix.indisunique AS u,
                array_agg(a.attname::text ORDER BY k.ord) AS cols
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE ns.nspname = 'public' AND t.relname NOT LIKE '_sqlx%'
         GROUP BY t.relname, ix.indexrelid, ix.indisunique",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for row in rows {
        let (table, unique, columns): (String, bool, Vec<String>) = (row.get("t"), row.get("u"), row.get("cols"));
        schema.indexes.entry(table).or_default().push(Index { columns, unique });
    }
    for indexes in schema.indexes.values_mut() {
        indexes.sort();
    }
    schema
}

#[tokio::test]
async fn both_engines_migrate_to_the_same_tables_columns_and_indexes() {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        crate::harness::say_postgres_skipped();
        return;
    };
    let options = OpenOptions {
        create_if_missing: true,
        sealer: Some(leadline_core::sealing::Sealer::for_tests()),
        ..OpenOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leadline.db");
    SqlStore::open_and_migrate(&DatabaseUrl::Sqlite(path.clone()), &options)
        .await
        .unwrap()
        .close()
        .await;
    let mut sqlite = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let sqlite = sqlite_schema(&mut sqlite).await;

    let name = format!(
        "leadline_schema_{}",
        leadline_core::secret::random_token(12).to_lowercase()
    );
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let store = SqlStore::open_and_migrate(&DatabaseUrl::parse(url.as_str()).unwrap(), &options)
        .await
        .unwrap();
    store.close().await;
    let mut pg = PgConnection::connect(url.as_str()).await.unwrap();
    let postgres = postgres_schema(&mut pg).await;
    pg.close().await.unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await
        .unwrap();

    assert_eq!(
        sqlite.columns.keys().collect::<Vec<_>>(),
        postgres.columns.keys().collect::<Vec<_>>(),
        "the engines have different tables"
    );
    for (table, columns) in &sqlite.columns {
        assert_eq!(
            Some(columns),
            postgres.columns.get(table),
            "columns of {table} differ (left: SQLite)"
        );
    }
    for (table, indexes) in &sqlite.indexes {
        let theirs = postgres.indexes.get(table).cloned().unwrap_or_default();
        assert_eq!(indexes, &theirs, "indexes of {table} differ (left: SQLite)");
    }
}
