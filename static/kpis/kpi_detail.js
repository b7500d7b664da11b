// Trend chart: actual (solid line) vs target (dashed) over 24 months. The y-axis fits the data
// (not forced to zero, 10% grace): bars would then mislead by their length, so both are lines.
(function () {
  const el = document.getElementById("trend-data");
  const canvas = document.getElementById("trend");
  if (!el || !canvas || !window.Chart) return;
  const data = JSON.parse(el.textContent);
  const scale = data.percent ? 100 : 1;
  const fmt = (v) => (v === null || v === undefined) ? "—" :
    (data.percent ? v.toFixed(1) + "%" : Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(v));
  window.accordTrendChart = new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "line", label: "Actual", data: data.actual.map((v) => v === null ? null : v * scale),
          borderColor: "rgba(37, 99, 235, 1)", backgroundColor: "rgba(37, 99, 235, 1)", borderWidth: 2,
          pointRadius: 3, tension: 0.2, order: 2 },
        { type: "line", label: "Target", data: data.target.map((v) => v === null ? null : v * scale),
          borderColor: "#0f172a", borderDash: [6, 4], borderWidth: 2, pointRadius: 0, tension: 0.2, order: 1,
          spanGaps: true },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" },
        tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + fmt(ctx.parsed.y) } } },
      scales: { y: { beginAtZero: false, grace: "10%", ticks: { callback: (v) => fmt(v) } },
        x: { grid: { display: false } } },
    },
  });
})();
