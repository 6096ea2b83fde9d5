// The admin page: logins (add, disable, reset password, roles, teams) and ratings per team.
"use strict";

(() => {
  const { api, el, clear, when } = Staff;
  const $ = (id) => document.getElementById(id);
  let teams = [];

  function showError(error) {
    $("admin-error").textContent = error ? error.message || String(error) : "";
  }

  async function change(username, body) {
    showError(null);
    try {
      await api("PATCH", "/api/staff/users/" + encodeURIComponent(username), body);
      await loadUsers();
    } catch (error) {
      showError(error);
    }
  }

  function teamEditor(user) {
    const box = el("div", { className: "teams" });
    for (const team of teams) {
      const select = el("select", { dataset: { team: team.key }, "aria-label": "Team " + team.name });
      [["", "–"], ["member", "Mitglied"], ["reader", "darf lesen"]].forEach(([value, title]) =>
        select.append(el("option", { value, selected: (user.teams[team.key] || "") === value }, title)));
      box.append(el("label", {}, team.name + " ", select));
    }
    const save = el("button", { type: "button", className: "secondary" }, "Teams speichern");
    save.addEventListener("click", () => {
      const wanted = {};
      box.querySelectorAll("select").forEach((s) => { if (s.value) wanted[s.dataset.team] = s.value; });
      change(user.username, { teams: wanted });
    });
    box.append(save);
    const effective = Object.entries(user.effective_teams).map(([k, v]) => k + (v === "reader" ? " (lesen)" : ""));
    box.append(el("p", { className: "muted" }, "wirksam: " + (effective.join(", ") || "–")));
    return box;
  }

  function actions(user) {
    const toggle = el("button", { type: "button", className: "secondary" }, user.active ? "Sperren" : "Entsperren");
    toggle.addEventListener("click", () => change(user.username, { active: !user.active }));
    const reset = el("button", { type: "button", className: "secondary" }, "Passwort zurücksetzen");
    reset.addEventListener("click", () => {
      const password = window.prompt("Neues Passwort für " + user.username + " (mindestens 10 Zeichen):");
      if (password) change(user.username, { password });
    });
    return el("div", { className: "actions" }, toggle, reset);
  }

  async function loadUsers() {
    const users = await api("GET", "/api/staff/users");
    const body = clear($("users"));
    for (const user of users) {
      body.append(el("tr", { dataset: { user: user.username } },
        el("td", {}, user.username), el("td", {}, user.roles.join(", ")),
        el("td", {}, user.active ? "ja" : "gesperrt"), el("td", {}, teamEditor(user)), el("td", {}, actions(user))));
    }
  }

  async function loadRatings() {
    const rows = await api("GET", "/api/staff/ratings");
    const body = clear($("ratings"));
    const comments = clear($("comments"));
    for (const row of rows) {
      body.append(el("tr", {}, el("td", {}, row.name), el("td", {}, String(row.count)),
        el("td", {}, row.average === null ? "–" : row.average.toLocaleString("de-DE")),
        ...[1, 2, 3, 4, 5].map((s) => el("td", {}, String(row.by_score[s] || 0)))));
      row.comments.forEach((c) => comments.append(el("li", {}, row.name + ", " + c.score + "/5, " + when(c.created_at) + ": ", el("q", {}, c.comment))));
    }
    if (!comments.firstChild) comments.append(el("li", { className: "muted" }, "noch keine"));
  }

  $("add-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(null);
    try {
      await api("POST", "/api/staff/users", {
        username: $("new-username").value.trim(), password: $("new-password").value, roles: [$("new-role").value],
      });
      $("add-user").reset();
      await loadUsers();
    } catch (error) {
      showError(error);
    }
  });

  (async () => {
    teams = await api("GET", "/api/staff/teams");
    await Promise.all([loadUsers(), loadRatings()]);
  })().catch(showError);
})();
