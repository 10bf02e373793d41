// The district's ranking (R4). Rows move with their arrow buttons, with Alt+ArrowUp /
// Alt+ArrowDown while a row (or anything in it) has the focus, or by dragging their handle
// (HTML5 drag and drop). On submit the order, the reasons and the confirmed ties are written
// into the one hidden "ranking" input as JSON and the rows' own inputs are left out, so the
// form posts a handful of fields whatever the district's size (Django refuses a body of more
// than DATA_UPLOAD_MAX_NUMBER_FIELDS). After every move the places are renumbered, the rows recoloured A/B/C
// from the group sizes the server rendered (data-a/b/c), rows against the score order are
// marked "moved", and the reason inputs that a written reason must fill are highlighted — the
// same rules as scoring.out_of_score_order and scoring.unexplained_inversions.
// Without this script the arrow buttons are submit buttons that the server applies.
(() => {
  const form = document.querySelector("form[data-ranking]");
  if (!form) return;
  const body = form.querySelector("tbody[data-ranking-rows]");
  const live = document.getElementById("ranking-live");
  const dirtyNote = form.querySelector("[data-dirty-note]");
  const a = Number(form.dataset.a);
  const b = Number(form.dataset.b);
  let dirty = false;
  let dragging = null;

  const rows = () => Array.from(body.querySelectorAll("tr[data-pid]"));
  // Scores have two decimals: compare them as whole hundredths, never as floats.
  const cents = (row) => (row.dataset.score === ""
    ? null : Math.round(Number(row.dataset.score) * 100));
  const reasonOf = (row) => {
    const input = row.querySelector("[data-reason]");
    return input ? input.value.trim() : "";
  };
  const groupOf = (place) => {
    if (place <= a) return "A";
    if (place <= a + b) return "B";
    return "C";
  };

  // Part of at least one inversion: above a higher score or below a lower one.
  function movedRows(list) {
    const scored = list.filter((row) => cents(row) !== null);
    const moved = new Set();
    const suffixMax = new Array(scored.length + 1).fill(null);
    for (let k = scored.length - 1; k >= 0; k -= 1) {
      const next = suffixMax[k + 1];
      const s = cents(scored[k]);
      suffixMax[k] = next === null || s > next ? s : next;
    }
    let prefixMin = null;
    scored.forEach((row, k) => {
      const s = cents(row);
      const after = suffixMax[k + 1];
      if ((after !== null && s < after) || (prefixMin !== null && s > prefixMin)) moved.add(row);
      prefixMin = prefixMin === null || s < prefixMin ? s : prefixMin;
    });
    return moved;
  }

  // Among the rows without a reason the scores must not rise down the ranking.
  function rowsNeedingReason(list) {
    const plain = list.filter((row) => !reasonOf(row) && cents(row) !== null);
    const needed = new Set();
    for (let k = 0; k + 1 < plain.length; k += 1) {
      if (cents(plain[k]) < cents(plain[k + 1])) {
        needed.add(plain[k]);
        needed.add(plain[k + 1]);
      }
    }
    return needed;
  }

  function refresh() {
    const list = rows();
    const moved = movedRows(list);
    const needed = rowsNeedingReason(list);
    list.forEach((row, k) => {
      const place = k + 1;
      row.querySelector("[data-place]").textContent = String(place);
      const group = groupOf(place);
      row.dataset.group = group;
      row.querySelector("[data-group-badge]").textContent = group;
      row.querySelector("[data-moved]").hidden = !moved.has(row);
      const input = row.querySelector("[data-reason]");
      if (input) {
        input.classList.toggle("is-invalid", needed.has(row));
        if (needed.has(row)) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
      const up = row.querySelector("[data-move=up]");
      const down = row.querySelector("[data-move=down]");
      if (up) up.disabled = k === 0;
      if (down) down.disabled = k === list.length - 1;
    });
  }

  function markDirty() {
    dirty = true;
    if (dirtyNote) dirtyNote.hidden = false;
  }

  function announce(row) {
    if (!live) return;
    const place = rows().indexOf(row) + 1;
    live.textContent = (form.dataset.msgMoved || "")
      .replace("{name}", row.dataset.name).replace("{place}", String(place));
  }

  function move(row, direction) {
    const target = direction === "up" ? row.previousElementSibling : row.nextElementSibling;
    if (!target) return false;
    const focused = document.activeElement;
    if (direction === "up") body.insertBefore(row, target);
    else body.insertBefore(target, row);
    refresh();
    markDirty();
    announce(row);
    // Moving an element in the document drops its focus in some browsers: keep it.
    if (focused && row.contains(focused) && !focused.disabled) focused.focus();
    else if (focused && row.contains(focused)) {
      (row.querySelector("[data-move]:not([disabled])") || row).focus();
    } else row.focus();
    return true;
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button) return;
    event.preventDefault(); // the script moves the row; the server is asked only on save
    move(button.closest("tr[data-pid]"), button.dataset.move);
  });

  body.addEventListener("keydown", (event) => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    const row = event.target.closest("tr[data-pid]");
    if (!row) return;
    event.preventDefault();
    move(row, event.key === "ArrowUp" ? "up" : "down");
  });

  body.addEventListener("input", (event) => {
    if (event.target.matches("[data-reason]") || event.target.matches("[type=checkbox]")) {
      refresh();
      markDirty();
    }
  });

  // Drag and drop: only the handle is draggable, so that text in the reason inputs can still
  // be selected with the mouse; the whole row is what moves.
  body.addEventListener("dragstart", (event) => {
    const handle = event.target.closest && event.target.closest("[data-handle]");
    if (!handle) return;
    dragging = handle.closest("tr[data-pid]");
    dragging.classList.add("ranking-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragging.dataset.pid);
    event.dataTransfer.setDragImage(dragging, 10, 10);
  });
  // Put the dragged row before or after the row under the pointer (by its upper or lower
  // half): on every dragover, so the rows make room as the pointer moves, and on the drop.
  function placeAt(event) {
    const over = event.target.closest && event.target.closest("tr[data-pid]");
    if (!over || over === dragging) return;
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    const reference = after ? over.nextElementSibling : over;
    if (reference !== dragging && reference !== dragging.nextElementSibling) {
      body.insertBefore(dragging, reference);
      refresh();
    }
  }
  // Both dragenter and dragover must be cancelled for the rows to be a drop target.
  body.addEventListener("dragenter", (event) => {
    if (dragging) event.preventDefault();
  });
  body.addEventListener("dragover", (event) => {
    if (!dragging) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    placeAt(event);
  });
  body.addEventListener("drop", (event) => {
    if (!dragging) return;
    event.preventDefault();
    placeAt(event);
  });
  body.addEventListener("dragend", () => {
    if (!dragging) return;
    const row = dragging;
    dragging = null;
    row.classList.remove("ranking-dragging");
    refresh();
    markDirty();
    announce(row);
  });

  // The entry list of a form is built after its submit event: disabled inputs are left out.
  function writeState() {
    const list = rows();
    const reasons = {};
    list.forEach((row) => {
      const text = reasonOf(row);
      if (text) reasons[row.dataset.pid] = text;
    });
    const ties = list.filter((row) => {
      const box = row.querySelector("[data-tie]");
      return box && box.checked;
    }).map((row) => Number(row.dataset.pid));
    form.querySelector("[data-ranking-state]").value = JSON.stringify({
      order: list.map((row) => Number(row.dataset.pid)), reasons, ties,
    });
    form.querySelectorAll("[data-row-field]").forEach((input) => { input.disabled = true; });
  }

  form.addEventListener("submit", () => {
    writeState();
    dirty = false;
  });
  // Back to a page whose inputs were disabled by a submission (the browser's page cache).
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) enableRows();
  });
  function enableRows() {
    form.querySelectorAll("[data-row-field]").forEach((input) => {
      input.disabled = false;
      input.readOnly = false;
    });
  }
  enableRows();
  window.addEventListener("beforeunload", (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = form.dataset.msgUnsaved || "";
  });

  refresh();
})();
