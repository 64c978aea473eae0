// The portal's behaviour, without inline script: live updates, relative times, and on the overview the
// filters (as you type, no reload), the cards/table switch and table sorting. Without JavaScript every
// page still works: the filter form submits and the server filters the same way.
"use strict";

// Search words: runs of letters and digits; a typed word must begin a word (homelab/portal/search.py).
const words = (text) => (text.toLowerCase().match(/[a-z0-9]+/g) || []);
const matchesWords = (query, haystack) => query.every((w) => ` ${haystack}`.includes(` ${w}`));

function ago(iso) {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (Number.isNaN(seconds)) return null;
  if (seconds < 0) return "in the future";
  for (const [size, unit] of [[86400, "day"], [3600, "h"], [60, "min"]]) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return `${n} ${unit}${unit === "day" && n > 1 ? "s" : ""} ago`;
    }
  }
  return "just now";
}

function refreshTimes() {
  for (const t of document.querySelectorAll("time[datetime]")) {
    const text = ago(t.getAttribute("datetime"));
    if (text && t.textContent !== text) t.textContent = text;
  }
}

// ---- overview: filters, layout switch, sorting ----
const overview = {
  search: null, layer: null, state: null,
  init() {
    this.search = document.getElementById("search");
    if (!this.search) return false;
    this.layer = document.getElementById("layer");
    this.state = document.getElementById("state");
    const form = document.getElementById("filters");
    form.addEventListener("submit", (event) => { event.preventDefault(); this.apply(true); });
    this.search.addEventListener("input", () => this.apply(true));
    for (const select of [this.layer, this.state]) select.addEventListener("change", () => this.apply(true));
    document.getElementById("apply").hidden = true;  // filters apply as you type or choose
    document.addEventListener("click", (event) => {  // delegated: live updates replace these links
      const link = event.target.closest("[data-filter-state]");
      if (!link) return;
      event.preventDefault();
      this.state.value = link.dataset.filterState;
      this.apply(true);
      this.state.focus();
    });
    const clear = document.getElementById("clear");
    clear.addEventListener("click", (event) => {
      event.preventDefault();
      this.search.value = ""; this.layer.value = ""; this.state.value = "";
      this.apply(true);
    });
    document.getElementById("show-cards").addEventListener("click", () => this.layout("cards", true));
    document.getElementById("show-table").addEventListener("click", () => this.layout("table", true));
    for (const button of document.querySelectorAll("th button[data-sort]")) {
      button.addEventListener("click", () => this.sort(button));
    }
    const params = new URLSearchParams(location.search);
    this.layout(params.get("view") === "table" ? "table" : "cards", false);
    this.apply(false);
    return true;
  },
  layout(kind, remember) {
    document.getElementById("cards-view").hidden = kind !== "cards";
    document.getElementById("table-view").hidden = kind !== "table";
    document.getElementById("show-cards").setAttribute("aria-pressed", String(kind === "cards"));
    document.getElementById("show-table").setAttribute("aria-pressed", String(kind === "table"));
    if (remember) this.remember();
  },
  remember() {
    const params = new URLSearchParams();
    if (this.search.value.trim()) params.set("q", this.search.value.trim());
    if (this.layer.value) params.set("layer", this.layer.value);
    if (this.state.value) params.set("state", this.state.value);
    if (!document.getElementById("table-view").hidden) params.set("view", "table");
    const query = params.toString();
    history.replaceState(null, "", query ? `/?${query}` : "/");
  },
  visible(card) {
    const query = words(this.search.value);
    const states = (card.dataset.states || "").split(" ");
    if (this.layer.value && card.dataset.layer !== this.layer.value) return false;
    if (this.state.value === "warning" ? !card.dataset.warning : this.state.value && !states.includes(this.state.value)) {
      return false;
    }
    return matchesWords(query, card.dataset.words || "");
  },
  apply(remember) {
    let shown = 0;
    const cards = document.querySelectorAll("article.card");
    const perLayer = {};
    for (const card of cards) {
      const visible = this.visible(card);
      card.hidden = !visible;
      const row = document.getElementById(`row-${card.dataset.name}`);
      if (row) row.hidden = !visible;
      if (visible) { shown += 1; perLayer[card.dataset.layer] = (perLayer[card.dataset.layer] || 0) + 1; }
    }
    const filtering = Boolean(this.search.value.trim() || this.layer.value || this.state.value);
    for (const cat of document.querySelectorAll("section.category")) {
      const hasCards = cat.querySelector("article.card") !== null;
      cat.hidden = filtering && (!hasCards || cat.querySelector("article.card:not([hidden])") === null);
    }
    for (const layer of document.querySelectorAll("details.layer")) {
      const n = perLayer[layer.dataset.layer] || 0;
      layer.hidden = filtering && n === 0;
      layer.querySelector("[data-count]").textContent = `${n} system${n === 1 ? "" : "s"}`;
      const jump = document.querySelector(`[data-jump="${layer.dataset.layer}"] .count`);
      if (jump) jump.textContent = String(n);
    }
    document.getElementById("shown").textContent = `${shown} of ${cards.length} systems shown`;
    document.getElementById("no-results").hidden = shown > 0 || cards.length === 0;
    if (remember) this.remember();
  },
  sort(button) {
    const th = button.closest("th");
    const key = button.dataset.sort;
    const descending = th.getAttribute("aria-sort") === "ascending";
    for (const other of document.querySelectorAll("th[aria-sort]")) other.setAttribute("aria-sort", "none");
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const value = (row) => {
      if (key === "layer") return Number(row.dataset.order);
      if (key === "wave") return Number(row.dataset.wave);
      if (key === "name") return row.querySelector("a").textContent.toLowerCase();
      return (row.dataset[key] || "").toLowerCase();
    };
    const body = document.querySelector("#systems tbody");
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      const order = x < y ? -1 : x > y ? 1 : Number(a.dataset.order) - Number(b.dataset.order);
      return descending ? -order : order;
    });
    body.append(...rows);
  },
};

// ---- live: ask for this page again with its ETag; a 304 means nothing changed ----
const live = {
  every: 2000,
  async poll() {
    const main = document.getElementById("main");
    try {
      const answer = await fetch(location.href, { headers: { "If-None-Match": main.dataset.etag, Accept: "text/html" },
                                                  cache: "no-store", credentials: "same-origin" });
      if (answer.status === 200) this.swap(await answer.text(), answer.headers.get("etag"));
      document.getElementById("live-note").textContent = "";
    } catch (error) {
      document.getElementById("live-note").textContent = "portal unreachable: showing the last state";
    }
    setTimeout(() => this.poll(), this.every);
  },
  swap(html, etag) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const main = document.getElementById("main");
    for (const part of fresh.querySelectorAll("[data-live][id]")) {
      const old = document.getElementById(part.id);
      if (!old) continue;
      const focused = old.contains(document.activeElement);
      const openDetails = Array.from(old.querySelectorAll("details[open]"), (d) => d.querySelector("summary").textContent);
      const adopted = document.importNode(part, true);
      if (old.hidden) adopted.hidden = true;
      for (const d of adopted.querySelectorAll("details")) {
        if (openDetails.includes(d.querySelector("summary").textContent)) d.open = true;
      }
      old.replaceWith(adopted);
      if (focused) adopted.querySelector("a, button, summary")?.focus();
    }
    for (const box of fresh.querySelectorAll(".drawing [data-name][data-state]")) {
      for (const mine of document.querySelectorAll(`.drawing [data-name="${box.dataset.name}"]`)) {
        mine.dataset.state = box.dataset.state;
      }
    }
    main.dataset.etag = etag || fresh.getElementById("main")?.dataset.etag || main.dataset.etag;
    document.dispatchEvent(new Event("portal:updated"));
    refreshTimes();
  },
};

document.addEventListener("DOMContentLoaded", () => {
  if (overview.init()) document.addEventListener("portal:updated", () => overview.apply(false));
  refreshTimes();
  setInterval(refreshTimes, 30000);
  setTimeout(() => live.poll(), live.every);
});
