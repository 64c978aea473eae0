// Zoom and pan for the server-drawn diagrams (inline SVG): the buttons, Ctrl + wheel, dragging and the
// keyboard change the SVG's viewBox; "full screen" shows one diagram alone.
"use strict";
function zoomable(section) {
  const holder = section.querySelector(".drawing");
  const svg = holder && holder.querySelector("svg");
  if (!svg) return;
  const home = svg.getAttribute("viewBox").split(/[\s,]+/).map(Number);
  let box = home.slice();
  const show = () => svg.setAttribute("viewBox", box.map((n) => n.toFixed(1)).join(" "));
  const zoom = (factor, cx = 0.5, cy = 0.5) => {
    const w = Math.min(Math.max(box[2] / factor, home[2] / 20), home[2] * 1.5);
    const h = w * (home[3] / home[2]);
    box = [box[0] + (box[2] - w) * cx, box[1] + (box[3] - h) * cy, w, h];
    show();
  };
  const pan = (dx, dy) => { box[0] += dx * box[2]; box[1] += dy * box[3]; show(); };
  section.querySelector('[data-zoom="in"]').addEventListener("click", () => zoom(1.4));
  section.querySelector('[data-zoom="out"]').addEventListener("click", () => zoom(1 / 1.4));
  section.querySelector('[data-zoom="fit"]').addEventListener("click", () => { box = home.slice(); show(); });
  section.querySelector('[data-zoom="full"]').addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen(); else section.requestFullscreen();
  });
  holder.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !document.fullscreenElement) return;  // a plain wheel scrolls the page
    event.preventDefault();
    const rect = svg.getBoundingClientRect();
    zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, (event.clientX - rect.left) / rect.width,
         (event.clientY - rect.top) / rect.height);
  }, { passive: false });
  let drag = null;
  holder.addEventListener("pointerdown", (event) => {
    if (event.target.closest("a")) return;  // a click on a box opens its component
    drag = { x: event.clientX, y: event.clientY };
    holder.setPointerCapture(event.pointerId);
  });
  holder.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const rect = svg.getBoundingClientRect();
    pan(-(event.clientX - drag.x) / rect.width, -(event.clientY - drag.y) / rect.height);
    drag = { x: event.clientX, y: event.clientY };
  });
  holder.addEventListener("pointerup", () => { drag = null; });
  holder.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] };
    if (event.target !== holder) return;
    if (moves[event.key]) { pan(...moves[event.key]); event.preventDefault(); }
    else if (event.key === "+" || event.key === "=") { zoom(1.4); event.preventDefault(); }
    else if (event.key === "-") { zoom(1 / 1.4); event.preventDefault(); }
    else if (event.key === "0") { box = home.slice(); show(); }
  });
}
document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("section.diagram").forEach(zoomable));
