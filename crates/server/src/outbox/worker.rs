//! The outbox worker. PLACEHOLDER (issue 6): being written.
