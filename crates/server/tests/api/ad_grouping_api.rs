//! `/v1/master-ads` and `/v1/master-phrases` with a business's API key: created (201), read,
//! changed and removed; bad bodies are 400 with a clear message, a taken name or variant 409,
//! another business's id 404, and nothing refused is written.

use crate::helpers::{Engine, TestApp};
use crate::leads::{Key, get, key_for, patch, post, spawn};
use leadline_core::adgroup::AdGroupStore;
use serde_json::json;

/// `DELETE path` with `key`: the status.
async fn delete(app: &TestApp, path: &str, key: &Key) -> u16 {
    app.client
        .delete(format!("{}{path}", app.base_url))
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_program_manages_master_ads_with_its_key(engine: Engine) {
    let (app, seeded, key) = spawn(engine).await;
    let body = json!({
        "name": "Brand search",
        "rules": [{"source": "Google*", "campaign": "*brand*"}, {"source": "bing", "content": null}]
    });
    let (status, created) = post(&app, "/v1/master-ads", &key, body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["rules"][0],
        json!({"source": "google*", "campaign": "*brand*", "content": null})
    );
    let id = created["id"].as_i64().unwrap();
    let path = format!("/v1/master-ads/{id}");
    assert_eq!(get(&app, &path, &key).await, (200, created.clone()));
    let (status, list) = get(&app, "/v1/master-ads", &key).await;
    assert_eq!((status, list), (200, json!({"master_ads": [created]})));

    for (bad, says) in [
        (json!({"rules": [{"source": "x"}]}), "'name' is required"),
        (json!({"name": "A"}), "'rules' is required"),
        (json!({"name": "A", "rules": []}), "give at least one rule"),
        (
            json!({"name": "A", "rules": [{"source": "x"}, {"campaign": "*"}]}),
            "rule 2: invalid ad rule",
        ),
        (json!({"name": "A", "rules": [{"medium": "cpc"}]}), "not valid JSON"),
        (json!({"name": " ", "rules": [{"source": "x"}]}), "invalid name"),
    ] {
        let (status, answer) = post(&app, "/v1/master-ads", &key, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(says), "{bad}: {message}");
    }
    let (status, answer) = post(
        &app,
        "/v1/master-ads",
        &key,
        json!({"name": "Brand search", "rules": [{"source": "x"}]}),
    )
    .await;
    assert_eq!(status, 409, "{answer}");

    let (status, changed) = patch(&app, &path, &key, json!({"name": "Brand"})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        changed["rules"].as_array().unwrap().len(),
        2,
        "rules kept when not given"
    );
    let (status, changed) = patch(&app, &path, &key, json!({"rules": [{"content": "Banner-A"}]})).await;
    assert_eq!((status, &changed["name"]), (200, &json!("Brand")));
    assert_eq!(
        changed["rules"],
        json!([{"source": null, "campaign": null, "content": "banner-a"}])
    );
    assert_eq!(patch(&app, &path, &key, json!({"rules": []})).await.0, 400);
    assert_eq!(
        get(&app, &path, &key).await.1,
        changed,
        "the refused patch changed nothing"
    );

    let (status, all) = post(
        &app,
        "/v1/master-ads",
        &key,
        json!({"name": "All", "rules": [{"source": "*O*"}]}),
    )
    .await;
    assert_eq!(status, 201, "{all}");
    let moved = format!("/v1/master-ads/{}/move", all["id"]);
    let (status, answer) = post(&app, &moved, &key, json!({"direction": "up"})).await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (400, "direction: 'up' is not earlier or later")
    );
    let (status, list) = post(&app, &moved, &key, json!({"direction": "earlier"})).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["master_ads"][0]["name"], "All");
    let grouping = app.store.ad_grouping(seeded.site.business_id).await.unwrap();
    assert_eq!(
        grouping
            .master_ad("facebook", None, Some("BANNER-a"))
            .unwrap()
            .name
            .as_str(),
        "All"
    );
    assert_eq!(delete(&app, &moved.replace("/move", ""), &key).await, 204);
    let grouping = app.store.ad_grouping(seeded.site.business_id).await.unwrap();
    assert_eq!(grouping.master_ad("facebook", None, Some("BANNER-a")).unwrap().id, id);
    assert_eq!(delete(&app, &path, &key).await, 204);
    assert_eq!(get(&app, &path, &key).await.0, 404);
    assert_eq!(delete(&app, &path, &key).await, 404);
    assert_eq!(get(&app, "/v1/master-ads/abc", &key).await.0, 404);
    app.finish().await;
}

async fn a_program_manages_master_phrases_with_its_key(engine: Engine) {
    let (app, _seeded, key) = spawn(engine).await;
    let body = json!({"name": "Sofa repair", "variants": ["Sofa Repair!", "couch repair", "repair  sofa"]});
    let (status, created) = post(&app, "/v1/master-phrases", &key, body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["variants"], json!(["couch repair", "repair sofa"]));
    let path = format!("/v1/master-phrases/{}", created["id"]);
    let (status, answer) = post(
        &app,
        "/v1/master-phrases",
        &key,
        json!({"name": "Fix", "variants": ["SOFA repair"]}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(answer["error"], "'repair sofa' is already a variant of 'Sofa repair'");
    let (status, answer) = post(
        &app,
        "/v1/master-phrases",
        &key,
        json!({"name": "Fix", "variants": ["!!"]}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("has no letter or digit"),
        "{answer}"
    );
    assert_eq!(
        post(&app, "/v1/master-phrases", &key, json!({"name": "Fix"})).await.0,
        400
    );
    let (_, list) = get(&app, "/v1/master-phrases", &key).await;
    assert_eq!(
        list,
        json!({"master_phrases": [created]}),
        "nothing refused was written"
    );

    let (status, changed) = patch(&app, &path, &key, json!({"variants": ["fix sofa"]})).await;
    assert_eq!((status, &changed["name"]), (200, &json!("Sofa repair")));
    assert_eq!(changed["variants"], json!(["fix sofa"]));
    assert_eq!(delete(&app, &path, &key).await, 204);
    assert_eq!(get(&app, &path, &key).await.0, 404);
    app.finish().await;
}

async fn one_business_key_never_reaches_another_business_grouping(engine: Engine) {
    let (app, _seeded, own) = spawn(engine).await;
    let rival = app.add_business("rival", "Rival").await;
    let theirs = key_for(&app, rival.id).await;
    let (_, ad) = post(
        &app,
        "/v1/master-ads",
        &own,
        json!({"name": "Brand", "rules": [{"source": "google"}]}),
    )
    .await;
    let (_, phrase) = post(
        &app,
        "/v1/master-phrases",
        &own,
        json!({"name": "Repair", "variants": ["sofa repair"]}),
    )
    .await;
    for path in [
        format!("/v1/master-ads/{}", ad["id"]),
        format!("/v1/master-phrases/{}", phrase["id"]),
    ] {
        assert_eq!(get(&app, &path, &theirs).await.0, 404, "{path}");
        let body = json!({"name": "Mine"});
        assert_eq!(patch(&app, &path, &theirs, body).await.0, 404, "{path}");
        assert_eq!(delete(&app, &path, &theirs).await, 404, "{path}");
    }
    let moved = format!("/v1/master-ads/{}/move", ad["id"]);
    assert_eq!(post(&app, &moved, &theirs, json!({"direction": "later"})).await.0, 404);
    assert_eq!(get(&app, "/v1/master-ads", &theirs).await.1, json!({"master_ads": []}));
    assert_eq!(
        get(&app, "/v1/master-phrases", &theirs).await.1,
        json!({"master_phrases": []})
    );
    assert_eq!(
        get(&app, "/v1/master-ads", &own).await.1["master_ads"][0],
        ad,
        "untouched"
    );
    let anonymous = app
        .client
        .get(format!("{}/v1/master-ads", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.finish().await;
}

crate::on_both_engines!(
    a_program_manages_master_ads_with_its_key,
    a_program_manages_master_phrases_with_its_key,
    one_business_key_never_reaches_another_business_grouping,
);
