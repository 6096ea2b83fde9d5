// Stadtbot web chat: plain JS, no build step. Text is always inserted as text, never HTML.
(() => {
  "use strict";
  const UI = {
    de: { title: "Unterhaltung", placeholder: "Nachricht schreiben …", send: "Senden", label: "Ihre Nachricht",
          lang: "Sprache", error: "Die Nachricht konnte nicht gesendet werden. Bitte erneut versuchen.", image: "Bild vom Stadtbot", ticket: "QR-Code Ihres Tickets: zeigen Sie ihn vor",
          privacy: "Datenschutz: was gespeichert wird und wie lange", locate: "Standort senden", located: "📍 Mein Standort", noLocation: "Der Standort ist nicht verfügbar. Schreiben Sie einfach die Adresse." },
    en: { title: "Conversation", placeholder: "Type a message …", send: "Send", label: "Your message",
          lang: "Language", error: "The message could not be sent. Please try again.", image: "Image from Stadtbot", ticket: "QR code of your ticket: show it on arrival",
          privacy: "Privacy: what is stored and for how long", locate: "Send my location", located: "📍 My location", noLocation: "Location is not available. Just type the address." },
    nl: { title: "Gesprek", placeholder: "Typ een bericht …", send: "Verstuur", label: "Uw bericht",
          lang: "Taal", error: "Het bericht kon niet worden verstuurd. Probeer het opnieuw.", image: "Afbeelding van Stadtbot", ticket: "QR-code van uw ticket: laat hem zien bij aankomst",
          privacy: "Privacy: wat wordt bewaard en hoe lang", locate: "Locatie sturen", located: "📍 Mijn locatie", noLocation: "De locatie is niet beschikbaar. Typ gewoon het adres." },
  };
  const KEY = "stadtbot.session", LANG_KEY = "stadtbot.lang";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const langSelect = document.getElementById("lang");
  const status = document.getElementById("status");
  const locate = document.getElementById("locate");
  const privacy = document.getElementById("privacy");
  const seen = new Set();
  let sessionId = localStorage.getItem(KEY);
  // The bot detects the language from what is typed; only an explicit choice is sent.
  let chosen = localStorage.getItem(LANG_KEY);
  let lang = chosen || (navigator.language || "de").slice(0, 2);
  if (!UI[lang]) lang = "de";
  let socket = null;

  function applyLanguage() {
    const ui = UI[lang];
    document.documentElement.lang = lang;
    langSelect.value = lang;
    input.placeholder = ui.placeholder;
    document.getElementById("send").textContent = ui.send;
    document.getElementById("text-label").textContent = ui.label;
    document.getElementById("lang-label").textContent = ui.lang;
    log.setAttribute("aria-label", ui.title);
    locate.setAttribute("aria-label", ui.locate);
    locate.title = ui.locate;
    privacy.textContent = ui.privacy;
    privacy.href = `/privacy?lang=${lang}`;
  }

  function render(msg) {
    if (msg.direction === "in" && !msg.text && msg.location) msg = { ...msg, text: UI[lang].located };
    if (msg.direction === "in" && !msg.text) return;  // a tapped button or the opening call
    if (msg.id != null) {
      if (seen.has(msg.id)) return;
      seen.add(msg.id);
    }
    const item = document.createElement("li");
    const incoming = msg.direction === "in";
    item.className = "msg " + (incoming ? "in" : "out") + (msg.author && msg.author !== "bot" && !incoming ? " staff" : "");
    const body = document.createElement("div");
    body.textContent = msg.text || "";
    item.appendChild(body);
    if (msg.image_url) {
      const img = document.createElement("img");
      img.src = msg.image_url;
      img.alt = msg.image_url.includes("/qr/") ? UI[lang].ticket : UI[lang].image;
      img.addEventListener("load", () => item.scrollIntoView({ block: "end" }));
      item.appendChild(img);
    }
    if (!incoming && msg.buttons && msg.buttons.length) {
      const chips = document.createElement("div");
      chips.className = "chips";
      chips.setAttribute("role", "group");
      for (const b of msg.buttons) {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "chip";
        chip.textContent = b.title;
        chip.addEventListener("click", () => send({ text: b.title, payload: b.payload }));
        chips.appendChild(chip);
      }
      item.appendChild(chips);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  let slowedDown = false;

  async function send({ text, payload, location, shown }) {
    status.textContent = "";
    // A new chat (a deep link too) greets and asks in the browser's language.
    const body = { text, payload, location, lang: chosen || (sessionId ? undefined : lang), message_id: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() };
    if (sessionId) body.session_id = sessionId;
    if (text || shown) render({ direction: "in", text: text || shown });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await fetch("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        if (res.status === 429) {  // too fast: the server's polite note, shown once
          const note = (await res.json()).detail;
          if (!slowedDown) render({ direction: "out", text: note });
          slowedDown = true;
          return;
        }
        if (!res.ok) { status.textContent = UI[lang].error; return; }
        slowedDown = false;
        const data = await res.json();
        if (data.session_id !== sessionId) { sessionId = data.session_id; localStorage.setItem(KEY, sessionId); connect(); }
        data.messages.forEach((m) => render({ ...m, direction: "out" }));
        return;
      } catch (e) {
        await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));  // same message_id: no double reply
      }
    }
    status.textContent = UI[lang].error;
  }

  function connect() {
    if (!sessionId || !("WebSocket" in window)) return;
    if (socket) socket.close();
    const last = Math.max(0, ...seen);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/api/chat/ws?session_id=${encodeURIComponent(sessionId)}&after=${last}`);
    socket.onmessage = (event) => { const m = JSON.parse(event.data); if (m.id != null) render(m); };
    socket.onclose = (event) => { if (event.code !== 4404) setTimeout(connect, 3000); };
  }

  async function restore() {
    if (!sessionId) return false;
    const res = await fetch(`/api/chat/history?session_id=${encodeURIComponent(sessionId)}`);
    if (!res.ok) { sessionId = null; localStorage.removeItem(KEY); return false; }
    const data = await res.json();
    data.messages.forEach(render);
    return data.messages.length > 0;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text, payload: null });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  locate.addEventListener("click", () => {
    if (!navigator.geolocation) { status.textContent = UI[lang].noLocation; return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => send({ location: { latitude: pos.coords.latitude, longitude: pos.coords.longitude }, shown: UI[lang].located }),
      () => { status.textContent = UI[lang].noLocation; },
      { timeout: 10000, maximumAge: 60000 },
    );
  });
  langSelect.addEventListener("change", () => {
    lang = chosen = langSelect.value;
    localStorage.setItem(LANG_KEY, lang);
    applyLanguage();
  });

  applyLanguage();
  (async () => {
    const start = new URLSearchParams(location.search).get("start");
    const restored = await restore();
    if (start) await send({ text: null, payload: start });
    else if (!restored) await send({ text: null, payload: null });
    // The deep link has been opened: a reload must not open it a second time.
    if (start) history.replaceState(null, "", location.pathname);
    connect();
    // No focus on load: on a phone it would open the keyboard over the first answer.
  })();
})();
