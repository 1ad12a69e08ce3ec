// The service worker of Leadline's alert notifications: shows each pushed alert (its title
// and text, never markup) and opens the lead's page when the notification is clicked.
"use strict";
self.addEventListener("push", function (event) {
  var alert = { title: "Leadline", body: "", url: "/app/activity" };
  try {
    alert = Object.assign(alert, event.data ? event.data.json() : {});
  } catch (e) {
    alert.body = event.data ? event.data.text() : "";
  }
  event.waitUntil(self.registration.showNotification(String(alert.title), {
    body: String(alert.body),
    data: { url: String(alert.url) },
    tag: String(alert.url)
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  // Only this server's pages (the alert's lead page is one).
  if (url && new URL(url, self.location.origin).origin === self.location.origin) {
    event.waitUntil(self.clients.openWindow(url));
  }
});
