// Reviewer workstation: keyboard shortcuts and time-on-task (served from /static: the CSP allows no inline script).
(function () {
  const loaded = Date.now();
  const clip = document.getElementById("clip");
  const form = document.getElementById("label-form");
  if (clip) clip.addEventListener("contextmenu", (ev) => ev.preventDefault());  // no "save audio as…"
  if (form) form.addEventListener("submit", () => { document.getElementById("seconds").value = ((Date.now() - loaded) / 1000).toFixed(1); });
  document.addEventListener("keydown", (ev) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && form) { ev.preventDefault(); form.requestSubmit(); return; }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const click = (id) => { const el = document.getElementById(id); if (el) { ev.preventDefault(); el.click(); } };
    if (ev.key === "p" && clip) { ev.preventDefault(); clip.paused ? clip.play() : clip.pause(); }
    else if (ev.key === "r" && clip) { ev.preventDefault(); clip.currentTime = 0; clip.play(); }
    else if (ev.key === "x") { ev.preventDefault(); const c = document.getElementById("category"); if (c) c.focus(); }
    else if (ev.key === "e") { ev.preventDefault(); const b = document.getElementById("escalate-box"); if (b) { b.open = true; document.getElementById("reason").focus(); } }
    else if (ev.key === "s") click("skip");
    else if (ev.key === "n") click("next");
  });
})();
