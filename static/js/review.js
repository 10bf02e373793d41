// The review of one report. htmx posts each claim form (its Save button) and swaps in the
// answer: the form again and, out of band, the live total. This script
// - disables the score of a claim marked "not supported" (R3: it scores nothing; the server
//   ignores it anyway, so the page also works without this script);
// - lets a refused save (conflict 409, refusal 422, stale page 400) show its reason in place;
// - never puts another page (the login page after the session ended) into this one, and
//   says when a save did not reach the server;
// - loads an evidence preview only when its box is opened.
(() => {
  function syncScore(form) {
    const chosen = form.querySelector("[data-claim-verdict]:checked");
    const ignored = chosen !== null && chosen.value === "not_supported";
    const score = form.querySelector("[data-claim-score]");
    if (score) score.disabled = ignored;
    const note = form.querySelector("[data-score-ignored]");
    if (note) note.hidden = !ignored;
  }

  function init(root) {
    if (root.matches && root.matches("[data-claim-form]")) syncScore(root);
    root.querySelectorAll("[data-claim-form]").forEach(syncScore);
  }

  // A save that did not reach the server: say so in the claim's form, keeping what was typed.
  function showStatus(form, message) {
    if (!form || !form.matches || !form.matches("[data-claim-form]")) return;
    const box = form.querySelector("[data-claim-status]");
    if (!box || !form.dataset[message]) return;
    const span = document.createElement("span");
    span.className = "text-danger";
    span.dataset.state = "failed";
    span.textContent = form.dataset[message];
    box.replaceChildren(span);
  }

  document.addEventListener("htmx:sendError", (event) => showStatus(event.detail.elt, "msgFailed"));

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!target.matches || !target.matches("[data-claim-verdict]")) return;
    const form = target.closest("[data-claim-form]");
    if (form) syncScore(form);
  });

  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:load", (event) => init(event.target));

  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    const requested = event.detail.requestConfig && event.detail.requestConfig.path;
    if (xhr.responseURL && requested
        && new URL(xhr.responseURL).pathname !== new URL(requested, window.location).pathname) {
      event.detail.shouldSwap = false;
      showStatus(event.detail.elt, "msgLogin");
      return;
    }
    if (xhr.status === 400 || xhr.status === 409 || xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("toggle", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("details[data-preview]") || !box.open) return;
    box.querySelectorAll("[data-src]").forEach((element) => {
      element.setAttribute("src", element.dataset.src);
      element.removeAttribute("data-src");
    });
  }, true);
})();
