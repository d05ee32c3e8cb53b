// Subscribe this browser to Web Push (messaging/views_push.py). No inline script: the CSP.
// Texts come translated from the page's data-msg-* attributes; the browser's own error texts
// (English, technical) are never shown: each failure maps to one Indonesian message.
(() => {
  const box = document.getElementById("push-settings");
  if (!box) return;
  const status = box.querySelector("[data-push=status]");
  const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  const say = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
  };

  // An answer of this server: its message is already translated.
  class ServerRefusal extends Error {}
  // The browser's push service did not answer (none reachable, blocked, incognito …).
  class PushServiceUnavailable extends Error {}

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
    if (!response.ok) throw new ServerRefusal(body.message || box.dataset.msgFailed);
    return body;
  }

  // The worker's scope is the settings page, so `ready` resolves once it is active.
  async function registration() {
    await navigator.serviceWorker.register(box.dataset.worker, { scope: box.dataset.scope });
    return navigator.serviceWorker.ready;
  }

  // A browser without a reachable push service may never settle subscribe(): give up in time.
  function pushSubscribe(reg) {
    const wait = Number(box.dataset.subscribeTimeout) || 20000;
    let timer;
    const timeout = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new PushServiceUnavailable("timeout")), wait);
    });
    const subscribing = reg.pushManager
      .subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.publicKey) })
      .catch((error) => {
        throw error && error.name === "NotAllowedError" ? error : new PushServiceUnavailable(error && error.name);
      });
    return Promise.race([subscribing, timeout]).finally(() => clearTimeout(timer));
  }

  async function subscribe() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say(box.dataset.msgUnsupported, "unsupported");
      return;
    }
    if ((await Notification.requestPermission()) !== "granted") {
      say(box.dataset.msgDenied, "denied");
      return;
    }
    say(box.dataset.msgWorking, "working");
    const sub = await pushSubscribe(await registration());
    const json = sub.toJSON();
    try {
      await post(box.dataset.subscribeUrl, { endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth });
    } catch (error) {
      await sub.unsubscribe().catch(() => {}); // not kept by the server: not kept here either
      throw error;
    }
    say(box.dataset.msgOn, "on");
  }

  async function unsubscribe() {
    const reg = "serviceWorker" in navigator && (await navigator.serviceWorker.getRegistration(box.dataset.scope));
    const sub = reg && reg.pushManager && (await reg.pushManager.getSubscription());
    if (!sub) { say(box.dataset.msgNone, "none"); return; }
    await post(box.dataset.unsubscribeUrl, { endpoint: sub.endpoint });
    await sub.unsubscribe();
    say(box.dataset.msgOff, "off");
  }

  function failed(error) {
    if (error instanceof ServerRefusal) say(`${box.dataset.msgFailed} ${error.message}`, "failed");
    else if (error instanceof PushServiceUnavailable) say(box.dataset.msgUnreachable, "unreachable");
    else if (error && error.name === "NotAllowedError") say(box.dataset.msgDenied, "denied");
    else say(box.dataset.msgBroken, "failed");
  }

  box.querySelector("[data-push=subscribe]").addEventListener("click", () => subscribe().catch(failed));
  box.querySelector("[data-push=unsubscribe]").addEventListener("click", () => unsubscribe().catch(failed));
  box.dataset.ready = "true"; // the buttons answer from now on
})();
