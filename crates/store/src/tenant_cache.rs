//! What the hot paths read of the tenancy on every request (a site by key or id, a number and
//! its token, a site's number, a site's routing rules, a business's destinations), kept in
//! memory so that a heartbeat or a voice webhook does not ask the database for it each time.
//!
//! Every entry is tagged with the cache's generation when its read began; any tenant change
//! moves the generation on, so a read that raced a change can never be served. A change made
//! by this server moves it at once; on PostgreSQL the change also sends
//! `NOTIFY leadline_tenants`, which every server's one `LISTEN` connection (`live.rs`) turns into
//! the same move. A PostgreSQL server serves from memory only while that connection is up, and
//! moves the generation whenever it (re)connects, so a notification missed while it was down
//! cannot leave an entry behind. Entries also expire after a short time: the bound on how
//! long a change made outside every server (a `leadline` CLI command on a SQLite file, a
//! notification lost with its sender) can go unseen.

use crate::errors::backend;
use crate::{Engine, SqlStore};
use leadline_core::routing::Rule;
use leadline_core::store::{CodeSpans, StoreResult};
use leadline_core::tenant::{Destination, Site, TrackingNumber};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The PostgreSQL channel tenant changes are announced on.
pub(crate) const CHANNEL: &str = "leadline_tenants";
/// Entries one shelf holds before it is emptied (a bound on memory, not an eviction policy:
/// the hot set of a server is far smaller).
const SHELF_CAPACITY: usize = 20_000;

/// How long an entry is served at most, unless [`crate::OpenOptions`] says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(2);

/// The cached tenancy of one store.
#[derive(Debug)]
pub(crate) struct TenantCache {
    generation: AtomicU64,
    /// Whether entries may be served: always on SQLite; on PostgreSQL only while the
    /// listener is connected.
    serving: AtomicBool,
    ttl: Duration,
    pub(crate) sites_by_key: Shelf<String, Site>,
    pub(crate) sites_by_id: Shelf<i64, Site>,
    pub(crate) numbers_by_e164: Shelf<String, TrackingNumber>,
    pub(crate) number_of_site: Shelf<i64, Option<TrackingNumber>>,
    pub(crate) rules_of_site: Shelf<i64, Vec<Rule>>,
    pub(crate) destinations_of_business: Shelf<i64, Vec<Destination>>,
    /// A number's keyable code spans, by number id: kept only while exact (`calls.rs`), and
    /// forgotten whenever a pool's codes grow a digit or a code is reserved.
    pub(crate) code_spans: Shelf<i64, CodeSpans>,
}

impl TenantCache {
    /// A cache that serves at once on SQLite and, on PostgreSQL, once the listener is up. A
    /// zero `ttl` turns it off.
    pub(crate) fn new(engine: Engine, ttl: Duration) -> Self {
        Self {
            generation: AtomicU64::new(0),
            serving: AtomicBool::new(engine == Engine::Sqlite),
            ttl,
            sites_by_key: Shelf::default(),
            sites_by_id: Shelf::default(),
            numbers_by_e164: Shelf::default(),
            number_of_site: Shelf::default(),
            rules_of_site: Shelf::default(),
            destinations_of_business: Shelf::default(),
            code_spans: Shelf::default(),
        }
    }

    /// A tenant changed (here or, heard through the listener, on another server): nothing
    /// read before now is served again.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The listener (re)connected (`true`) or lost its connection (`false`). Either way what
    /// is cached may have missed a change.
    pub(crate) fn listening(&self, connected: bool) {
        if connected {
            self.changed();
            self.serving.store(true, Ordering::SeqCst);
        } else {
            self.serving.store(false, Ordering::SeqCst);
            self.changed();
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn serving(&self) -> bool {
        self.serving.load(Ordering::SeqCst) && !self.ttl.is_zero()
    }
}

/// One kind of cached read: its entries by key.
#[derive(Debug)]
pub(crate) struct Shelf<K, V> {
    entries: RwLock<HashMap<K, Entry<V>>>,
}

impl<K, V> Default for Shelf<K, V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }
}

#[derive(Debug)]
struct Entry<V> {
    generation: u64,
    until: Instant,
    value: V,
}

impl<K: Eq + Hash, V: Clone> Shelf<K, V> {
    fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = entries.get(key)?;
        (entry.generation == generation && entry.until > Instant::now()).then(|| entry.value.clone())
    }

    fn put(&self, key: K, generation: u64, ttl: Duration, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= SHELF_CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                until: Instant::now() + ttl,
                value,
            },
        );
    }
}

impl SqlStore {
    /// `key`'s value from `shelf` when it is current, else from `load` (then kept, tagged with
    /// the generation seen before the load began).
    pub(crate) async fn cached<K, V>(
        &self,
        shelf: fn(&TenantCache) -> &Shelf<K, V>,
        key: K,
        load: impl Future<Output = StoreResult<V>>,
    ) -> StoreResult<V>
    where
        K: Eq + Hash,
        V: Clone,
    {
        self.cached_when(shelf, key, async { load.await.map(|value| (value, true)) })
            .await
    }

    /// As [`SqlStore::cached`], but a loaded value is kept only when `load` says it may be.
    pub(crate) async fn cached_when<K, V>(
        &self,
        shelf: fn(&TenantCache) -> &Shelf<K, V>,
        key: K,
        load: impl Future<Output = StoreResult<(V, bool)>>,
    ) -> StoreResult<V>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let cache = &self.tenants;
        let Some(generation) = self.coherent_generation() else {
            return load.await.map(|(value, _)| value);
        };
        if let Some(value) = shelf(cache).get(&key, generation) {
            return Ok(value);
        }
        let (value, keep) = load.await?;
        if keep {
            shelf(cache).put(key, generation, cache.ttl, value.clone());
        }
        Ok(value)
    }

    /// Inside a transaction whose codes grew a digit: on PostgreSQL every server's listener
    /// hears it at commit, as a tenant change (sent in the transaction, so it cannot be lost
    /// while the change stands). The caller moves this server's generation after the commit.
    pub(crate) async fn codes_grew_in(&self, conn: &mut AnyConnection) -> StoreResult<()> {
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    /// The generation that memory may be served in, when it may be (on PostgreSQL only while
    /// the `LISTEN` connection is up: this starts it); `None` when everything must be read.
    pub(crate) fn coherent_generation(&self) -> Option<u64> {
        if self.tenants.serving() {
            return Some(self.tenants.generation());
        }
        if !self.tenants.ttl.is_zero() {
            self.live.ensure_listening();
        }
        None
    }

    /// Runs a tenant change. This server forgets what it cached before the change (so the
    /// change's own reads see the database) and after it (so nothing read while it ran is
    /// served); once it succeeded, on PostgreSQL, every other server is told to forget too. A
    /// failed notice leaves the others to the entries' expiry; the change itself stands.
    pub(crate) async fn tenant_write<T>(&self, write: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.tenants.changed();
        let result = write.await;
        self.tenants.changed();
        if result.is_ok() {
            self.announce_tenant_change().await;
        }
        result
    }

    async fn announce_tenant_change(&self) {
        if self.engine == Engine::Postgres
            && let Err(e) = sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(&self.pool)
                .await
                .map_err(backend)
        {
            tracing::warn!(error = %e, "a tenant change could not be announced; other servers see it when their cache expires");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> TenantCache {
        TenantCache::new(Engine::Sqlite, Duration::from_secs(60))
    }

    #[test]
    fn an_entry_is_served_only_in_the_generation_its_read_began() {
        let cache = cache();
        let before = cache.generation();
        cache.changed();
        cache.rules_of_site.put(1, before, cache.ttl, Vec::new());
        assert_eq!(cache.rules_of_site.get(&1, cache.generation()), None);
        cache.rules_of_site.put(1, cache.generation(), cache.ttl, Vec::new());
        assert_eq!(cache.rules_of_site.get(&1, cache.generation()), Some(Vec::new()));
    }

    #[test]
    fn an_expired_entry_is_not_served() {
        let cache = cache();
        cache.rules_of_site.put(1, 0, Duration::ZERO, Vec::new());
        assert_eq!(cache.rules_of_site.get(&1, 0), None);
    }

    #[test]
    fn a_postgres_cache_serves_only_while_its_listener_is_connected() {
        let cache = TenantCache::new(Engine::Postgres, DEFAULT_TTL);
        assert!(!cache.serving());
        cache.listening(true);
        assert!(cache.serving());
        let connected = cache.generation();
        cache.listening(false);
        assert!(!cache.serving());
        assert!(cache.generation() > connected, "a lost connection forgets every entry");
        assert!(
            !TenantCache::new(Engine::Sqlite, Duration::ZERO).serving(),
            "a zero ttl turns it off"
        );
    }

    #[test]
    fn a_full_shelf_is_emptied_before_a_new_key_goes_in() {
        let shelf: Shelf<usize, ()> = Shelf::default();
        for key in 0..=SHELF_CAPACITY {
            shelf.put(key, 0, DEFAULT_TTL, ());
        }
        let entries = shelf.entries.read().unwrap();
        assert_eq!(entries.len(), 1);
        assert!(entries.contains_key(&SHELF_CAPACITY));
    }
}
