//! A member's browsers subscribed to their alerts (Web Push): subscribing keeps the browser and
//! makes sure the business's alerts integration is on; unsubscribing forgets it. Which alerts
//! they get is their choice on the alerts page; a subscribed browser is one more channel.

use super::alerts::alerts_integration_on;
use super::{AppError, AppResult};
use leadline_core::lead::Author;
use leadline_core::store::Store;
use leadline_core::web_push::PushSubscription;
use leadline_core::{BusinessId, UserId};

/// The most browsers one member keeps subscribed (a phone, a laptop, a desk).
pub const MAX_BROWSERS: usize = 10;

/// Keeps `user`'s browser `subscription` in `business`; refused past [`MAX_BROWSERS`].
pub async fn subscribe(
    store: &dyn Store,
    business: BusinessId,
    user: UserId,
    subscription: &PushSubscription,
    author: &Author,
) -> AppResult<()> {
    let kept = store.push_subscriptions(business, user).await?;
    let known = kept.iter().any(|k| k.endpoint() == subscription.endpoint());
    if !known && kept.len() >= MAX_BROWSERS {
        return Err(AppError::Refused(format!(
            "at most {MAX_BROWSERS} browsers get your alerts: stop one first"
        )));
    }
    store.add_push_subscription(business, user, subscription).await?;
    alerts_integration_on(store, business, author).await
}

/// Forgets `user`'s browser at `endpoint` in `business`; answers whether it was kept.
pub async fn unsubscribe(store: &dyn Store, business: BusinessId, user: UserId, endpoint: &str) -> AppResult<bool> {
    Ok(store.remove_push_subscription(business, user, endpoint).await?)
}
