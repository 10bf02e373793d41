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
