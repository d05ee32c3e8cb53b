// Draws each dashboard chart from its JSON (written by the server with json_script; the CSP
// forbids inline scripts). Hidden small counts arrive as null and show as a gap, read "< 5".
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return; // the tables below each chart still say it all
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) continue;
    const spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d) => ({ ...d, spanGaps: false })),
      },
      options: {
        responsive: true,
        animation: false,
        plugins: {
          tooltip: {
            callbacks: {
              label: (ctx) => `${ctx.dataset.label}: ${ctx.raw === null ? "< 5" : ctx.formattedValue}`,
            },
          },
        },
        scales: { y: { beginAtZero: true } },
      },
    });
  }
});
