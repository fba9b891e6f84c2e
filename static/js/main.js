// The dashboard page's entry point: it hands the browser's objects to the
// controller (controller.js), which holds the page's state and decisions,
// and turns the page's events into the controller's calls. Nothing here
// is worth a test of its own.

import { AdminControl, checkToken, crashSource } from "./admin.js";
import { AlertsView } from "./alertsview.js";
import { SeriesCard } from "./cards.js";
import { ChartManager } from "./charts.js";
import { PageController } from "./controller.js";
import { toast } from "./dom.js";
import { NoticeView } from "./notice.js";
import { PageView } from "./page.js";
import { StreamClient } from "./socket.js";
import { SourceGroup } from "./sources.js";
import { SourceHealth } from "./health.js";
import { StatusView } from "./status.js";
import { ThemeSwitch } from "./themes.js";
import { TimelineView } from "./timelineview.js";
import { TreeView } from "./tree.js";
import { WayBack } from "./wayback.js";
import { WholeLines } from "./wholelines.js";

const $ = (id) => document.getElementById(id);

const controller = new PageController({
  location,
  history,
  session: sessionStorage,
  local: localStorage,
  socket: (opts) => new StreamClient(opts),
  charts: (opts) => new ChartManager(opts),
  admin: (onChange) =>
    new AdminControl({
      button: $("admin-toggle"),
      form: $("admin-form"),
      input: $("admin-token"),
      hint: $("admin-hint"),
      signed: $("admin-signed"),
      forget: $("admin-forget"),
      storage: sessionStorage,
      onChange,
    }),
  group: (name, opts) => new SourceGroup(name, opts),
  card: (st, opts) => new SeriesCard(st, opts),
  tree: new TreeView($("tree"), { onActivate: (name) => controller.revealSource(name) }),
  timeline: new TimelineView({ list: $("timeline"), filter: $("tl-source"), count: $("tl-count") }, (name) => controller.setTimelineSource(name)),
  health: (group) => new SourceHealth(group),
  alerts: new AlertsView({ list: $("alerts"), count: $("al-count") }, (name) => controller.revealSource(name)),
  status: new StatusView({ pill: $("conn"), text: $("conn-text"), banner: $("stale"), bannerText: $("stale-text"), mini: $("to-top"), miniText: $("to-top-text") }),
  notices: new NoticeView($("notices")),
  page: new PageView(document, {
    onWindow: (name) => controller.selectWindow(name),
    onRange: (name) => controller.selectRange(name),
    onCustom: (from, to) => controller.setCustomRange(from, to),
    onJump: (name) => controller.revealSource(name),
    onFilter: (text) => controller.filterTyped(text),
  }),
  requestFrame: (fn) => requestAnimationFrame(fn),
  setInterval: (fn, ms) => setInterval(fn, ms),
  crash: (name, token) => crashSource(name, token),
  checkAdmin: (token) => checkToken(token),
  toast,
});

$("pause").addEventListener("click", () => controller.togglePause());
$("hide-zero").addEventListener("click", () => controller.setHideZero(!controller.hideZero));
$("retry").addEventListener("click", () => controller.retryNow());
$("conn").addEventListener("click", () => controller.goLive());
// The folded (or phone) tree shown again replays no pulse of while it was hidden.
$("tree-toggle").addEventListener("click", () => controller.deps.tree.settle());
addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && controller.zoom) controller.goLive();
});
new ThemeSwitch({
  button: $("theme"),
  label: $("theme-label"),
  root: document.documentElement,
  media: matchMedia("(prefers-color-scheme: dark)"),
  prefs: controller.prefs,
  onChange: () => controller.charts.rethemed(),
});
new WayBack({ skip: $("skip"), target: $("groups"), top: $("to-top"), header: $("topbar") }, window);
// The sidebar's scrolling lists end between two lines, never through one.
for (const id of ["alerts", "timeline"]) new WholeLines($(id), window);
// A hidden tab draws nothing; shown again, it catches up (and reconnects).
document.addEventListener("visibilitychange", () => controller.setTabHidden(document.visibilityState === "hidden"));
controller.setTabHidden(document.visibilityState === "hidden");
addEventListener("online", () => controller.retryNow());

controller.start();
