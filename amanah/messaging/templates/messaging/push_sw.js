// The service worker of Amanah's Web Push (messaging/providers/webpush.py), served by
// views_push.push_worker at /messaging/push/sw.js: its scope is the settings page only (it has
// no fetch handler and controls nothing else). The push service hands it the decrypted payload
// {title, body, url, tag}; the tag is the outbox id, so a second delivery of the same message
// replaces its notification instead of adding one.
"use strict";

const FALLBACK_TITLE = "Amanah CRM";

// The page a notice opens: a path of this site only (a push payload never sends the browser
// elsewhere), the home page otherwise.
function noticeUrl(data) {
  const home = new URL("/", self.registration.scope);
  try {
    const url = new URL((data && data.url) || "/", home);
    return url.origin === home.origin ? url.href : home.href;
  } catch (e) {
    return home.href;
  }
}

function payloadOf(event) {
  if (!event.data) return {};
  try {
    const data = event.data.json();
    return data && typeof data === "object" ? data : { body: String(data) };
  } catch (e) {
    return { body: event.data.text() };
  }
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  const data = payloadOf(event);
  const options = { body: data.body || "", data: { url: noticeUrl(data) } };
  if (data.tag) options.tag = String(data.tag);
  event.waitUntil(self.registration.showNotification(data.title || FALLBACK_TITLE, options));
});

// A click focuses a tab already showing the notice's page, else opens one.
async function openNotice(notification) {
  const url = noticeUrl(notification.data);
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = tabs.find((tab) => tab.url === url);
  if (open) return open.focus();
  return self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openNotice(event.notification));
});
