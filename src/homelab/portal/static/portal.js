// Filters the overview as you type (the form still works without JavaScript).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const search = document.getElementById("search");
  if (!search) return;
  const cards = Array.from(document.querySelectorAll("article.card"));
  const categories = Array.from(document.querySelectorAll("section.category"));
  const noResults = document.getElementById("no-results");
  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const card of cards) {
      const text = card.dataset.text || "";
      const visible = words.every((w) => text.includes(w));
      card.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const cat of categories) {
      const any = cat.querySelector("article.card:not([hidden])");
      cat.classList.toggle("filtered-out", words.length > 0 && !any);
    }
    noResults.hidden = shown > 0 || cards.length === 0;
  };
  search.addEventListener("input", apply);
  for (const id of ["layer", "state"]) {
    document.getElementById(id).addEventListener("change", () => search.form.submit());
  }
});
