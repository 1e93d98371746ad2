// Small page helpers, served from /static because the CSP allows no inline script.
document.addEventListener("click", (ev) => {
  const back = ev.target.closest && ev.target.closest("a[data-back]");
  if (back && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
});
