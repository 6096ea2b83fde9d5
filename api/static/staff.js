// The live inbox: queue per team, one open chat with transcript, contact panel,
// notes and audit log; server-sent events keep it current without reloads.
"use strict";

(() => {
  const { api, el, clear, when, waited, euros } = Staff;
  const $ = (id) => document.getElementById(id);
  const me = $("inbox").dataset.user;
  const CHANNELS = { web: "Web-Chat", telegram: "Telegram", twilio: "WhatsApp (Twilio)",
    whatsapp: "WhatsApp", terminal: "Terminal" };
  const STATUS = { waiting: "wartet", open: "in Bearbeitung", closed: "geschlossen", bot: "beim Bot" };
  const ACTIONS = { escalate: "an Team übergeben", claim: "übernommen", assign: "zugewiesen",
    reply: "geantwortet", note: "Notiz", release: "an den Bot zurückgegeben", close: "geschlossen",
    export: "Daten exportiert" };
  const state = { queue: [], selected: null, detail: null, unread: {}, teams: [], known: new Set() };

  function showError(error) {
    $("error").textContent = error ? error.message || String(error) : "";
  }

  // --- queue -----------------------------------------------------------------------
  async function loadQueue() {
    const status = $("status-filter").value;
    const rows = await api("GET", "/api/staff/conversations" + (status ? "?status=" + status : ""));
    const fresh = rows.filter((r) => r.status === "waiting" && !state.known.has(r.id));
    if (state.queue.length && fresh.length) notify("Neue Anfrage", fresh[0].reason_text || "");
    rows.forEach((r) => state.known.add(r.id));
    state.queue = rows;
    renderQueue();
  }

  function renderQueue() {
    const team = $("team-filter").value;
    const list = clear($("queue-list"));
    const rows = state.queue.filter((r) => !team || r.team === team);
    $("queue-empty").hidden = rows.length > 0;
    for (const row of rows) {
      const unread = state.unread[row.id] || 0;
      const item = el("li", { className: "queue-item " + row.status + (row.id === state.selected ? " selected" : "") },
        el("button", { type: "button", className: "queue-open", dataset: { id: String(row.id) } },
          el("span", { className: "who" }, row.name || "Unterhaltung " + row.id),
          unread ? el("span", { className: "badge" }, String(unread)) : null,
          el("span", { className: "meta" },
            [CHANNELS[row.channel] || row.channel, (row.language || "?").toUpperCase(),
              row.team_name || "", STATUS[row.status] || row.status].join(" · ")),
          el("span", { className: "meta" },
            (row.status === "waiting" ? "wartet seit " + waited(row.waiting_since) : "")
            + (row.assignee ? " bei " + row.assignee : "")),
          el("span", { className: "reason" }, row.reason_text || "")));
      list.append(item);
    }
    updateUnread();
  }

  function updateUnread() {
    const total = Object.values(state.unread).reduce((a, b) => a + b, 0);
    const waiting = state.queue.filter((r) => r.status === "waiting").length;
    $("unread").hidden = total === 0;
    $("unread").textContent = String(total);
    document.title = (total ? "(" + total + ") " : "") + "Posteingang – " + waiting + " wartend";
  }

  // --- one conversation ------------------------------------------------------------
  async function open(id) {
    state.selected = id;
    state.unread[id] = 0;
    await loadDetail();
    renderQueue();
  }

  async function loadDetail() {
    if (state.selected === null) return;
    const data = await api("GET", "/api/staff/conversations/" + state.selected);
    state.detail = data;
    renderDetail(data);
  }

  function line(m) {
    const who = m.direction === "in" ? "Bürger*in" : m.author === "bot" ? "Bot" : m.author;
    const understood = m.direction === "in" && m.intent
      ? el("span", { className: "intent" }, m.intent + " (" + Math.round((m.confidence || 0) * 100) + " %)")
      : null;
    const image = m.image_url && /^(https:\/\/|\/)/.test(m.image_url)
      ? el("img", { src: m.image_url, alt: "Bild", className: "msg-image" }) : null;
    return el("li", { className: "msg " + m.direction + (m.author !== "bot" && m.direction === "out" ? " staff" : ""),
      dataset: { id: String(m.id) } },
      el("span", { className: "msg-head" }, who + " · " + when(m.created_at)), understood,
      el("p", { className: "msg-text" }, m.text),
      image,
      m.buttons && m.buttons.length ? el("span", { className: "msg-buttons" }, "[" + m.buttons.join("] [") + "]") : null);
  }

  function renderDetail(d) {
    $("chat").hidden = false;
    $("side").hidden = false;
    $("chat-title").textContent = (d.name || "Unterhaltung " + d.id) + " – " + (CHANNELS[d.channel] || d.channel);
    $("chat-meta").textContent = [(d.language || "?").toUpperCase(), d.team_name || "", STATUS[d.status] || d.status,
      d.assignee ? "bei " + d.assignee : "niemandem zugewiesen", d.reason_text || ""].filter(Boolean).join(" · ");
    const list = clear($("messages"));
    d.messages.forEach((m) => list.append(line(m)));
    list.scrollTop = list.scrollHeight;
    const active = d.status === "waiting" || d.status === "open";
    const mine = d.assignee === me;
    $("claim").hidden = !d.can_act || (active && mine);
    $("claim").textContent = active ? "Übernehmen" : "Unterhaltung übernehmen";
    for (const id of ["assign", "assign-to", "release", "release-flow", "close"]) $(id).hidden = !d.can_act || !active;
    $("reply-form").hidden = !d.can_act;
    $("erase-data").hidden = !d.can_act;
    renderAssign();
    const flows = clear($("release-flow"));
    flows.append(el("option", { value: "" }, "ohne Ablauf"));
    d.flows.forEach((f) => flows.append(el("option", { value: f.name }, "mit Ablauf: " + f.title)));
    const canned = clear($("canned"));
    canned.append(el("option", { value: "" }, "Textbaustein …"));
    d.canned.forEach((c, i) => canned.append(el("option", { value: String(i) }, c.title)));
    renderWindow(d.window);
    renderContact(d);
    renderFlow(d.flow);
    const notes = clear($("notes"));
    d.notes.forEach((n) => notes.append(el("li", {}, el("span", { className: "muted" }, n.author + " · " + when(n.created_at)), el("p", {}, n.text))));
    const audit = clear($("audit"));
    d.audit.forEach((a) => audit.append(el("li", {}, when(a.created_at) + " – " + a.actor + ": " + (ACTIONS[a.action] || a.action)
      + (a.detail && a.detail.team && a.action !== "claim" ? " (" + a.detail.team + (a.detail.assignee ? ", " + a.detail.assignee : "") + ")" : ""))));
  }

  function renderAssign() {
    const select = clear($("assign-to"));
    for (const team of state.teams) {
      select.append(el("option", { value: "team:" + team.key }, "Team " + team.name + (team.in_office ? "" : " (nicht im Dienst)")));
      team.members.filter((m) => m !== me).forEach((m) => select.append(el("option", { value: "user:" + team.key + ":" + m }, "  " + m + " (" + team.name + ")")));
    }
  }

  function renderWindow(w) {
    const box = $("window");
    box.hidden = !w.applies || w.open;
    $("send-template").hidden = box.hidden || !w.template;
    $("reply-text").disabled = !box.hidden && Boolean(w.template);
    if (box.hidden) return;
    box.textContent = w.template
      ? "WhatsApp: Die letzte Nachricht ist älter als 24 Stunden. Freier Text kommt nicht an; senden Sie die Vorlage: „" + w.template_text + "“"
      : "WhatsApp: Die letzte Nachricht ist älter als 24 Stunden und keine Vorlage ist eingerichtet. Antworten werden zurückgehalten, bis die Person wieder schreibt.";
  }

  function renderContact(d) {
    const c = d.contact;
    const dl = clear($("contact"));
    const pairs = [["Name", c.name || "–"], ["Kanal", CHANNELS[c.channel] || c.channel], ["Sprache", (c.language || "?").toUpperCase()]];
    pairs.forEach(([k, v]) => dl.append(el("dt", {}, k), el("dd", {}, v)));
    const fill = (id, rows, render) => {
      const list = clear($(id));
      if (!rows.length) list.append(el("li", { className: "muted" }, "keine"));
      rows.forEach((r) => list.append(el("li", {}, render(r))));
    };
    fill("cases", c.cases, (r) => r.reference + " · " + r.service + " · " + r.status);
    fill("bookings", c.bookings, (r) => r.reference + " · " + r.boat + " · " + when(r.start_at) + " · " + r.status);
    fill("vouchers", c.vouchers, (r) => r.code + " · Guthaben " + euros(r.balance_cents) + " von " + euros(r.value_cents));
  }

  function renderFlow(flow) {
    const box = clear($("flow"));
    if (!flow) {
      box.append(el("p", { className: "muted" }, "kein Ablauf offen"));
      return;
    }
    box.append(el("p", {}, flow.title));
    const dl = el("dl", {});
    flow.slots.forEach((s) => dl.append(el("dt", {}, s.label), el("dd", {}, s.value)));
    box.append(dl);
  }

  // --- actions ---------------------------------------------------------------------
  async function act(path, body) {
    showError(null);
    try {
      await api("POST", "/api/staff/conversations/" + state.selected + path, body);
      await Promise.all([loadDetail(), loadQueue()]);
    } catch (error) {
      showError(error);
      await loadDetail().catch(() => {});
    }
  }

  $("queue-list").addEventListener("click", (event) => {
    const button = event.target.closest(".queue-open");
    if (button) open(Number(button.dataset.id)).catch(showError);
  });
  $("claim").addEventListener("click", () => act("/claim"));
  $("close").addEventListener("click", () => act("/close"));
  $("release").addEventListener("click", () => {
    const flow = $("release-flow").value;
    act("/release", flow ? { flow } : undefined);
  });
  $("assign").addEventListener("click", () => {
    const [kind, team, user] = $("assign-to").value.split(":");
    act("/assign", kind === "user" ? { team, assignee: user } : { team });
  });
  // --- the citizen's data: a copy (JSON download) or erasure after a confirmation ---
  $("export-data").addEventListener("click", async () => {
    showError(null);
    try {
      const data = await api("POST", "/api/staff/conversations/" + state.selected + "/export");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob),
        download: "stadtbot-daten-chat-" + state.selected + ".json" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      await loadDetail();
    } catch (error) {
      showError(error);
    }
  });
  $("erase-data").addEventListener("click", () => $("erase-dialog").showModal());
  $("erase-dialog").addEventListener("close", async () => {
    if ($("erase-dialog").returnValue !== "erase") return;
    $("erase-dialog").returnValue = "";
    showError(null);
    try {
      const id = state.selected;
      await api("POST", "/api/staff/conversations/" + id + "/erase");
      state.selected = null;
      state.detail = null;
      $("chat").hidden = true;
      $("side").hidden = true;
      $("notice").textContent = "Die Daten der Unterhaltung " + id + " wurden gelöscht.";
      await loadQueue();
    } catch (error) {
      showError(error);
    }
  });
  $("canned").addEventListener("change", () => {
    const chosen = state.detail && state.detail.canned[Number($("canned").value)];
    if (chosen) $("reply-text").value = chosen.text;
    $("canned").value = "";
    $("reply-text").focus();
  });
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    const image = $("reply-image").value.trim();
    if (!text && !image) return;
    await act("/reply", image ? { text, image_url: image } : { text });
    if (!$("error").textContent) {
      $("reply-text").value = "";
      $("reply-image").value = "";
    }
  });
  $("send-template").addEventListener("click", () => act("/reply", { template: true }));
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return;
    await act("/notes", { text });
    $("note-text").value = "";
  });
  $("status-filter").addEventListener("change", () => loadQueue().catch(showError));
  $("team-filter").addEventListener("change", renderQueue);
  $("notify").addEventListener("click", () => {
    if ("Notification" in window) Notification.requestPermission().then(() => { $("notify").hidden = true; });
  });

  function notify(title, body) {
    if (!("Notification" in window) || Notification.permission !== "granted" || document.hasFocus()) return;
    try { new Notification(title, { body }); } catch (_) { /* some browsers allow it in workers only */ }
  }

  // --- live updates ----------------------------------------------------------------
  let queueTimer = null;
  function soon(fn) {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(() => fn().catch(showError), 150);
  }

  function listen() {
    const source = new EventSource("/api/staff/events");
    source.addEventListener("message", (event) => {
      const { message } = JSON.parse(event.data);
      const cid = message.conversation_id;
      if (cid === state.selected) {
        const list = $("messages");
        if (!list.querySelector('[data-id="' + message.id + '"]')) {
          list.append(line(message));
          list.scrollTop = list.scrollHeight;
        }
        if (message.direction === "in" && !document.hasFocus()) notify("Neue Nachricht", message.text);
      } else if (message.direction === "in") {
        state.unread[cid] = (state.unread[cid] || 0) + 1;
        notify("Neue Nachricht", message.text);
        renderQueue();
      }
    });
    source.addEventListener("queue", (event) => {
      const change = JSON.parse(event.data);
      soon(loadQueue);
      if (change.conversation_id === state.selected) setTimeout(() => loadDetail().catch(showError), 150);
    });
  }

  async function start() {
    state.teams = await api("GET", "/api/staff/teams");
    const filter = $("team-filter");
    state.teams.filter((t) => t.access).forEach((t) => filter.append(el("option", { value: t.key }, t.name)));
    await loadQueue();
    const wanted = Number(new URLSearchParams(window.location.search).get("conversation"));
    if (wanted) await open(wanted);
    listen();
    setInterval(renderQueue, 30000);
    if (!("Notification" in window) || Notification.permission !== "default") $("notify").hidden = true;
  }

  start().catch(showError);
})();
