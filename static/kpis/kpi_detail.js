// Trend chart: actual (bars) vs target (line) over 24 months.
(function () {
  const el = document.getElementById("trend-data");
  const canvas = document.getElementById("trend");
  if (!el || !canvas || !window.Chart) return;
  const data = JSON.parse(el.textContent);
  const scale = data.percent ? 100 : 1;
  const fmt = (v) => (v === null || v === undefined) ? "—" :
    (data.percent ? v.toFixed(1) + "%" : Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(v));
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: "Actual", data: data.actual.map((v) => v === null ? null : v * scale),
          backgroundColor: "rgba(37, 99, 235, 0.75)", borderRadius: 3, order: 2 },
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
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => fmt(v) } }, x: { grid: { display: false } } },
    },
  });
})();
