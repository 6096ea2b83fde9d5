// Shared by the staff pages: JSON calls to /api/staff and DOM building that only
// ever sets text (citizens' messages are never parsed as HTML).
"use strict";

const Staff = (() => {
  // Every state-changing call on the session cookie must carry this (api/auth.py).
  function csrfHeaders() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? { "X-CSRF-Token": meta.content } : {};
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { ...csrfHeaders() } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      throw new Error("Bitte neu anmelden.");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = data && data.detail;
      throw new Error(typeof detail === "string" ? detail : "Fehler " + response.status);
    }
    return data;
  }

  // el("li", {className: "x"}, "text", child) – strings become text nodes.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.includes("-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  const time = new Intl.DateTimeFormat("de-DE", { dateStyle: "short", timeStyle: "short" });

  function when(iso) {
    return iso ? time.format(new Date(iso)) : "–";
  }

  function waited(iso) {
    if (!iso) return "";
    const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) return minutes + " Min.";
    return Math.floor(minutes / 60) + " Std. " + (minutes % 60) + " Min.";
  }

  function euros(cents) {
    return (cents / 100).toLocaleString("de-DE", { style: "currency", currency: "EUR" });
  }

  return { api, csrfHeaders, el, clear, when, waited, euros };
})();
