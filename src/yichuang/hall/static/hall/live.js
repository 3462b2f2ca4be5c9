/* The live hall: polls the site's one cached state and redraws the figures, the windows, the charts, the
   alerts and the bad ratings. New alerts are announced once (aria-live) and flash until acknowledged. */
(function () {
  "use strict";

  var root = document.getElementById("hall-live");
  if (!root) return;
  var feedUrl = root.dataset.feed;
  var poll = parseInt(root.dataset.poll, 10) || 3000;
  var ackUrl = root.dataset.ack; // …/alerts/0/ack/
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value ||
    (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  var seen = {};
  var charts = {};
  var HEAT = {hot: "热", cold: "冷", even: "均衡"};

  function $(id) { return document.getElementById(id); }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function dash(value) { return value === null || value === undefined ? "—" : value; }
  function set(id, text) { var el = $(id); if (el && el.textContent !== String(text)) el.textContent = text; }

  function totals(state) {
    var t = state.totals;
    set("hl-at", state.at);
    set("t-waiting", t.waiting);
    set("t-issued", t.issued);
    set("t-served", t.served);
    set("t-staffed", t.staffed + " / " + t.idle);
    set("t-cases", state.cases.today);
    set("t-red", state.cases.red);
    set("t-yellow", state.cases.yellow);
    set("t-ratings", state.ratings.count + " / " + state.ratings.bad);
    set("t-satisfaction", state.ratings.satisfaction === null ? "—" : Math.round(state.ratings.satisfaction * 100) + "%");
  }

  function zones(state) {
    var rows = state.zones.map(function (z) {
      return '<tr data-zone="' + esc(z.code) + '" class="heat-' + esc(z.heat) + '"><th scope="row">' + esc(z.name) +
        '</th><td class="num waiting">' + z.waiting + '</td><td class="num">' + dash(z.longest_wait) +
        '</td><td class="num">' + z.issued + '</td><td class="num served">' + z.served + '</td><td class="num">' +
        z.open + " / " + z.staffed + " / " + z.serving + " / " + z.idle + '</td><td class="num">' + dash(z.handling) +
        '</td><td class="heat">' + (HEAT[z.heat] || "—") + "</td></tr>";
    });
    document.querySelector("#zone-table tbody").innerHTML = rows.join("");
    var cells = [];
    state.zones.forEach(function (z) {
      z.windows.forEach(function (w) {
        cells.push('<div class="hl-window state-' + esc(w.state) + " heat-" + esc(w.heat) + '" data-window="' + w.number +
          '" title="' + esc(z.name) + '"><b>' + w.number + '</b><span class="zone">' + esc(z.letter) +
          '</span><span class="who">' + esc(w.staff || "—") + '</span><span class="now">' + esc(w.ticket) +
          '</span><span class="load">' + w.served + (w.load === null ? "" : " · " + w.load + "×") + "</span></div>");
      });
    });
    $("window-grid").innerHTML = cells.join("");
  }

  function alertItem(a) {
    var classes = "kind-" + a.kind + (a.acknowledged ? " acknowledged" : "") + (a.open ? "" : " cleared") +
      (seen[a.id] === "new" ? " fresh" : "");
    var action = a.acknowledged
      ? '<div class="muted small">' + esc(a.acknowledged_by) + " 已确认</div>"
      : '<button type="button" class="secondary small" data-ack="' + a.id + '">确认</button>';
    return '<li data-alert="' + a.id + '" class="' + classes + '"><span class="at">' + esc(a.at) + "</span> <strong>" +
      esc(a.kind_label) + "</strong> " + esc(a.text) +
      (a.suggestion ? '<div class="suggestion">' + esc(a.suggestion) + "</div>" : "") + action + "</li>";
  }

  function alerts(state, first) {
    var fresh = [];
    state.alerts.forEach(function (a) {
      if (!(a.id in seen)) {
        seen[a.id] = first ? "old" : "new";
        if (!first) fresh.push(a);
      }
    });
    $("alert-list").innerHTML = state.alerts.length
      ? state.alerts.map(alertItem).join("")
      : '<li class="muted" id="no-alerts">今日暂无提醒。</li>';
    if (fresh.length) set("alert-announce", fresh.map(function (a) { return a.kind_label + "：" + a.text; }).join(" "));
    var bad = state.ratings.bad_list.map(function (b) {
      return '<li data-rating="' + b.id + '"><span class="at">' + esc(b.at) + "</span> " +
        (b.window ? b.window + " 号窗口 " : "") + esc(b.staff) + " · " + esc(b.label) +
        (b.comment ? "<div>“" + esc(b.comment) + "”</div>" : "") + "</li>";
    });
    $("bad-list").innerHTML = bad.length ? bad.join("") : '<li class="muted">今日暂无差评。</li>';
  }

  function drawCharts(state) {
    if (!window.echarts) return;
    var names = state.zones.map(function (z) { return z.name; });
    if (!charts.waiting) charts.waiting = window.echarts.init($("chart-waiting"));
    if (!charts.arrivals) charts.arrivals = window.echarts.init($("chart-arrivals"));
    charts.waiting.setOption({
      animation: false,
      title: {text: "各服务区：等候 / 今日办结", top: 4, textStyle: {fontSize: 14}},
      tooltip: {trigger: "axis"},
      legend: {top: 30, data: ["等候", "办结"]},
      grid: {left: 40, right: 10, top: 64, bottom: 70},
      xAxis: {type: "category", data: names, axisLabel: {interval: 0, rotate: 30}},
      yAxis: {type: "value", minInterval: 1},
      series: [
        {name: "等候", type: "bar", data: state.zones.map(function (z) { return z.waiting; })},
        {name: "办结", type: "bar", data: state.zones.map(function (z) { return z.served; })}
      ]
    });
    charts.arrivals.setOption({
      animation: false,
      title: {text: "今日每半小时取号", top: 4, textStyle: {fontSize: 14}},
      tooltip: {trigger: "axis"},
      grid: {left: 40, right: 10, top: 64, bottom: 30},
      xAxis: {type: "category", data: state.slots},
      yAxis: {type: "value", minInterval: 1},
      series: [{name: "取号", type: "bar", data: state.issued_by_slot}]
    });
  }

  function render(state, first) {
    totals(state);
    zones(state);
    alerts(state, first);
    drawCharts(state);
    root.dataset.updated = state.at;
  }

  function refresh() {
    fetch(feedUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) { if (!response.ok) throw new Error("HTTP " + response.status); return response.json(); })
      .then(function (state) { render(state, false); root.classList.remove("stale"); })
      .catch(function () { root.classList.add("stale"); })
      .then(function () { setTimeout(refresh, poll); });
  }

  $("alert-list").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-ack]");
    if (!button) return;
    event.preventDefault();
    button.disabled = true;
    fetch(ackUrl.replace("/0/", "/" + button.dataset.ack + "/"), {
      method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) throw new Error();
      return response.json();
    }).then(function (data) {
      var item = button.closest("li");
      item.classList.add("acknowledged");
      item.classList.remove("fresh");
      button.outerHTML = '<div class="muted small">' + esc(data.by) + " 已确认</div>";
    }).catch(function () { button.disabled = false; });
  });
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });

  var initial = JSON.parse($("hall-state").textContent);
  // The alerts already on the page when it opened are known; only later ones are announced.
  initial.alerts.forEach(function (a) { seen[a.id] = "old"; });
  drawCharts(initial);
  setTimeout(refresh, poll);
})();
