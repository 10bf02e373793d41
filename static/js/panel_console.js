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
