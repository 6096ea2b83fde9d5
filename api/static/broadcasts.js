// Compose page: preview the audience as the form changes, create with an
// Idempotency-Key (the same key for the same content, so a double click or a retry
// never makes a second broadcast), then send or schedule; test send to oneself.
"use strict";
(function () {
  const form = document.getElementById("compose");
  const errorBox = document.getElementById("error");
  const previewBox = document.getElementById("preview");
  const sendButton = document.getElementById("send");
  const channelNames = { telegram: "Telegram", twilio: "WhatsApp (Twilio)", whatsapp: "WhatsApp (Cloud API)", web: "Web-Chat" };
  const languageNames = { de: "Deutsch", en: "Englisch", nl: "Niederländisch" };
  let imageUrl = null;
  let keyFor = { body: null, key: null, id: null };

  const checked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  const value = (id) => document.getElementById(id).value;

  function body() {
    const texts = { de: value("text-de") };
    for (const lang of ["en", "nl"]) if (value(`text-${lang}`).trim()) texts[lang] = value(`text-${lang}`);
    const data = { texts, topics: checked("topic"), districts: checked("district"), channels: checked("channel"), urgent: document.getElementById("urgent").checked };
    if (form.querySelector("input[name=when]:checked").value === "later") data.send_at = value("send-at") || "ungültig";
    if (imageUrl) data.image_url = imageUrl;
    if (value("button-title").trim() || value("button-payload").trim()) data.buttons = [{ title: value("button-title"), payload: value("button-payload") }];
    return data;
  }

  async function call(method, url, data, headers) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...Staff.csrfHeaders(), ...(headers || {}) },
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(typeof json.detail === "string" ? json.detail : explain(json.detail));
    return json;
  }

  function explain(detail) {
    if (!Array.isArray(detail)) return "Unerwarteter Fehler.";
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }

  function describe(p) {
    const parts = Object.entries(p.by_channel).map(([ch, n]) => `${channelNames[ch] || ch} ${n}`);
    const langs = Object.entries(p.by_language).map(([l, n]) => `${languageNames[l] || l} ${n}`);
    let text = `Empfänger: ${p.recipients}` + (parts.length ? ` (${parts.join(", ")}; ${langs.join(", ")})` : "");
    const outside = Object.entries(p.outside_window);
    if (outside.length) {
      text += ". Außerhalb des 24-Stunden-Fensters von WhatsApp: " + outside.map(([ch, n]) =>
        `${channelNames[ch]} ${n} (${p.templates[ch] ? "Vorlage " + p.templates[ch] : "keine Vorlage: nicht erreichbar"})`).join(", ");
      if (p.unreachable_without_template) text += `; ohne Vorlage nicht erreichbar: ${p.unreachable_without_template}`;
    }
    return text + ".";
  }

  let timer = null;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const data = body();
      if (!data.topics.length) { previewBox.textContent = "Empfänger: Themen wählen."; return; }
      try {
        previewBox.textContent = describe(await call("POST", "/api/broadcasts/preview", data));
        errorBox.textContent = "";
      } catch (e) { previewBox.textContent = "Empfänger: –"; errorBox.textContent = e.message; }
    }, 250);
  }
  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", schedulePreview);
  document.querySelectorAll("textarea").forEach((area) => area.addEventListener("input", () => {
    const counter = form.querySelector(`.count[data-for=${area.id}]`);
    if (counter) counter.textContent = `${area.value.length} Zeichen`;
  }));

  document.getElementById("image").addEventListener("change", async (event) => {
    imageUrl = null;
    const file = event.target.files[0];
    if (!file) return;
    const upload = new FormData();
    upload.append("file", file);
    const res = await fetch("/api/broadcasts/images", { method: "POST", body: upload, credentials: "same-origin", headers: Staff.csrfHeaders() });
    const json = await res.json().catch(() => ({}));
    if (res.ok) { imageUrl = json.image_url; errorBox.textContent = ""; }
    else { event.target.value = ""; errorBox.textContent = json.detail || "Hochladen fehlgeschlagen."; }
  });

  // One broadcast per content: the same body keeps its key (and its draft).
  async function draft() {
    const data = body();
    const text = JSON.stringify(data);
    if (keyFor.body !== text) keyFor = { body: text, key: crypto.randomUUID(), id: null };
    const created = await call("POST", "/api/broadcasts", data, { "Idempotency-Key": keyFor.key });
    keyFor.id = created.id;
    return created;
  }

  sendButton.addEventListener("click", async () => {
    sendButton.disabled = true;
    errorBox.textContent = "";
    try {
      const created = await draft();
      if (created.status === "draft") await call("POST", `/api/broadcasts/${created.id}/send`);
      window.location.href = `/broadcasts/${created.id}`;
    } catch (e) {
      errorBox.textContent = e.message;
      sendButton.disabled = false;
    }
  });

  document.getElementById("test").addEventListener("click", async () => {
    errorBox.textContent = "";
    const [channel, ...rest] = value("test-to").split(":");
    try {
      const created = await draft();
      await call("POST", `/api/broadcasts/${created.id}/test`, { channel, recipient: rest.join(":") });
      previewBox.textContent = "Test gesendet an " + value("test-to") + ".";
    } catch (e) { errorBox.textContent = e.message; }
  });
})();
