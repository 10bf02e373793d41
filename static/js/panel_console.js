// The panel console's calibration chart: <canvas data-calibration-chart data-chart-source="ID">
// draws one bar per expert from {labels, data, label} (the mean gap of its scores to the
// panel scores: above zero lenient, below strict). The table beside it has the same figures.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-calibration-chart]").forEach((canvas) => {
    const data = JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.label,
          data: data.data,
          backgroundColor: data.data.map((value) => (value >= 0 ? "#0d6efd" : "#dc3545")),
        }],
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
      },
    });
  });
});

// The one reopen form of the console (<details data-reopen>, hidden until a score is chosen):
// a submitted score's cell links to the page with ?reopen=<id>, which shows the form filled
// without JavaScript; here the click fills it in place from the cell (data-score, its total,
// its row's institution and its column's expert) and moves the focus to the reason.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("details[data-reopen]");
  if (!box) return;
  const score = box.querySelector("[data-reopen-score]");
  const what = box.querySelector("[data-reopen-what]");
  const reason = box.querySelector("input[name=reason]");
  document.querySelectorAll("table[data-reopen-table]").forEach((table) => {
    table.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-score]");
      if (!link || !table.contains(link)) return;
      event.preventDefault();
      const cell = link.closest("td");
      const row = cell.parentElement;
      const header = table.tHead.rows[0].cells[cell.cellIndex];
      const fill = {
        total: link.firstChild.nodeValue.trim(), // then the hidden "Reopen" of the link
        expert: header ? header.dataset.expert || "" : "",
        institution: row.cells[0].textContent.trim(),
      };
      score.value = link.dataset.score;
      what.textContent = what.dataset.template.replace(/\{(total|expert|institution)\}/g,
        (_match, key) => fill[key]);
      box.hidden = false;
      box.open = true;
      box.scrollIntoView({ block: "nearest" });
      reason.focus();
    });
  });
});
