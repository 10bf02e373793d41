// Stage 2 dashboards (Chart.js, served from static/vendor). Each <canvas> reads its data from
// the json_script named by its data-chart-source.
//
// <canvas data-score-histogram>: the district's preliminary scores, one bar per 10 points,
//   from {bins: [{from, to, count}], cuts: [{score, label}], label}; a dashed red line marks
//   where group A ends and where group B ends (R4).
// (The city's progress chart per district is a data-progress-chart of charts.js.)
(() => {
  const CUT_COLOUR = "#dc3545";

  function readData(canvas) {
    return JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent);
  }

  // Vertical dashed lines at given x values, with a label at the top.
  const cutLines = {
    id: "cutLines",
    afterDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      // Each label one row lower than the one before, so that close lines stay readable.
      (options.lines || []).forEach((line, index) => {
        const x = scales.x.getPixelForValue(line.value);
        ctx.save();
        ctx.strokeStyle = CUT_COLOUR;
        ctx.fillStyle = CUT_COLOUR;
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.textAlign = "left";
        ctx.fillText(line.label, x + 4, chartArea.top + 12 + index * 14);
        ctx.restore();
      });
    },
  };

  function scoreHistogram(canvas) {
    const data = readData(canvas);
    new Chart(canvas, {
      type: "bar",
      data: {
        datasets: [{
          label: data.label,
          data: data.bins.map((bin) => ({ x: (bin.from + bin.to) / 2, y: bin.count })),
          backgroundColor: "#0d6efd",
          barPercentage: 1,
          categoryPercentage: 0.95,
        }],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { type: "linear", min: 0, max: 100, ticks: { stepSize: 10 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => {
                const bin = data.bins[items[0].dataIndex];
                return `${bin.from}–${bin.to}`;
              },
            },
          },
          cutLines: {
            lines: data.cuts.map((cut) => ({ value: parseFloat(cut.score), label: cut.label })),
          },
        },
      },
      plugins: [cutLines],
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-score-histogram]").forEach(scoreHistogram);
  });
})();
