// Confirmation before irreversible actions: <form data-confirm="question?">.
// A double click submits once: the form's buttons are disabled right after the first submit
// (after a tick, so the clicked button's own name and value are still sent).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  const question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  const buttons = form.querySelectorAll("button[type=submit]");
  setTimeout(() => buttons.forEach((b) => b.setAttribute("disabled", "")), 0);
  // Re-enable if the page stays (e.g. a download or a failed request).
  setTimeout(() => {
    form.dataset.submitted = "";
    buttons.forEach((b) => b.removeAttribute("disabled"));
  }, 5000);
}, true);
