//! Group commit: writes that arrive together wait in one queue, and one driver at a time
//! takes up to a batch of them and writes them in one transaction (registrations in
//! `visits/batch.rs`, new calls in `calls/batch.rs`).
//!
//! There is no timer: while one batch commits the next gathers, so a lone write on an idle
//! server goes at once and a loaded server writes many per commit. The driver runs in a task
//! of its own, so a client that hangs up never cancels the transaction of the others.

use leadline_core::store::{StoreError, StoreResult};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// A write in a queue, with where its answer goes.
#[derive(Debug)]
pub(crate) struct Waiting<I, R> {
    pub(crate) item: I,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<I, R> Waiting<I, R> {
    /// Gives the writer its answer (nothing happens if it stopped waiting).
    pub(crate) fn answer(self, answer: StoreResult<R>) {
        let _ = self.reply.send(answer);
    }
}

impl<I, R> Queue<Waiting<I, R>> {
    /// Queues `item` and waits for its batch's answer; calls `start_driver` when this write
    /// must start the driver (which runs in a task of its own, [`Queue::drive`]).
    pub(crate) async fn submit(&self, item: I, start_driver: impl FnOnce()) -> StoreResult<R> {
        let (reply, answer) = oneshot::channel();
        if self.queue(Waiting { item, reply }) {
            start_driver();
        }
        answer
            .await
            .map_err(|_| StoreError::Backend("the batch stopped before it committed".into()))?
    }
}

/// Writes waiting for a batch, and whether a driver is writing them.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    waiting: Mutex<Vec<T>>,
    driving: AtomicBool,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self {
            waiting: Mutex::new(Vec::new()),
            driving: AtomicBool::new(false),
        }
    }
}

impl<T> Queue<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a write; true when the caller must start a driver ([`Queue::drive`]).
    pub(crate) fn queue(&self, item: T) -> bool {
        self.lock().push(item);
        self.claim()
    }

    fn claim(&self) -> bool {
        self.driving
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn next_batch(&self, max: usize) -> Vec<T> {
        let mut waiting = self.lock();
        let taken = waiting.len().min(max);
        waiting.drain(..taken).collect()
    }

    /// After a driver let go: whether writes arrived meanwhile and the caller now drives
    /// them (no write is left waiting without a driver).
    fn reclaim(&self) -> bool {
        !self.lock().is_empty() && self.claim()
    }

    /// Commits batches of at most `max`, in arrival order, until none is waiting. Only the
    /// caller that [`Queue::queue`] told to drive calls this.
    pub(crate) async fn drive<F, Fut>(&self, max: usize, mut commit: F)
    where
        F: FnMut(Vec<T>) -> Fut,
        Fut: Future<Output = ()>,
    {
        loop {
            {
                let _driving = Driving(&self.driving);
                loop {
                    let batch = self.next_batch(max);
                    if batch.is_empty() {
                        break;
                    }
                    commit(batch).await;
                }
            }
            if !self.reclaim() {
                return;
            }
        }
    }
}

/// The driver's role, given up when its loop ends or panics.
struct Driving<'a>(&'a AtomicBool);

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_driver_commits_everything_queued_in_batches_of_at_most_the_limit_in_arrival_order() {
        let queue = Queue::default();
        assert!(queue.queue(1), "the first write starts a driver");
        for i in 2..=7 {
            assert!(!queue.queue(i), "a driver is already due");
        }
        let mut batches = Vec::new();
        queue
            .drive(3, |batch| {
                batches.push(batch);
                async {}
            })
            .await;
        assert_eq!(batches, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
        assert!(queue.queue(8), "with the driver gone, the next write starts one");
    }
}
