// tongdai's call widget: a softphone for agents (JsSIP over tongdai's /sip WebSocket; media through
// rtpengine over DTLS-SRTP). Speaks to its embedding page with postMessage (docs/widget.md):
// {source: "tongdai-widget", type: "call.started" | "call.answered" | "call.ended", call: {...}}.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("widget-config").textContent);
  const T = config.text;
  const $ = (selector) => document.querySelector(selector);
  const show = (el, on) => { el.hidden = !on; };
  let ua = null, credential = null, session = null, call = null, timer = null, wrapTimer = null;
  let stateRefresh = null;

  async function request(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: {"X-CSRF-Token": config.csrf, "Content-Type": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const first = (data.errors || [])[0];
      throw new Error((first && first.message) || data.detail || data.title || response.statusText);
    }
    return data;
  }

  function tell(type, extra) {  // the embedding page (a CRM) hears about every call, if tongdai lets it frame us
    if (window.parent === window || !call) return;
    const message = {source: "tongdai-widget", type, call: {...call, ...(extra || {})}};
    for (const origin of config.origins) window.parent.postMessage(message, origin);  // delivered to a match only
  }

  function error(message) {
    const el = $("[data-error]");
    el.textContent = message || "";
    show(el, Boolean(message));
  }

  // -- registration -------------------------------------------------------------------------------

  function registration(state, reason) {
    const el = $("[data-registration]");
    el.dataset.registration = state;
    el.textContent = state === "failed" ? T.failed.replace("{reason}", reason || "") : T[state];
  }

  async function connect() {
    credential = await request("POST", "/widget/credential");
    fillCallers(credential.numbers);
    const socket = new JsSIP.WebSocketInterface(credential.websocket);
    ua = new JsSIP.UA({
      sockets: [socket], uri: credential.uri, authorization_user: credential.authorization_user,
      password: credential.password, realm: credential.realm, register: true, register_expires: 300,
      session_timers: false, user_agent: "tongdai-widget", display_name: credential.name,
    });
    // the switch makes the agent available (or offline) as it registers: the badge follows at once, not
    // only when the event stream (which may have connected after that change) says something
    ua.on("registered", () => { registration("registered"); scheduleRefresh(); });
    ua.on("unregistered", () => { registration("unregistered"); scheduleRefresh(); });
    ua.on("disconnected", () => registration("unregistered"));
    ua.on("registrationFailed", (e) => registration("failed", e.cause));
    ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session, e.request); });
    ua.start();
    // a new credential well before this one expires (it lasts an hour)
    setInterval(renew, 20 * 60 * 1000);
  }

  async function renew() {
    try {
      credential = await request("POST", "/widget/credential");
      ua.set("authorization_user", credential.authorization_user);
      ua.set("password", credential.password);
      fillCallers(credential.numbers);
    } catch (e) {
      registration("failed", e.message);
    }
  }

  function fillCallers(numbers) {
    const select = $("select[name=caller]");
    const chosen = select.value;
    select.replaceChildren();
    for (const n of numbers) {
      const option = document.createElement("option");
      option.value = n.id;
      const label = n.number ? `${n.number} · ${n.name}` : `${n.name} (${T.adaptive})`;
      option.textContent = n.default ? `${label} — ${T.default}` : label;
      option.dataset.default = n.default ? "true" : "false";
      if (n.default && !chosen) option.selected = true;
      select.append(option);
    }
    if (chosen) select.value = chosen;
  }

  // -- calls --------------------------------------------------------------------------------------

  function media(s) {
    const attach = (pc) => pc.addEventListener("track", (ev) => {
      const audio = $("[data-remote-audio]");
      audio.srcObject = ev.streams[0];
      window.tongdaiRemoteStream = ev.streams[0];  // what the tests (and a CRM) can measure
    });
    if (s.connection) attach(s.connection);
    else s.on("peerconnection", (e) => attach(e.peerconnection));
    window.tongdaiSession = s;
  }

  function started(s, details) {
    session = s;
    call = details;
    media(s);
    $("[data-call-number]").textContent = details.number;
    $("[data-call-hotline]").textContent = details.hotline || "";
    $("[data-call-state]").textContent = details.direction === "inbound" ? T.ringing : T.calling;
    $("[data-mute]").textContent = T.mute;
    $("[data-hold]").textContent = T.hold;
    $("[data-timer]").textContent = "00:00";
    show($("[data-call]"), true);
    show($("[data-dial]"), false);
    s.on("progress", () => { if (details.direction !== "inbound") $("[data-call-state]").textContent = T.ringing_out; });
    s.on("confirmed", () => {
      $("[data-call-state]").textContent = T.talking;
      const since = Date.now();
      timer = setInterval(() => {
        const seconds = Math.floor((Date.now() - since) / 1000);
        $("[data-timer]").textContent =
          `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
      }, 250);
      tell("call.answered");
    });
    s.on("hold", () => { $("[data-call-state]").textContent = T.held; $("[data-hold]").textContent = T.unhold; });
    s.on("unhold", () => { $("[data-call-state]").textContent = T.talking; $("[data-hold]").textContent = T.hold; });
    s.on("muted", () => { $("[data-mute]").textContent = T.unmute; });
    s.on("unmuted", () => { $("[data-mute]").textContent = T.mute; });
    const ended = (e) => {
      clearInterval(timer);
      tell("call.ended", {cause: e && e.cause});
      session = null;
      call = null;
      show($("[data-call]"), false);
      show($("[data-incoming]"), false);
      show($("[data-dial]"), true);
      refreshState();
    };
    s.on("ended", ended);
    s.on("failed", ended);
    tell("call.started");
  }

  function place() {
    error("");
    const number = $("input[name=number]").value.replace(/[^0-9+*#]/g, "");
    if (!number || !ua || session) return;
    const caller = $("select[name=caller]").value;
    const s = ua.call(`sip:${number}@${credential.realm}`, {
      mediaConstraints: {audio: true, video: false},
      pcConfig: {iceServers: []},
      extraHeaders: caller ? [`X-Tongdai-Caller: ${caller}`] : [],
    });
    const chosen = $("select[name=caller]").selectedOptions[0];
    started(s, {id: null, direction: "outbound", number, hotline: chosen ? chosen.textContent : ""});
  }

  function incoming(s, req) {
    if (session) {  // one call at a time: busy here
      s.terminate({status_code: 486});
      return;
    }
    const header = (name) => { const v = req.getHeader(name); return v ? decodeURIComponent(v) : ""; };
    const hotlineName = header("X-Tongdai-Hotline-Name");
    const hotlineNumber = header("X-Tongdai-Hotline");
    const number = s.remote_identity.uri.user;
    $("[data-incoming-number]").textContent = number;
    $("[data-incoming-hotline]").textContent = [hotlineNumber, hotlineName].filter(Boolean).join(" · ");
    $("[data-incoming-queue]").textContent = header("X-Tongdai-Queue");
    show($("[data-incoming]"), true);
    started(s, {id: header("X-Tongdai-Call-Id") || null, direction: "inbound", number,
                hotline: $("[data-incoming-hotline]").textContent, queue: header("X-Tongdai-Queue")});
    show($("[data-call]"), false);
    s.on("accepted", () => { show($("[data-incoming]"), false); show($("[data-call]"), true); });
  }

  // -- the agent's state --------------------------------------------------------------------------

  async function refreshState() {
    let data;
    try { data = await request("GET", "/widget/state"); } catch (e) { return; }
    const status = data.status;
    const badge = $("[data-state]");
    badge.className = `state ${status.state}`;
    badge.dataset.state = status.state;
    badge.textContent = T[status.state] + (status.reason ? ` (${status.reason})` : "");
    if (status.state === "away" || status.state === "available") {  // the picker shows what is in force
      $("select[name=status]").value = status.state;
      show($("input[name=reason]"), status.state === "away");
    }
    clearInterval(wrapTimer);
    const wrap = $("[data-wrapup]");
    if (status.state === "wrap_up" && status.wrap_up_until) {
      const skew = Date.parse(data.now) - Date.now();
      const tick = () => {
        const left = Math.max(0, Math.ceil((Date.parse(status.wrap_up_until) - Date.now() - skew) / 1000));
        $("[data-wrapup-left]").textContent = String(left);
      };
      tick();
      wrapTimer = setInterval(tick, 250);
      show(wrap, true);
    } else {
      show(wrap, false);
    }
    const list = $("[data-recent]");
    list.replaceChildren();
    for (const c of data.calls) {
      const li = document.createElement("li");
      const when = new Date(c.started_at).toLocaleString(config.language === "vi" ? "vi-VN" : "en-GB");
      li.textContent = `${T[c.direction] || c.direction} · ${c.number || ""} · ${c.hotline || ""} · ${when}` +
        (c.talk_seconds != null ? ` · ${Math.round(c.talk_seconds)} s` : "");
      li.dataset.call = c.id;
      list.append(li);
    }
    if (!data.calls.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = T.no_calls;
      list.append(li);
    }
  }

  function scheduleRefresh() {  // at most once a second, whatever the event stream says
    if (stateRefresh) return;
    stateRefresh = setTimeout(() => { stateRefresh = null; refreshState(); }, 1000);
  }

  // -- wiring -------------------------------------------------------------------------------------

  $("select[name=status]").addEventListener("change", (e) => {
    show($("input[name=reason]"), e.target.value === "away");
  });
  $("[data-apply-status]").addEventListener("click", async () => {
    error("");
    const status = $("select[name=status]").value;
    try {
      await request("POST", "/widget/status", {status, reason: $("input[name=reason]").value || null});
    } catch (e) { error(e.message); }
    refreshState();
  });
  $("[data-ready]").addEventListener("click", async () => {
    try { await request("POST", "/widget/status", {ready: true}); } catch (e) { error(e.message); }
    refreshState();
  });
  $("[data-call-button]").addEventListener("click", place);
  $("input[name=number]").addEventListener("keydown", (e) => { if (e.key === "Enter") place(); });
  for (const b of document.querySelectorAll("[data-dial-key]")) {
    b.addEventListener("click", () => { $("input[name=number]").value += b.dataset.dialKey; });
  }
  for (const b of document.querySelectorAll("[data-key]")) {
    b.addEventListener("click", () => { if (session) session.sendDTMF(b.dataset.key, {transportType: "RFC2833"}); });
  }
  $("[data-answer]").addEventListener("click", () => {
    if (session) session.answer({mediaConstraints: {audio: true, video: false}, pcConfig: {iceServers: []}});
  });
  $("[data-decline]").addEventListener("click", () => { if (session) session.terminate({status_code: 603}); });
  $("[data-hangup]").addEventListener("click", () => { if (session) session.terminate(); });
  $("[data-mute]").addEventListener("click", () => {
    if (!session) return;
    if (session.isMuted().audio) session.unmute({audio: true}); else session.mute({audio: true});
  });
  $("[data-hold]").addEventListener("click", () => {
    // JsSIP says "hold" at once and re-INVITEs after: the button waits for the other side's answer
    if (!session) return;
    const button = $("[data-hold]");
    const release = () => { clearTimeout(stuck); button.disabled = false; };
    const stuck = setTimeout(release, 10000);
    button.disabled = true;
    const started = session.isOnHold().local ? session.unhold({}, release) : session.hold({}, release);
    if (started === false) release();  // another re-INVITE is under way
  });
  window.addEventListener("beforeunload", () => { if (ua) ua.stop(); });

  const events = new EventSource("/widget/events");
  events.onmessage = scheduleRefresh;
  for (const type of ["agent.status_changed", "call.offered", "call.answered", "call.ended", "call.started"]) {
    events.addEventListener(type, scheduleRefresh);
  }

  refreshState();
  connect().catch((e) => registration("failed", e.message));
})();
