// Attention on every console page: the notification badge and tray stay live over /ws/me/, a page
// is acknowledged with one click, and (with the person's permission) pages and approvals also
// show as system notifications. No build step. Without JavaScript the tray still opens and its
// "Acknowledge" buttons post a form.
"use strict";

(function () {
  const gettext = window.gettext || ((s) => s);
  const pgettext = window.pgettext || ((context, s) => s);
  const badge = document.getElementById("notif-badge");
  const list = document.getElementById("tray-list");
  const alertsButton = document.getElementById("enable-alerts");
  if (!badge || !list) return;
  const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const TRAY_SIZE = 8;
  // What deserves a system notification: someone must act now.
  const URGENT = new Set([
    "incident_declared", "page_unacknowledged", "command_handed_to_you", "approval_requested",
    "second_review_requested", "complaint_approval_requested", "complaint_escalated",
  ]);
  let unread = Number(badge.textContent) || 0;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function setUnread(n) {
    unread = Math.max(0, n);
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
  }

  function topicUrl(n) {
    if (n.topic_type === "incident" && n.topic_id) return `/incidents/${n.topic_id}/`;
    if (n.topic_type === "complaint" && n.topic_id) return `/complaints/${n.topic_id}/`;
    return "";
  }

  // Times as the server writes them (the console's time zone), not the browser's.
  const timeZone = document.body.dataset.timeZone || undefined;
  function stamp(iso) {
    const parts = {};
    try {
      new Intl.DateTimeFormat("en-GB", {
        timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
      }).formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
    } catch (e) {
      return iso.slice(5, 16).replace("T", " ");
    }
    return `${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  }

  // Built with text nodes only: subjects and bodies are people's words and are never parsed as HTML.
  function item(n) {
    const li = document.createElement("li");
    li.className = `notification event-${n.event} unread` + (n.needs_ack && !n.acked_at ? " needs-ack" : "");
    li.dataset.notification = n.id;
    const time = document.createElement("time");
    time.dateTime = n.created_at;
    time.textContent = stamp(n.created_at);
    li.append(time, " ");
    const url = topicUrl(n);
    const subject = document.createElement(url ? "a" : "span");
    if (url) subject.href = url;
    subject.textContent = n.subject;
    li.append(subject);
    const body = document.createElement("div");
    body.className = "small muted body";
    body.textContent = n.body;
    li.append(body);
    if (n.needs_ack && !n.acked_at) {
      const form = document.createElement("form");
      form.method = "post";
      form.action = `/me/notifications/${n.id}/ack/`;
      form.className = "ack-form";
      const button = document.createElement("button");
      button.type = "submit";
      button.className = "primary small ack";
      button.textContent = pgettext("page", "Acknowledge");
      form.append(button);
      li.append(form);
    }
    return li;
  }

  function show(n) {
    if (list.querySelector(`[data-notification="${n.id}"]`)) return false;
    list.querySelector(".empty")?.remove();
    list.prepend(item(n));
    while (list.children.length > TRAY_SIZE) list.lastElementChild.remove();
    return true;
  }

  function systemNotification(n) {
    if (!("Notification" in window) || window.Notification.permission !== "granted") return;
    if (!URGENT.has(n.event)) return;
    try {
      const shown = new window.Notification(n.subject, { body: n.body, tag: `crisis-${n.id}` });
      shown.onclick = () => {
        window.focus();
        const url = topicUrl(n);
        if (url) location.href = url;
      };
    } catch (e) {
      // Some browsers only allow notifications from a service worker: the tray still has it.
    }
  }

  // --- Acknowledging -------------------------------------------------------------------------------
  list.parentElement.addEventListener("submit", async (event) => {
    const form = event.target.closest(".ack-form");
    if (!form) return;
    event.preventDefault();
    const li = form.closest("[data-notification]");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(`/api/notifications/${li.dataset.notification}/ack/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      const done = document.createElement("div");
      done.className = "small acked";
      done.textContent = pgettext("page", "Acknowledged");
      form.replaceWith(done);
      li.classList.remove("needs-ack");
    } catch (e) {
      button.disabled = false;
      form.submit(); // let the server say what went wrong
    }
  });

  // --- System notifications: asked for with a click, as browsers require ---------------------------
  if (alertsButton && "Notification" in window && window.Notification.permission === "default") {
    alertsButton.hidden = false;
    alertsButton.addEventListener("click", async () => {
      await window.Notification.requestPermission();
      alertsButton.hidden = window.Notification.permission !== "default";
    });
  }

  // --- The live connection ---------------------------------------------------------------------------
  let delay = 500;
  let connectedBefore = false;

  async function catchUp() {
    // After a lost connection: what arrived meanwhile, from the API (newest first).
    try {
      const response = await fetch("/api/notifications/?page_size=" + TRAY_SIZE, { credentials: "same-origin" });
      if (!response.ok) return;
      const page = await response.json();
      const rows = Array.isArray(page) ? page : page.results || [];
      rows.slice(0, TRAY_SIZE).reverse().forEach((n) => {
        if (!n.read_at) show({ ...n, topic_type: n.incident ? "incident" : n.complaint ? "complaint" : "",
                              topic_id: n.incident || n.complaint });
      });
    } catch (e) {
      // the next reconnection tries again
    }
  }

  function connect() {
    const socket = new WebSocket(`${wsBase}/ws/me/`);
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (message.type === "hello") {
        setUnread(message.unread);
        if (connectedBefore) catchUp();
        connectedBefore = true;
        delay = 500;
      } else if (message.type === "notification") {
        if (show(message)) {
          setUnread(unread + 1);
          systemNotification(message);
        }
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4401) return; // signed out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  if ("WebSocket" in window) connect();

  // "?" shows the keyboard shortcuts (on every page); Escape closes them.
  const keys = document.getElementById("shortcuts");
  document.addEventListener("keydown", (e) => {
    if (!keys || e.target.closest("input,textarea,select") || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      e.preventDefault();
      const box = document.getElementById("search-q");
      if (box) box.focus();
      else location.href = "/search/";
      return;
    }
    if (e.key === "?") {
      e.preventDefault();
      if (keys.open) keys.close();
      else keys.showModal();
    }
  });
  document.body.dataset.attention = "ready";
})();
