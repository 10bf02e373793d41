// Dashboard charts: a <canvas data-chart-source="ID"> reads its data from the json_script ID.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("district-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: canvas.dataset.labelActive, data: data.active, backgroundColor: "#0d6efd" },
        { label: canvas.dataset.labelOther, data: data.other, backgroundColor: "#adb5bd" },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } },
      plugins: { legend: { position: "bottom" } },
    },
  });
});

// Self-evaluation progress: <canvas data-progress-chart data-chart-source="ID"> draws one
// stacked bar per district or cluster from {labels, links, series: [{status, label, data}]}
// (self-evaluation statuses, or reviews done and not done in the preliminary review);
// clicking a bar opens the list of that row (the table beside it has the same links).
const PROGRESS_COLOURS = {
  not_started: "#adb5bd",
  in_progress: "#ffc107",
  submitted: "#198754",
  not_participating: "#dc3545",
  reviewed: "#198754",
  remaining: "#adb5bd",
};

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-progress-chart]").forEach((canvas) => {
    const data = JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map((series) => ({
          label: series.label,
          data: series.data,
          backgroundColor: PROGRESS_COLOURS[series.status] || "#6c757d",
        })),
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } },
        plugins: { legend: { position: "bottom" } },
        onClick: (event, elements) => {
          if (elements.length && data.links[elements[0].index]) {
            window.location.href = data.links[elements[0].index];
          }
        },
        onHover: (event, elements) => {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    });
  });
});
