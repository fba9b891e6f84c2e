// Placeholder client: opens the stream, follows its sequence and shows that
// the page runs under the Content-Security-Policy (no inline code anywhere).
// The full dashboard replaces this file.

const params = new URLSearchParams(location.search);
const admin = params.get("admin");
if (admin) {
  // Keep the admin token for this tab's API calls, and out of the address bar.
  sessionStorage.setItem("pulseboard.admin", admin);
}
if (params.has("admin") || params.has("token")) {
  history.replaceState(null, "", location.pathname);
}

const $ = (id) => document.getElementById(id);
let lastSeq = 0;
let messages = 0;
let series = 0;
let backoff = 500;

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const resume = lastSeq > 0 ? `?resume=${lastSeq}` : "";
  const ws = new WebSocket(`${scheme}//${location.host}/ws${resume}`);
  ws.onopen = () => {
    backoff = 500;
    $("status").textContent = "open";
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    messages++;
    if (msg.type === "snapshot") {
      series = (msg.series || []).length;
      lastSeq = msg.seq;
    } else if (msg.type === "delta") {
      series += (msg.added || []).length - (msg.removed || []).length;
      lastSeq = msg.seq;
    }
    $("seq").textContent = String(lastSeq);
    $("series").textContent = String(series);
    $("messages").textContent = String(messages);
    document.body.dataset.stream = msg.type;
  };
  ws.onclose = (ev) => {
    $("status").textContent = `closed (${ev.code}), reconnecting`;
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

connect();
