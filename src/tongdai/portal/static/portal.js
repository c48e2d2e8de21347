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
});
