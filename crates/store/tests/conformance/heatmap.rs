use crate::conformance;
use crate::leads::{Setup, call, setup, visit};
use chrono::{Duration, Utc};
use leadline_core::heatmap::{ClickSpot, ElementHeat, HeatPage, HeatQuery, HeatmapStore, PageClick, RawSpot};
use leadline_core::store::{StoreError, VisitStore};
use leadline_core::visit::{CodePlan, Touch, VisitRef};
use leadline_core::visitor::Device;
use leadline_store::SqlStore;

const OFFER: &str = "https://setup-heat.example/offer?gclid=abc";

fn spot(x: i64, y: i64, page_x: i64, page_y: i64) -> Option<ClickSpot> {
    Some(
        ClickSpot::new(RawSpot {
            x,
            y,
            page_x,
            page_y,
            page_width: 1280,
            page_height: 3000,
            view_width: 1280,
            view_height: 800,
        })
        .unwrap(),
    )
}

async fn click_element(store: &SqlStore, s: &Setup, visit: &VisitRef, url: &str, spot: Option<ClickSpot>) {
    let click = Touch::Click {
        element: "call-now".into(),
        url: url.into(),
        spot,
    };
    store.touch_visit(s.site, visit, &click, CodePlan::None).await.unwrap();
}

fn tel(url: &str, spot: Option<ClickSpot>) -> PageClick {
    PageClick {
        element: "tel0".into(),
        url: url.into(),
        spot,
    }
}

fn query(s: &Setup, page: &str, device: Option<Device>) -> HeatQuery {
    HeatQuery {
        site: s.site,
        page: page.into(),
        from: Utc::now() - Duration::hours(1),
        to: Utc::now() + Duration::hours(1),
        device,
    }
}

async fn clicks_on_a_page_make_its_heatmap_with_the_calls_that_followed(store: SqlStore) {
    let s = setup(&store, "setup-heat", "+12025550100").await;
    let ann = visit(&store, s.site, "ga:1.1").await;
    click_element(&store, &s, &ann, OFFER, spot(500, 250, 640, 900)).await;
    let batch = [tel(OFFER, spot(100, 900, 200, 2900)), tel(OFFER, None)];
    store.record_page_clicks(s.site, &ann, &batch).await.unwrap();
    let bob = visit(&store, s.site, "ga:2.2").await;
    click_element(
        &store,
        &s,
        &bob,
        "https://setup-heat.example/offer",
        spot(0, 1000, 10, 20),
    )
    .await;
    call(&store, &s, "CA1", "+12025550169", Some(bob.clone())).await;
    click_element(&store, &s, &bob, "https://www.setup-heat.example/", None).await;

    let pages = store
        .heat_pages(s.site, Utc::now() - Duration::hours(1), Utc::now() + Duration::hours(1))
        .await
        .unwrap();
    let expected = [
        HeatPage {
            page: "setup-heat.example/offer".into(),
            url: "https://setup-heat.example/offer".into(),
            clicks: 4,
        },
        HeatPage {
            page: "setup-heat.example/".into(),
            url: "https://www.setup-heat.example/".into(),
            clicks: 1,
        },
    ];
    assert_eq!(
        pages, expected,
        "the newest address of each page, the most clicked first"
    );

    let map = store
        .heatmap(&query(&s, "setup-heat.example/offer", None))
        .await
        .unwrap();
    let placed: Vec<_> = map
        .spots
        .iter()
        .map(|h| (h.element.as_str(), h.spot.placed(1280)))
        .collect();
    assert_eq!(
        placed,
        [
            ("call-now", (10.0, 20.0)),
            ("tel0", (200.0, 2900.0)),
            ("call-now", (640.0, 900.0))
        ],
        "only clicks with a place, the newest first"
    );
    assert_eq!(
        map.elements,
        [
            ElementHeat {
                element: "call-now".into(),
                clicks: 2,
                followed: 1
            },
            ElementHeat {
                element: "tel0".into(),
                clicks: 2,
                followed: 0
            },
        ],
        "the call from Bob's visit followed his click only"
    );
    let phones = store
        .heatmap(&query(&s, "setup-heat.example/offer", Some(Device::Mobile)))
        .await
        .unwrap();
    assert!(
        phones.spots.is_empty() && phones.elements.is_empty(),
        "every click was a desktop's"
    );
    let earlier = HeatQuery {
        to: Utc::now() - Duration::minutes(30),
        ..query(&s, "setup-heat.example/offer", None)
    };
    assert_eq!(store.heatmap(&earlier).await.unwrap().elements, []);
}

async fn another_sites_visit_takes_no_clicks_and_shows_none(store: SqlStore) {
    let ours = setup(&store, "setup-heat", "+12025550100").await;
    let theirs = setup(&store, "rival-heat", "+12025550101").await;
    let ann = visit(&store, ours.site, "ga:1.1").await;
    click_element(&store, &ours, &ann, OFFER, spot(500, 250, 640, 900)).await;
    let refused = store.record_page_clicks(theirs.site, &ann, &[tel(OFFER, None)]).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    let seen = store
        .heatmap(&query(&theirs, "setup-heat.example/offer", None))
        .await
        .unwrap();
    assert!(seen.spots.is_empty() && seen.elements.is_empty());
    let pages = store
        .heat_pages(
            theirs.site,
            Utc::now() - Duration::hours(1),
            Utc::now() + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(pages, []);
    let ours_map = store
        .heatmap(&query(&ours, "setup-heat.example/offer", None))
        .await
        .unwrap();
    assert_eq!(ours_map.elements.len(), 1, "the refused batch wrote nothing");
    assert_eq!(ours_map.elements[0].clicks, 1);
}

conformance!(
    clicks_on_a_page_make_its_heatmap_with_the_calls_that_followed,
    another_sites_visit_takes_no_clicks_and_shows_none,
);
