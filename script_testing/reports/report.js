/* script_testing run report: optional niceties. The page is complete without JavaScript. */
(function () {
  "use strict";
  // "All / Problems only" filters for the node and edge-check tables
  document.querySelectorAll(".st-filter").forEach(function (bar) {
    var target = document.getElementById(bar.getAttribute("data-target"));
    if (!target) { return; }
    bar.querySelectorAll("button").forEach(function (btn) {
      btn.addEventListener("click", function () {
        bar.querySelectorAll("button").forEach(function (b) { b.classList.remove("on"); });
        btn.classList.add("on");
        target.classList.toggle("st-hide-ok", btn.getAttribute("data-mode") === "problems");
      });
    });
  });
  // "Expand all / collapse all" for the failure details
  document.querySelectorAll("[data-toggle-details]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var boxes = document.querySelectorAll(btn.getAttribute("data-toggle-details") + " details");
      var open = Array.prototype.some.call(boxes, function (d) { return !d.open; });
      boxes.forEach(function (d) { d.open = open; });
    });
  });
  // clicking a DAG node opens its failure details, if any
  document.querySelectorAll(".st-dag a").forEach(function (a) {
    a.addEventListener("click", function () {
      var node = a.querySelector(".dag-node");
      if (!node) { return; }
      var det = document.getElementById("fail-" + node.id.replace(/^[^-]+-dag-/, ""));
      if (det) { det.open = true; }
    });
  });
})();
