//! HTTP tests against the real server loop on port 0.

mod attachments;
mod browser;
mod callme;
mod calls;
mod demo_phone;
mod forms;
mod forms_browser;
mod helpers;
mod leads;
mod leads_changes;
mod leads_tenancy;
mod operator;
mod ops;
mod pbx;
mod routing;
mod snippet;
mod sources;
mod visits;
