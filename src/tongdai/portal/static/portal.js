// tongdai portal: small enhancements over server-rendered forms (every form also works without this).
"use strict";

function show(el, on) {
  el.hidden = !on;
  el.querySelectorAll("input, select").forEach((input) => { input.disabled = !on; });
}

function hotlineForm(form) {
  const typeOf = () => {
    const checked = form.querySelector('input[name="number_type"]:checked');
    return checked ? checked.value : (form.querySelector('input[name="number_type"]') || {}).value;
  };
  const outbound = form.querySelector('input[name="outbound_enabled"]');
  const reason = form.querySelector("[data-virtual-reason]");
  const groupsBox = form.querySelector("[data-groups]");
  const ivr = form.querySelector('input[name="ivr_enabled"]');
  const available = form.querySelector("[data-available]");

  function sync() {
    const virtual = typeOf() === "virtual";
    form.querySelectorAll("[data-when-type]").forEach((el) => show(el, el.dataset.whenType === typeOf()));
    if (outbound) {
      if (virtual) { outbound.checked = false; }
      outbound.disabled = virtual;
      if (reason) { reason.hidden = !virtual; }
    }
    const mode = form.querySelector('input[name="groups_mode"]:checked');
    if (groupsBox) {
      groupsBox.querySelectorAll("input").forEach((box) => { box.disabled = !mode || mode.value !== "selected"; });
    }
    if (ivr) {
      form.querySelectorAll("[data-when-ivr]").forEach((el) => {
        el.hidden = (el.dataset.whenIvr === "on") !== ivr.checked;
      });
    }
  }

  async function refreshNumbers() {
    if (!available) { return; }
    const country = form.querySelector('[name="country"]').value;
    const lineType = form.querySelector('[name="line_type"]').value;
    const response = await fetch(`/hotlines/available-numbers?country=${encodeURIComponent(country)}` +
                                 `&line_type=${encodeURIComponent(lineType)}`, {credentials: "same-origin"});
    if (response.ok) { available.innerHTML = await response.text(); }
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "country" || name === "line_type") { refreshNumbers(); }
    sync();
  });
  sync();
}

function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return minutes >= 60 ? `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${seconds}`
                       : `${minutes}:${seconds}`;
}

// The wallboard: the event stream says something changed; the board is fetched again, at most once a
// second. Its clocks tick here, in the browser.
function liveBoard(box) {
  let skew = 0;
  let last = 0;
  let timer = null;
  function measureSkew() {
    const boards = box.querySelector("[data-now]");
    if (boards) { skew = Number(boards.dataset.now) - Date.now(); }
  }
  function tick() {
    const now = Date.now() + skew;
    box.querySelectorAll("[data-since-ms]").forEach((el) => {
      el.textContent = duration(now - Number(el.dataset.sinceMs));
    });
  }
  async function refresh() {
    timer = null;
    last = Date.now();
    const response = await fetch(box.dataset.liveBoard, {credentials: "same-origin"});
    if (response.ok) {
      box.innerHTML = await response.text();
      measureSkew();
      tick();
    }
  }
  function changed() {
    if (timer !== null) { return; }
    timer = setTimeout(refresh, Math.max(0, 1000 - (Date.now() - last)));
  }
  measureSkew();
  tick();
  setInterval(tick, 1000);
  const events = new EventSource(box.dataset.events);
  events.onmessage = changed;
  ["call.queued", "call.offered", "call.answered", "call.ended", "call.abandoned", "call.ringing",
   "call.started", "call.ivr_left", "call.answer_time_exceeded", "call.wrap_up_ended",
   "agent.status_changed"].forEach((type) => events.addEventListener(type, changed));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("[data-hotline-form]").forEach(hotlineForm);
  document.querySelectorAll("[data-live-board]").forEach(liveBoard);
});
