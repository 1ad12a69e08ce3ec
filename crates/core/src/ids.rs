//! Row identifiers, one type per table so that a site id is never passed as a business id.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A business (tenant).
    BusinessId,
    /// A user (owner or operator) of a business.
    UserId,
    /// A site of a business.
    SiteId,
    /// A tracking number.
    NumberId,
    /// A destination (an operator's or department's number).
    DestinationId,
    /// An API key of a business.
    ApiKeyId,
    /// A visit (internal row id; the public one is a `VisitRef`).
    VisitId,
    /// A click on a call element.
    IntentId,
    /// A lead (a person); its public handle is its record ref.
    LeadId,
);
