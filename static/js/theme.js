// Loaded synchronously in <head>: the theme must be on <html> before the first paint.
(function () {
  var stored = null;
  try { stored = localStorage.getItem("switchboard.theme"); } catch (e) { /* storage blocked: follow the system */ }
  var dark = stored ? stored === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
})();
