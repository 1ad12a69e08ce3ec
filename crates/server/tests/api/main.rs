//! HTTP tests against the real server loop on port 0.

mod attachments;
mod browser;
mod callme;
mod calls;
mod crm;
mod crm_fakes;
mod demo_phone;
mod exports;
mod forms;
mod forms_browser;
mod ga4;
mod helpers;
mod leads;
mod leads_changes;
mod leads_tenancy;
mod matomo;
mod operator;
mod ops;
mod pbx;
mod routing;
mod sandbox_ga4;
mod snippet;
mod sources;
mod visits;
