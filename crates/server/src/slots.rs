//! Connection slots, for the SMTP listener's sessions and the HTTP server's connections: a
//! fixed number in all, and a few per client address (IPv6: per /64), so that one client
//! opening idle connections cannot take them all. A slot is taken when a connection is
//! accepted and given back when it ends; when none is free the client is turned away at once
//! instead of waiting unanswered.

use leadline_core::net::client_network;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The slots of one listener.
pub struct Slots {
    total: usize,
    per_address: usize,
    state: Mutex<Taken>,
}

/// How many slots are taken, in all and per client network.
#[derive(Default)]
struct Taken {
    all: usize,
    by_network: HashMap<IpAddr, usize>,
}

/// Why a connection got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Every slot is taken.
    Listener,
    /// The client's address has its share.
    Address,
}

/// A taken slot; dropping it gives it back.
pub struct Slot {
    slots: Arc<Slots>,
    network: IpAddr,
}

impl Slots {
    /// `total` slots, at most `per_address` of them for one client network.
    pub fn new(total: usize, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            total,
            per_address,
            state: Mutex::new(Taken::default()),
        })
    }

    /// A slot for a client at `peer`, or why there is none.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Full> {
        let network = client_network(peer);
        let mut taken = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mine = taken.by_network.get(&network).copied().unwrap_or(0);
        if mine >= self.per_address {
            return Err(Full::Address);
        }
        if taken.all >= self.total {
            return Err(Full::Listener);
        }
        taken.all += 1;
        taken.by_network.insert(network, mine + 1);
        Ok(Slot {
            slots: self.clone(),
            network,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut taken = self.slots.state.lock().unwrap_or_else(|e| e.into_inner());
        taken.all -= 1;
        if let Some(count) = taken.by_network.get_mut(&self.network) {
            *count -= 1;
            if *count == 0 {
                taken.by_network.remove(&self.network);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_address_gets_its_share_and_the_others_the_rest() {
        let slots = Slots::new(4, 2);
        let first = slots.take(ip("192.0.2.1")).unwrap();
        let _second = slots.take(ip("192.0.2.1")).unwrap();
        assert_eq!(slots.take(ip("192.0.2.1")).err(), Some(Full::Address));
        let _v6 = slots.take(ip("2001:db8::1")).unwrap();
        let _same_64 = slots.take(ip("2001:db8::2:3")).unwrap();
        assert_eq!(slots.take(ip("2001:db8::ffff")).err(), Some(Full::Address));
        assert_eq!(slots.take(ip("198.51.100.7")).err(), Some(Full::Listener));
        drop(first);
        let _late = slots.take(ip("198.51.100.7")).unwrap();
        assert_eq!(slots.take(ip("192.0.2.1")).err(), Some(Full::Listener));
    }
}
