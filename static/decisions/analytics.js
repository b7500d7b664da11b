// Decision latency charts (Chart.js 4). Data comes from the page's json_script block.
(function () {
  const node = document.getElementById("latency-data");
  if (!node || typeof Chart === "undefined") return;
  const data = JSON.parse(node.textContent);
  const rows = data.rows.slice(0, 15);
  const labels = rows.map((r) => r.key);
  const blue = "#2563eb", sky = "#93c5fd", green = "#16a34a", red = "#dc2626", amber = "#f59e0b";
  const base = { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } };

  new Chart(document.getElementById("latency-chart"), {
    type: "bar",
    data: { labels, datasets: [
      { label: "Median h", data: rows.map((r) => r.median_hours), backgroundColor: blue },
      { label: "p90 h", data: rows.map((r) => r.p90_hours), backgroundColor: sky },
    ] },
    options: { ...base, indexAxis: "y", scales: { x: { beginAtZero: true, title: { display: true, text: "hours" } },
      y: { ticks: { autoSkip: false, font: { size: 11 } } } } },
  });

  new Chart(document.getElementById("stage-chart"), {
    type: "bar",
    data: { labels: data.stages.map((s) => s.label), datasets: [
      { label: "Median h", data: data.stages.map((s) => s.median_hours), backgroundColor: [sky, amber, blue] },
      { label: "p90 h", data: data.stages.map((s) => s.p90_hours), backgroundColor: "#cbd5e1" },
    ] },
    options: { ...base, scales: { y: { beginAtZero: true, title: { display: true, text: "hours" } } } },
  });

  new Chart(document.getElementById("sla-chart"), {
    type: "bar",
    data: { labels, datasets: [
      { label: "% within SLA", data: rows.map((r) => r.within_sla_pct), backgroundColor: green },
      { label: "% escalated", data: rows.map((r) => r.escalation_rate_pct), backgroundColor: red },
    ] },
    options: { ...base, scales: { y: { beginAtZero: true, max: 100 }, x: { ticks: { autoSkip: false, font: { size: 10 } } } } },
  });
})();
