//! HTTP tests against the real server loop on port 0.

mod browser;
mod callme;
mod calls;
mod demo_phone;
mod helpers;
mod ops;
mod pbx;
mod routing;
mod snippet;
mod sources;
mod visits;
