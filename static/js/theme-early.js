// Loaded as a classic script in the page's head, before the body is
// drawn, so that the chosen theme is in place at the first paint (the
// modules run later). It reads the reader's choice (localStorage, as
// prefs.js keeps it: "auto", "light" or "dark") and sets <html
// data-theme> to the theme in force; with "auto" it follows the OS. The
// switch in the header is themes.js.
(function () {
  var choice = "auto";
  try {
    choice = JSON.parse(localStorage.getItem("pulseboard.ui") || "{}").theme || "auto";
  } catch (e) {
    // Storage refused or garbage: follow the OS.
  }
  var dark = matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    var c = document.documentElement.dataset.themeChoice || choice;
    document.documentElement.dataset.theme = c === "light" || c === "dark" ? c : dark.matches ? "dark" : "light";
  }
  document.documentElement.dataset.themeChoice = choice;
  apply();
  dark.addEventListener("change", apply);
})();
