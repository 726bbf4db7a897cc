// The ops dashboard: draws the report embedded in the page (#report) with Chart.js.
// After drawing, each canvas gets data-points (its non-zero values) and the body
// data-charts-ready (how many charts), for the browser test.
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report").textContent);
  var COLORS = ["#0f766e", "#2563eb", "#d97706", "#7c3aed", "#b91c1c", "#64748b", "#db2777"];
  // One colour per channel and status, the same in every chart.
  var NAMED = { email: "#0f766e", sms: "#2563eb", whatsapp: "#7c3aed", none: "#94a3b8",
                sent: "#2563eb", delivered: "#0f766e", failed: "#b91c1c", skipped: "#d97706",
                canceled: "#94a3b8" };
  var charts = [];

  function color(i) { return COLORS[i % COLORS.length]; }

  var DAY_MS = 86400000;
  var MOST_DAYS = 731;  // a longer period shows only the days that had messages

  // Every UTC day of the period (a quiet day is on the axis too), and any day of the rows.
  function days(rows, since, until) {
    var seen = {};
    var first = Math.floor(Date.parse(since) / DAY_MS);
    var last = Math.floor((Date.parse(until) - 1) / DAY_MS);
    if (last - first < MOST_DAYS) {
      for (var day = first; day <= last; day += 1) {
        seen[new Date(day * DAY_MS).toISOString().slice(0, 10)] = true;
      }
    }
    rows.forEach(function (row) { seen[row.day] = true; });
    return Object.keys(seen).sort();
  }

  // {key: [value per day]} from per_day rows, summing `value(row)` by `key(row)`.
  function perDay(rows, labels, key, value) {
    var series = {};
    rows.forEach(function (row) {
      var name = key(row);
      if (!series[name]) { series[name] = labels.map(function () { return 0; }); }
      series[name][labels.indexOf(row.day)] += value(row);
    });
    return Object.keys(series).sort().map(function (name, i) {
      return { label: name, data: series[name], backgroundColor: NAMED[name] || color(i) };
    });
  }

  function draw(id, type, labels, datasets, options) {
    var canvas = document.getElementById(id);
    var base = { responsive: true, animation: false, plugins: { legend: { position: "bottom" } } };
    var chart = new Chart(canvas, { type: type, data: { labels: labels, datasets: datasets },
                                    options: Object.assign(base, options || {}) });
    var points = 0;
    datasets.forEach(function (set) {
      set.data.forEach(function (value) { if (Number(value) !== 0) { points += 1; } });
    });
    canvas.dataset.points = String(points);
    charts.push(chart);
  }

  var stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } };
  var rows = report.per_day;
  var labels = days(rows, report.since, report.until);
  var channel = function (row) { return row.channel || "none"; };
  var count = function (row) { return row.messages; };
  draw("chart-by-channel", "bar", labels, perDay(rows, labels, channel, count), stacked);
  draw("chart-by-status", "bar", labels,
       perDay(rows, labels, function (row) { return row.status; }, count), stacked);
  draw("chart-cost", "bar", labels,
       perDay(rows.filter(function (row) { return Number(row.cost_usd) !== 0; }), labels, channel,
              function (row) { return Number(row.cost_usd); }), stacked);

  draw("chart-funnels", "bar", ["Carts", "Win-back", "Reviews", "Coupons"], [
    { label: "reminded / sent / requested / issued", backgroundColor: color(1),
      data: [report.carts.reminded, report.winback.sent, report.reviews.requested,
             report.coupons.issued] },
    { label: "recovered / converted / submitted / redeemed", backgroundColor: color(0),
      data: [report.carts.recovered, report.winback.converted, report.reviews.submitted,
             report.coupons.redeemed] }
  ], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });

  var clicked = {};
  report.messages.forEach(function (row) {
    if (!row.clicks) { return; }
    var seen = clicked[row.kind] || { clicks: 0, messages: 0 };
    seen.clicks += row.clicks;
    seen.messages += row.messages_clicked;
    clicked[row.kind] = seen;
  });
  var clickedKinds = Object.keys(clicked).sort();
  draw("chart-clicks", "bar", clickedKinds, [
    { label: "clicks", backgroundColor: color(0),
      data: clickedKinds.map(function (k) { return clicked[k].clicks; }) },
    { label: "messages clicked", backgroundColor: color(1),
      data: clickedKinds.map(function (k) { return clicked[k].messages; }) }
  ], { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });

  var scores = ["1", "2", "3", "4", "5"];
  draw("chart-csat", "bar", scores, [
    { label: "scores", backgroundColor: scores.map(function (s, i) { return color(i + 2); }),
      data: scores.map(function (s) { return report.csat.distribution[s] || 0; }) }
  ], { plugins: { legend: { display: false } },
       scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });

  var h = report.handoffs;
  draw("chart-handoffs", "bar", ["opened", "closed", "closed by the answer time"], [
    { label: "handoffs", backgroundColor: [color(2), color(0), color(1)],
      data: [h.opened, h.closed, h.closed_by_answer_time] }
  ], { plugins: { legend: { display: false } },
       scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
  draw("chart-handoff-minutes", "bar", ["average", "longest", "answer time promised"], [
    { label: "minutes", backgroundColor: [color(0), color(4), color(5)],
      data: [h.average_minutes_to_close || 0, h.longest_minutes_to_close || 0,
             h.answer_within_minutes || 0] }
  ], { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } });

  document.body.dataset.chartsReady = String(charts.length);
})();
