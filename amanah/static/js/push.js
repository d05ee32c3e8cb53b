// Subscribe this browser to Web Push (messaging/views_push.py). No inline script: the CSP.
// Texts come translated from the page's data-msg-* attributes.
(() => {
  const box = document.getElementById("push-settings");
  if (!box) return;
  const status = box.querySelector("[data-push=status]");
  const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  const say = (text) => { status.textContent = text; };

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  async function post(url, fields) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      body: new URLSearchParams(fields),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || response.status);
    return body;
  }

  async function registration() {
    return navigator.serviceWorker.register(box.dataset.worker);
  }

  async function subscribe() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      say(box.dataset.msgUnsupported);
      return;
    }
    if ((await Notification.requestPermission()) !== "granted") {
      say(box.dataset.msgDenied);
      return;
    }
    const reg = await registration();
    const sub = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(box.dataset.publicKey),
    });
    const json = sub.toJSON();
    await post(box.dataset.subscribeUrl, { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
    say(box.dataset.msgOn);
  }

  async function unsubscribe() {
    const reg = await navigator.serviceWorker.getRegistration(box.dataset.worker);
    const sub = reg && (await reg.pushManager.getSubscription());
    if (!sub) { say(box.dataset.msgNone); return; }
    await post(box.dataset.unsubscribeUrl, { endpoint: sub.endpoint });
    await sub.unsubscribe();
    say(box.dataset.msgOff);
  }

  box.querySelector("[data-push=subscribe]").addEventListener("click", () => subscribe().catch((e) => say(`${box.dataset.msgFailed} ${e.message}`)));
  box.querySelector("[data-push=unsubscribe]").addEventListener("click", () => unsubscribe().catch((e) => say(`${box.dataset.msgFailed} ${e.message}`)));
})();
