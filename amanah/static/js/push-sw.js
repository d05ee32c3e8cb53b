// The service worker of Amanah's Web Push (messaging/providers/webpush.py). The push service
// hands it the decrypted payload {title, body, url, tag}; the tag is the outbox id, so a
// second delivery of the same message replaces its notification instead of adding one.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data.text() }; }
  event.waitUntil(
    self.registration.showNotification(data.title || "Amanah CRM", {
      body: data.body || "",
      tag: data.tag || undefined,
      data: { url: data.url || "/" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
