/* Maturity radar (latest internal vs partner view) and trend (average score per assessment). */
(function () {
  const source = document.getElementById("maturity-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const internalColor = "#2563eb", partnerColor = "#f59e0b";

  const radar = document.getElementById("maturity-radar");
  if (radar) {
    new Chart(radar, {
      type: "radar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Internal view", data: data.internal, borderColor: internalColor,
            backgroundColor: "rgba(37,99,235,.15)", pointBackgroundColor: internalColor, spanGaps: true },
          { label: "Partner view", data: data.partner, borderColor: partnerColor,
            backgroundColor: "rgba(245,158,11,.15)", pointBackgroundColor: partnerColor, spanGaps: true },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { r: { min: 0, max: 5, ticks: { stepSize: 1, backdropColor: "transparent" },
                       pointLabels: { font: { size: 10 } } } },
        layout: { padding: 0 },
        plugins: { legend: { position: "bottom" }, title: { display: true, text: "Latest scores by dimension" } },
      },
    });
  }

  const trend = document.getElementById("maturity-trend");
  if (trend) {
    const fmt = (month) => new Date(month + "-01T00:00:00Z").toLocaleDateString("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.months.map(fmt),
        datasets: [
          { label: "Internal", data: data.trend.internal, borderColor: internalColor,
            backgroundColor: internalColor, spanGaps: true, tension: 0.25 },
          { label: "Partner", data: data.trend.partner, borderColor: partnerColor,
            backgroundColor: partnerColor, spanGaps: true, tension: 0.25 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { min: 1, max: 5, ticks: { stepSize: 1 }, title: { display: true, text: "Average score (1–5)" } } },
        plugins: { legend: { position: "bottom" }, title: { display: true, text: "Maturity over time" } },
      },
    });
  }
})();
