/* sigma-migrate report: people table (search, filters, sort, paging) over the JSON in #people-data.
   Rows are arrays in planner.report.PEOPLE_COLUMNS order. Cells are only ever set with textContent,
   so no value from the inputs is parsed as HTML. No network, no library. */
(function () {
  "use strict";

  var source = document.getElementById("people-data");
  var tbody = document.querySelector("#people-table tbody");
  if (!source || !tbody) { return; }
  var data = JSON.parse(source.textContent);
  var rows = data.rows;
  var col = {};
  data.columns.forEach(function (name, i) { col[name] = i; });
  var N = rows.length;

  var searchBox = document.getElementById("people-search");
  var kindSelect = document.getElementById("filter-kind");
  var reviewSelect = document.getElementById("filter-review");
  var focusSelect = document.getElementById("filter-focus");
  var sizeSelect = document.getElementById("page-size");
  var info = document.getElementById("page-info");
  var buttons = {
    first: document.getElementById("page-first"), prev: document.getElementById("page-prev"),
    next: document.getElementById("page-next"), last: document.getElementById("page-last")
  };

  // One lower-cased search text per row, built once (search is then one indexOf per row).
  var hay = new Array(N);
  for (var i = 0; i < N; i++) {
    var r = rows[i];
    hay[i] = [r[col.name], r[col.email], r[col.member_id], r[col.user_name], r[col.idp_id],
      r[col.link_key], r[col.account_type_before], r[col.account_type_after],
      r[col.review_items].map(function (n) { return data.reviews[n][0]; }).join(" ")].join("\u0001").toLowerCase();
  }

  var kindIndex = {};
  data.kinds.forEach(function (k, i) { kindIndex[k] = i; });

  var filterRuns = 0;
  var state = { order: null, sortKey: "", sortDir: 1, matches: [], page: 0, size: 100 };

  function sortValue(r, key) {
    if (key === "kinds") { return r[col.kinds].length; }
    if (key === "review") { return r[col.review]; }
    var v = r[col[key]];
    return typeof v === "string" ? v.toLowerCase() : v;
  }

  function sortedOrder() {
    var order = new Array(N);
    for (var i = 0; i < N; i++) { order[i] = i; }
    if (!state.sortKey) { return order; }
    var key = state.sortKey, dir = state.sortDir;
    var keys = new Array(N);
    for (var j = 0; j < N; j++) { keys[j] = sortValue(rows[j], key); }
    order.sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x < y) { return -dir; }
      if (x > y) { return dir; }
      return a - b;  // stable: plan order breaks ties
    });
    return order;
  }

  function focusTest(r, focus) {
    var lock = r[col.lockout];
    switch (focus) {
      case "": return true;
      case "lockout": return lock !== "";
      case "admins": return r[col.admin_change] === "loses";
      case "changes": return r[col.type_change] !== "";
      case "downgrades": return r[col.type_change] === "downgrade";
      case "replacements": return r[col.type_change] === "custom_replacement";
      case "unlinked": return r[col.member_id] === "" || r[col.idp_id] === "";
      case "scim-managed": return r[col.scim_managed] !== "";
      default:
        if (focus.indexOf("lockout-") === 0) { return lock === focus.slice(8); }
        return true;
    }
  }

  function applyFilters() {
    if (state.order === null) { state.order = sortedOrder(); }
    var terms = searchBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    var kind = kindSelect.value, review = reviewSelect.value, focus = focusSelect.value;
    var kindNo = kind && kind !== "none" ? kindIndex[kind] : -1;
    var out = [];
    var order = state.order;
    for (var n = 0; n < order.length; n++) {
      var i = order[n], r = rows[i];
      if (kind === "none" && r[col.kinds].length) { continue; }
      if (kindNo >= 0 && r[col.kinds].indexOf(kindNo) < 0) { continue; }
      if (review) {
        var lvl = r[col.review];
        if ((review === "any" && lvl === 0) || (review === "blocking" && lvl !== 2) ||
            (review === "info" && lvl !== 1) || (review === "none" && lvl !== 0)) { continue; }
      }
      if (focus && !focusTest(r, focus)) { continue; }
      if (terms.length) {
        var h = hay[i], ok = true;
        for (var t = 0; t < terms.length; t++) { if (h.indexOf(terms[t]) < 0) { ok = false; break; } }
        if (!ok) { continue; }
      }
      out.push(i);
    }
    state.matches = out;
    state.page = 0;
    render();
    filterRuns += 1;
    tbody.parentNode.setAttribute("data-filter-runs", String(filterRuns));
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function cell(main, sub) {
    var td = el("td", main);
    if (sub) { td.appendChild(el("span", sub, "sub")); }
    return td;
  }

  function fmt(n) { return n.toLocaleString("en-US"); }

  function renderRow(i) {
    var r = rows[i];
    var tr = document.createElement("tr");
    tr.setAttribute("data-row", String(i));
    var lock = r[col.lockout];
    if (lock) { tr.className = "lockout"; }
    var member = cell(r[col.name] || r[col.email] || "(no Sigma member)", r[col.name] ? r[col.email] : "");
    if (r[col.member_id]) { member.title = "memberId " + r[col.member_id]; }
    tr.appendChild(member);
    tr.appendChild(cell(r[col.sigma_status] || (r[col.member_id] ? "" : "new"), r[col.user_kind]));
    var idp = cell(r[col.user_name] || (r[col.idp_id] ? "" : "(no IdP user)"), r[col.idp_status]);
    if (r[col.idp_id]) { idp.title = "IdP id " + r[col.idp_id]; }
    tr.appendChild(idp);
    tr.appendChild(cell(r[col.link_key]));
    tr.appendChild(cell(r[col.account_type_before]));
    var after = cell(r[col.account_type_after]);
    var change = r[col.type_change];
    if (change === "downgrade") { after.className = "down"; after.title = "downgrade"; }
    else if (change === "upgrade") { after.className = "up"; after.title = "upgrade"; }
    else if (change === "custom_replacement") { after.title = "custom account type replaced"; }
    tr.appendChild(after);
    var acts = el("td");
    r[col.kinds].forEach(function (k) {
      var kind = data.kinds[k];
      var cls = /deactivate|disable_guest|remove_member/.test(kind) ? "chip bad" : "chip";
      var chip = el("span", data.kind_labels[k], cls);
      chip.title = kind;
      acts.appendChild(chip);
    });
    tr.appendChild(acts);
    var rev = el("td");
    r[col.review_items].forEach(function (n) {
      var item = data.reviews[n];  // [id, code, blocking]
      var chip = el("a", item[1] || item[0], item[2] ? "chip bad" : "chip warn");
      chip.href = "#review-" + item[0];
      chip.title = item[0] + (item[2] ? " (blocking)" : "");
      rev.appendChild(chip);
    });
    tr.appendChild(rev);
    var status = r[col.sigma_status];
    var lockCell;
    if (lock) {
      lockCell = el("td", data.lockout_short[lock], "down");
      lockCell.title = data.lockout_labels[lock];
    } else if (r[col.scim_managed]) {
      lockCell = el("td", "SCIM-managed, not in this export", "muted");
      lockCell.title = "Sigma's SCIM state shows the IdP provisioned them; the policy keeps them: they sign in through the IdP";
    } else if (!r[col.member_id]) {
      lockCell = el("td", "new account", "muted");
    } else if (r[col.kinds].indexOf(kindIndex["members.reactivate"]) >= 0) {
      lockCell = el("td", "reactivated", "up");
    } else if (status && status !== "active") {
      lockCell = el("td", "no access already (" + status + ")", "muted");
    } else {
      lockCell = el("td", "keeps access", "muted");
    }
    tr.appendChild(lockCell);
    return tr;
  }

  function render() {
    var total = state.matches.length;
    var pages = Math.max(1, Math.ceil(total / state.size));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * state.size;
    var end = Math.min(total, start + state.size);
    var frag = document.createDocumentFragment();
    for (var n = start; n < end; n++) { frag.appendChild(renderRow(state.matches[n])); }
    tbody.textContent = "";
    if (!total) {
      var tr = el("tr"), td = el("td", "No person matches.", "muted");
      td.colSpan = 9;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    tbody.appendChild(frag);
    info.textContent = (total ? "Showing " + fmt(start + 1) + "\u2013" + fmt(end) + " of " + fmt(total) : "0") +
      " matching (of " + fmt(N) + " people) \u00b7 page " + fmt(state.page + 1) + " of " + fmt(pages);
    buttons.first.disabled = buttons.prev.disabled = state.page === 0;
    buttons.next.disabled = buttons.last.disabled = state.page >= pages - 1;
  }

  function go(page) { state.page = page; render(); }
  buttons.first.addEventListener("click", function () { go(0); });
  buttons.prev.addEventListener("click", function () { go(Math.max(0, state.page - 1)); });
  buttons.next.addEventListener("click", function () { go(state.page + 1); });
  buttons.last.addEventListener("click", function () { go(Math.ceil(state.matches.length / state.size) - 1); });
  sizeSelect.addEventListener("change", function () { state.size = parseInt(sizeSelect.value, 10) || 100; render(); });

  var timer = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(applyFilters, N > 20000 ? 200 : 60);
  });
  [kindSelect, reviewSelect, focusSelect].forEach(function (s) { s.addEventListener("change", applyFilters); });

  var heads = document.querySelectorAll("#people-table th[data-sort]");
  Array.prototype.forEach.call(heads, function (th) {
    th.tabIndex = 0;
    function sortBy() {
      var key = th.getAttribute("data-sort");
      state.sortDir = state.sortKey === key ? -state.sortDir : 1;
      state.sortKey = key;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", state.sortDir === 1 ? "ascending" : "descending");
      state.order = null;
      applyFilters();
    }
    th.addEventListener("click", sortBy);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(); } });
  });

  function reset() {
    searchBox.value = ""; kindSelect.value = ""; reviewSelect.value = ""; focusSelect.value = "";
    applyFilters();
  }
  document.getElementById("filter-reset").addEventListener("click", reset);

  // "show them" buttons of the risk summary: preset the filters and jump to the table.
  Array.prototype.forEach.call(document.querySelectorAll("[data-preset]"), function (b) {
    b.addEventListener("click", function () {
      var preset = b.getAttribute("data-preset");
      searchBox.value = ""; kindSelect.value = ""; reviewSelect.value = ""; focusSelect.value = "";
      if (preset.indexOf("review-") === 0) { reviewSelect.value = preset.slice(7); }
      else { focusSelect.value = preset; }
      applyFilters();
      document.getElementById("people").scrollIntoView();
    });
  });

  // Printing shows closed <details> too.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });

  applyFilters();
  document.documentElement.setAttribute("data-report-ready", "1");
})();
