// Report page: polls the broadcast's counts every two seconds while it is not done.
"use strict";
(function () {
  const section = document.getElementById("report");
  const id = section.dataset.id;
  const errorBox = document.getElementById("error");
  const states = ["pending", "sent", "delivered", "read", "failed", "held", "cancelled", "withdrawn"];
  const names = { pending: "offen", sent: "gesendet", delivered: "zugestellt", read: "gelesen", failed: "fehlgeschlagen", held: "zurückgehalten", cancelled: "abgebrochen", withdrawn: "abgemeldet" };
  const statusNames = { draft: "Entwurf", scheduled: "geplant", sending: "wird gesendet", paused: "angehalten", cancelled: "abgebrochen", done: "fertig" };
  const channelNames = { telegram: "Telegram", twilio: "WhatsApp (Twilio)", whatsapp: "WhatsApp (Cloud API)", web: "Web-Chat" };
  const languageNames = { de: "Deutsch", en: "Englisch", nl: "Niederländisch" };

  function row(label, counts, tag) {
    return `<tr><${tag}>${label}</${tag}>` + states.map((s) => `<${tag}>${counts ? counts[s] : names[s]}</${tag}>`).join("") + "</tr>";
  }

  function render(r) {
    document.getElementById("status").textContent = statusNames[r.status] || r.status;
    document.getElementById("recipients").textContent = r.recipients;
    const percent = Math.round(r.progress * 100);
    document.getElementById("bar").style.width = percent + "%";
    section.querySelector(".progress").setAttribute("aria-valuenow", percent);
    let html = row("", null, "th") + row("<strong>gesamt</strong>", r.counts, "td");
    for (const [ch, c] of Object.entries(r.by_channel)) html += row(channelNames[ch] || ch, c, "td");
    for (const [lang, c] of Object.entries(r.by_language)) html += row(languageNames[lang] || lang, c, "td");
    document.getElementById("counts").innerHTML = html;
    document.getElementById("replies").textContent = r.replies;
    document.getElementById("withdrawn").textContent = r.withdrawn_since;
    const reasons = document.getElementById("reasons");
    reasons.replaceChildren(...Object.entries(r.failed_reasons).map(([reason, n]) => {
      const li = document.createElement("li");
      li.textContent = `${n} × ${reason}`;
      return li;
    }));
    for (const button of document.querySelectorAll("button[data-action]")) {
      const allowed = { pause: ["sending"], resume: ["paused"], cancel: ["draft", "scheduled", "sending", "paused"] };
      button.disabled = !allowed[button.dataset.action].includes(r.status);
    }
    return r.status;
  }

  async function refresh() {
    const res = await fetch(`/api/broadcasts/${id}`, { credentials: "same-origin" });
    if (!res.ok) return;
    const status = render(await res.json());
    if (!["done", "cancelled"].includes(status)) setTimeout(refresh, 2000);
  }

  for (const button of document.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", async () => {
      errorBox.textContent = "";
      const res = await fetch(`/api/broadcasts/${id}/${button.dataset.action}`, { method: "POST", credentials: "same-origin", headers: Staff.csrfHeaders() });
      const json = await res.json().catch(() => ({}));
      if (!res.ok) errorBox.textContent = json.detail || "Fehler.";
      refresh();
    });
  }
  refresh();
})();
