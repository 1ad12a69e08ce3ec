// Notifications in this browser (Web Push): subscribes the browser with the install's VAPID key
// and hands the subscription to Leadline, or takes it back. The page works without it; only
// text is ever inserted (textContent).
"use strict";
(function () {
  var section = document.getElementById("push");
  if (!section) return;
  var state = document.getElementById("push-state");
  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.fetch) {
    state.textContent = "This browser cannot show notifications from Leadline.";
    return;
  }

  function key(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) padded += "=";
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": section.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (said) { throw new Error(said.error || response.statusText); });
      }
      return response;
    });
  }

  function show(subscribed, message) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    state.textContent = message;
  }

  var registration = navigator.serviceWorker.register("/app/push/worker.js");
  registration
    .then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (existing) {
      show(!!existing, existing ? "This browser gets your alerts." : "This browser does not get your alerts.");
    })
    .catch(function (e) { state.textContent = "Notifications are not available: " + e.message; });

  on.addEventListener("click", function () {
    state.textContent = "Asking the browser…";
    registration
      .then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(section.dataset.key) });
      })
      .then(function (subscription) { return post("/app/push/subscriptions", subscription.toJSON()); })
      .then(function () { show(true, "This browser gets your alerts."); })
      .catch(function (e) { state.textContent = "Not subscribed: " + e.message; });
  });

  off.addEventListener("click", function () {
    registration
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) return null;
        return post("/app/push/unsubscribe", { endpoint: subscription.endpoint }).then(function () {
          return subscription.unsubscribe();
        });
      })
      .then(function () { show(false, "This browser no longer gets your alerts."); })
      .catch(function (e) { state.textContent = "Not changed: " + e.message; });
  });
})();
