// Live updates for the war room (#warroom) and the board (#board). No build step.
//
// War room: connects to /ws/incidents/{id}/?after={last seq seen}; appends timeline entries in
// order, re-fetches the panels an event changes, shows who is here and who is typing, ticks the
// countdowns, loads older history on demand, and on a lost connection shows a banner and resumes
// from the last sequence number it saw, so nothing is missed.
// Board: connects to /ws/board/ and reloads its table (at most twice a second) when anything changes.
"use strict";

(function () {
  // Django's JavaScript catalogue (jsi18n) defines gettext and interpolate; calling them by these
  // names is what lets makemessages find the strings.
  const gettext = window.gettext || ((s) => s);
  const interpolate = window.interpolate || ((s) => s);
  const lang = (document.documentElement.lang || "en").toLowerCase();
  const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;

  // Which panels an event changes (the timeline itself is appended from the message).
  const PANELS = {
    declared: ["header"],
    transition: ["header", "deadlines", "checklist"],
    role_assigned: ["header", "roles", "checklist"],
    role_ended: ["header", "roles"],
    command_handover: ["header", "roles", "checklist"],
    task: ["checklist", "header"],
    deadline: ["deadlines"],
    breach: ["deadlines", "checklist"],
    reminder: [],
    first_hour: [],
    statement: ["voice", "deadlines"],
    qa_line: ["voice"],
    pinned: ["pins"],
    complaint: ["complaints"],
    note: [],
  };

  // --- Countdowns -----------------------------------------------------------------------------
  function two(n) {
    return String(n).padStart(2, "0");
  }
  function span(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    const rest = `${two(m)}:${two(s % 60)}`;
    if (d) return interpolate(gettext("%(d)sd %(hm)s"), { d, hm: `${two(h)}:${rest}` }, true);
    return h ? `${h}:${rest}` : rest;
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach((el) => {
      const due = Date.parse(el.dataset.countdown);
      if (Number.isNaN(due)) return;
      const left = due - now;
      if (el.classList.contains("first-hour-clock")) {
        el.textContent = left > 0 ? span(left) : el.dataset.over || gettext("over");
        el.classList.toggle("past", left <= 0);
        return;
      }
      el.textContent =
        left >= 0
          ? interpolate(gettext("in %(t)s"), { t: span(left) }, true)
          : interpolate(gettext("overdue %(t)s"), { t: span(left) }, true);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
    });
  }
  tick();
  setInterval(tick, 1000);

  // --- A websocket that resumes --------------------------------------------------------------
  function banner(text, kind) {
    const el = document.getElementById("live-banner");
    if (!el) return;
    el.hidden = !text;
    el.textContent = text || "";
    el.className = "live-banner" + (kind ? " " + kind : "");
  }

  function liveSocket(urlFor, handlers) {
    let ws = null, delay = 1000, lastMessage = Date.now(), stopped = false, wasDown = false;
    function open() {
      ws = new WebSocket(urlFor());
      ws.onopen = () => {
        delay = 1000;
        lastMessage = Date.now();
        if (wasDown) {
          banner(gettext("Live connection restored."), "ok");
          setTimeout(() => banner(""), 3000);
        }
        wasDown = false;
        handlers.open && handlers.open(ws);
      };
      ws.onmessage = (e) => {
        lastMessage = Date.now();
        let msg;
        try {
          msg = JSON.parse(e.data);
        } catch (err) {
          return;
        }
        handlers.message(msg, ws);
      };
      ws.onclose = (e) => {
        if (stopped) return;
        if (e.code === 4401 || e.code === 4403 || e.code === 4404) {
          stopped = true;
          banner(gettext("You can no longer follow this page live. Reload it to check."), "down");
          return;
        }
        wasDown = true;
        banner(gettext("Live connection lost — reconnecting…"), "down");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    // The server sends a heartbeat every 25 s; silence for a minute means a dead connection.
    setInterval(() => {
      if (ws && ws.readyState === WebSocket.OPEN && Date.now() - lastMessage > 60000) ws.close();
    }, 5000);
    open();
    return { send: (obj) => ws && ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(obj)) };
  }

  function debounce(fn, ms) {
    let timer = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    };
  }

  // --- The war room ----------------------------------------------------------------------------
  const room = document.getElementById("warroom");
  if (room) {
    const incident = room.dataset.incident;
    const timeZone = room.dataset.timeZone || undefined;
    const timeline = document.getElementById("timeline");
    let lastSeq = parseInt(room.dataset.lastSeq, 10) || 0;
    const dirty = new Set();

    function clock(iso) {
      const d = new Date(iso);
      return d.toLocaleTimeString("en-GB", { hour12: false, timeZone: timeZone });
    }

    // The same list as the console template filter (crisis/templatetags/console.py).
    const DECISIONS = new Set(["transition", "command_handover", "role_assigned", "role_ended", "statement",
                               "qa_line", "page_acknowledged"]);

    function entryElement(msg) {
      const li = document.createElement("li");
      const who = msg.data.actor ? "by-person" : "by-system";
      li.className = `entry kind-${msg.type} ${who}${DECISIONS.has(msg.type) ? " decision" : ""} fresh`;
      li.dataset.seq = msg.seq;
      const time = document.createElement("time");
      time.dateTime = msg.at;
      time.textContent = clock(msg.at);
      const actor = document.createElement("span");
      actor.className = "actor";
      actor.textContent = (msg.data.actor && msg.data.actor.name) || gettext("system");
      const text = document.createElement("span");
      text.className = "message";
      const sentences = msg.message || {};
      text.textContent = sentences[lang] || sentences["en"] || msg.type;
      li.append(time, " ", actor, " ", text);
      if (timeline.dataset.pinUrl && msg.type !== "pinned") {
        const pin = document.createElement("button");
        pin.type = "button";
        pin.className = "pin linklike";
        pin.title = gettext("Pin as a decision");
        pin.setAttribute("aria-label", gettext("Pin as a decision"));
        pin.textContent = "📌";
        li.append(" ", pin);
      }
      if (msg.data.text && msg.type !== "note") {
        const note = document.createElement("div");
        note.className = "text prewrap";
        note.textContent = msg.data.text;
        li.append(note);
      }
      return li;
    }

    function stickToBottom(fn) {
      const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
      fn();
      if (atBottom) timeline.scrollTop = timeline.scrollHeight;
    }

    const refreshPanels = debounce(() => {
      dirty.forEach((name) => {
        const target = document.getElementById(`panel-${name}`);
        if (!target || !window.htmx) return;
        const url = room.dataset.panelUrl.replace("PANEL", name);
        window.htmx.ajax("GET", url, { target: target, swap: "outerHTML" });
      });
      dirty.clear();
    }, 250);

    function onTimeline(msg) {
      if (msg.seq <= lastSeq) return; // already shown (the server never sends twice; a reload might)
      lastSeq = msg.seq;
      stickToBottom(() => timeline.append(entryElement(msg)));
      (PANELS[msg.type] || []).forEach((name) => dirty.add(name));
      if (dirty.size) refreshPanels();
    }

    function onPresence(msg) {
      const list = document.getElementById("presence-list");
      if (!list) return;
      list.textContent = msg.users.map((u) => u.name).join("、");
    }

    const typing = new Map();
    function onTyping(msg) {
      const el = document.getElementById("typing");
      if (!el) return;
      if (msg.typing) typing.set(msg.user.id, { name: msg.user.name, at: Date.now() });
      else typing.delete(msg.user.id);
      renderTyping();
    }
    function renderTyping() {
      const el = document.getElementById("typing");
      const now = Date.now();
      for (const [id, v] of typing) if (now - v.at > 8000) typing.delete(id);
      const names = [...typing.values()].map((v) => v.name);
      el.textContent = names.length ? interpolate(gettext("%(names)s typing…"), { names: names.join("、") }, true) : "";
    }
    setInterval(renderTyping, 3000);

    // A heartbeat names the newest entry; if we are still short of it a few seconds later (its
    // live message was lost and nothing came after it), resume from the last one we have.
    let behindCheck = null;
    function onHeartbeat(msg, ws) {
      if (typeof msg.last_seq !== "number" || msg.last_seq <= lastSeq || behindCheck) return;
      const wanted = msg.last_seq;
      behindCheck = setTimeout(() => {
        behindCheck = null;
        if (lastSeq < wanted && ws.readyState === WebSocket.OPEN) ws.close();
      }, 5000);
    }

    const socket = liveSocket(() => `${wsBase}/ws/incidents/${incident}/?after=${lastSeq}`, {
      message(msg, ws) {
        if (typeof msg.seq === "number") onTimeline(msg);
        else if (msg.type === "presence") onPresence(msg);
        else if (msg.type === "typing") onTyping(msg);
        else if (msg.type === "heartbeat") onHeartbeat(msg, ws);
      },
    });

    // Typing indicator and the note form (htmx posts it; the note comes back over the websocket).
    const form = document.getElementById("note-form");
    if (form) {
      let lastTyping = 0;
      form.addEventListener("input", () => {
        if (Date.now() - lastTyping > 3000) {
          lastTyping = Date.now();
          socket.send({ type: "typing", typing: true });
        }
      });
      form.addEventListener("htmx:afterRequest", (e) => {
        const error = document.getElementById("note-error");
        if (e.detail.successful) {
          form.reset();
          error.textContent = "";
          socket.send({ type: "typing", typing: false });
          lastTyping = 0;
        } else {
          error.textContent = e.detail.xhr.responseText || gettext("The note was not saved.");
        }
      });
    }

    // Ctrl+Enter (⌘+Enter) posts the note; "n" puts the cursor in it.
    if (form) {
      form.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          form.requestSubmit();
        }
      });
    }
    document.addEventListener("keydown", (e) => {
      if (e.key !== "n" || e.ctrlKey || e.metaKey || e.altKey || e.target.closest("input,textarea,select")) return;
      const box = form && form.querySelector("textarea");
      if (box) {
        e.preventDefault();
        box.focus();
      }
    });

    // The timeline's filter: everything, people, decisions, the system.
    const filter = document.getElementById("timeline-filter");
    if (filter) {
      filter.addEventListener("click", (e) => {
        const chip = e.target.closest("[data-filter]");
        if (!chip) return;
        filter.querySelectorAll("[data-filter]").forEach((c) => c.setAttribute("aria-pressed", String(c === chip)));
        timeline.dataset.filter = chip.dataset.filter;
      });
    }

    // Pin an entry as a decision (the pinned list comes back with the "pinned" event).
    timeline.addEventListener("click", (e) => {
      const pin = e.target.closest("button.pin");
      if (!pin || !timeline.dataset.pinUrl) return;
      const body = new URLSearchParams({ seq: pin.closest("li.entry").dataset.seq, pinned: "1" });
      const token = (document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "";
      fetch(timeline.dataset.pinUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": decodeURIComponent(token), "HX-Request": "true" },
      });
    });

    // Older history, a window at a time.
    timeline.addEventListener("click", (e) => {
      const button = e.target.closest(".load-older");
      if (!button) return;
      const marker = button.closest("li.older");
      fetch(`${room.dataset.timelineUrl}?before=${marker.dataset.before}`, { credentials: "same-origin" })
        .then((r) => r.text())
        .then((html) => {
          const before = timeline.scrollHeight;
          marker.insertAdjacentHTML("afterend", html);
          marker.remove();
          timeline.scrollTop += timeline.scrollHeight - before;
        });
    });
    timeline.scrollTop = timeline.scrollHeight;
  }

  // --- The board -----------------------------------------------------------------------------
  const board = document.getElementById("board");
  if (board) {
    const reload = debounce(() => {
      const query = new URLSearchParams(new FormData(document.getElementById("board-filters"))).toString();
      if (window.htmx) {
        window.htmx.ajax("GET", `${board.dataset.tableUrl}?${query}`, { target: "#board-table", swap: "outerHTML" });
      }
    }, 500);
    let first = true;
    liveSocket(() => `${wsBase}/ws/board/`, {
      open() {
        if (!first) reload(); // catch up on whatever changed while disconnected
        first = false;
      },
      message(msg) {
        if (typeof msg.seq === "number") reload();
      },
    });
  }
})();
