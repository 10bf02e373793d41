// The indicator form of the self-evaluation. htmx posts it (see its hx-trigger: 2 s after
// typing stops, every 20 s, and the Save button); this script keeps that from posting a form
// nobody changed, stops autosaving after a conflict (the other tab's answer is never written
// over), shows the upload progress, and sends a last save as the page closes, so at most a
// few seconds of typing can be lost.
(() => {
  const form = document.querySelector("form[data-autosave]");
  let edits = 0; // changes typed so far
  let sent = 0; // changes carried by the request in flight

  function showStatus(text, state) {
    const box = document.getElementById("save-status");
    if (!box || !text) return;
    const span = document.createElement("span");
    span.dataset.state = state;
    span.className = state === "failed" ? "text-danger" : "text-muted";
    span.textContent = text;
    box.replaceChildren(span);
  }

  if (form) {
    form.addEventListener("input", () => {
      edits += 1;
      form.dataset.dirty = "1";
      if (form.dataset.conflict !== "1") showStatus(form.dataset.msgUnsaved, "pending");
    });

    form.addEventListener("htmx:beforeRequest", (event) => {
      if (event.detail.elt !== form) return;
      const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
      const asked = trigger && trigger.type === "submit";
      if (form.dataset.conflict === "1" || (!asked && form.dataset.dirty !== "1")) {
        event.preventDefault();
        return;
      }
      sent = edits;
      showStatus(form.dataset.msgSaving, "pending");
    });

    form.addEventListener("htmx:afterRequest", (event) => {
      if (event.detail.elt !== form) return;
      const code = event.detail.xhr ? event.detail.xhr.status : 0;
      if (code === 409) {
        form.dataset.conflict = "1";
        return;
      }
      if (event.detail.successful) {
        if (edits === sent) form.dataset.dirty = "";
      } else if (code !== 400 && code !== 422) {
        showStatus(form.dataset.msgFailed, "failed"); // still dirty: the next tick retries
      }
    });

    window.addEventListener("pagehide", () => {
      if (form.dataset.dirty !== "1" || form.dataset.conflict === "1") return;
      const data = new FormData(form);
      data.append("beacon", "1");
      navigator.sendBeacon(form.action, data);
    });
    // Back from the browser's page cache the revision may be stale: load the page again.
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) window.location.reload();
    });
  }

  // A refused save (conflict, invalid score, stale page) carries the reason: show it.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    // Redirected elsewhere (the session ended: the login page): never put that page in ours.
    const requested = event.detail.requestConfig && event.detail.requestConfig.path;
    if (xhr.responseURL && requested
        && new URL(xhr.responseURL).pathname !== new URL(requested, window.location).pathname) {
      event.detail.shouldSwap = false;
      if (form && event.detail.elt === form) showStatus(form.dataset.msgLogin, "failed");
      return;
    }
    const code = xhr.status;
    if (code === 400 || code === 409 || code === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:xhr:progress", (event) => {
    const upload = event.target.closest && event.target.closest("form[data-upload]");
    if (!upload || !event.detail.lengthComputable) return;
    const bar = upload.querySelector("[data-upload-progress]");
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded * 100) / event.detail.total);
  });
})();
