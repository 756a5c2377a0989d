// Figures open at full resolution when clicked or tapped (readable on a phone), in a new tab.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("main figure img")) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.currentSrc || img.src;
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure at full size";
    link.className = "trustmodels-figure-link";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
