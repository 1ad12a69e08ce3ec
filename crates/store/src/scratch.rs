//! A scratch database on a PostgreSQL server, made for one run of `leadline bench` and
//! dropped after it.

use crate::errors::backend;
use leadline_core::store::StoreResult;
use sqlx::Connection;

/// Creates a database named `leadline_bench_` and `suffix` (lower-case letters and digits
/// only) on the server `server` names, and answers the new database's URL.
pub async fn create_scratch_database(server: &str, suffix: &str) -> StoreResult<String> {
    let name = scratch_name(suffix)?;
    let mut conn = sqlx::postgres::PgConnection::connect(server).await.map_err(backend)?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .map_err(backend)?;
    let mut url = url::Url::parse(server)
        .map_err(|e| crate::errors::corrupt(leadline_core::Invalid::new("PostgreSQL URL", e.to_string())))?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// Drops the scratch database `create_scratch_database` made with `suffix`.
pub async fn drop_scratch_database(server: &str, suffix: &str) -> StoreResult<()> {
    let name = scratch_name(suffix)?;
    let mut conn = sqlx::postgres::PgConnection::connect(server).await.map_err(backend)?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The database's name; the suffix is checked, since a name cannot be a bound parameter.
fn scratch_name(suffix: &str) -> StoreResult<String> {
    if suffix.is_empty() || suffix.len() > 40 || !suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(crate::errors::corrupt(leadline_core::Invalid::new(
            "scratch database",
            "its suffix must be 1 to 40 lower-case letters and digits",
        )));
    }
    Ok(format!("leadline_bench_{suffix}"))
}
