// Draws each diagram's mermaid source as an SVG image. Rendering to a string and showing it as an
// <img> keeps the page's Content-Security-Policy strict: mermaid's own <style> lives inside the
// image, and nothing in an image can run script.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const mermaid = globalThis.mermaid;
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default", htmlLabels: false,
                       flowchart: { htmlLabels: false }, maxTextSize: 500000, maxEdges: 20000 });
  const parser = new DOMParser();
  let index = 0;
  for (const holder of document.querySelectorAll(".drawing")) {
    const source = holder.parentElement.querySelector(".mermaid-source").textContent;
    try {
      const { svg } = await mermaid.render(`diagram-svg-${index++}`, source);
      // mermaid returns HTML serialization (e.g. <br> in labels): parse it as HTML, write it out as XML
      const root = parser.parseFromString(svg, "text/html").querySelector("svg");
      const box = (root.getAttribute("viewBox") || "").split(/\s+/).map(Number);
      if (box.length === 4) {
        root.setAttribute("width", String(Math.ceil(box[2])));
        root.setAttribute("height", String(Math.ceil(box[3])));
      }
      const blob = new Blob([new XMLSerializer().serializeToString(root)], { type: "image/svg+xml" });
      const img = document.createElement("img");
      img.alt = `${holder.dataset.name} diagram`;
      img.className = "diagram-image";
      img.addEventListener("load", () => { holder.dataset.drawn = "true"; });
      img.addEventListener("error", () => { holder.dataset.drawn = "error"; });
      img.src = URL.createObjectURL(blob);
      holder.replaceChildren(img);
    } catch (error) {
      holder.textContent = `could not draw this diagram: ${error.message || error}`;
      holder.dataset.drawn = "error";
    }
  }
});
