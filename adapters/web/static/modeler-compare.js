/* The comparison page (templates/designer_compare.html): colours the steps that were added or
   changed on the newer version's flowchart and the removed ones on the older one's, by the
   graphviz node ids (bpmn-{element id}, adapters/flowchart.py). */
(function () {
  "use strict";
  var data = document.getElementById("compare-marks");
  if (!data) return;
  var marks = JSON.parse(data.textContent);
  document.querySelectorAll(".compare-chart").forEach(function (chart) {
    var kinds = chart.dataset.side === "new" ? ["added", "changed"] : ["removed"];
    var nodes = {};
    chart.querySelectorAll("g[id^='bpmn-']").forEach(function (g) { nodes[g.id.slice(5)] = g; });
    kinds.forEach(function (kind) {
      (marks[kind] || []).forEach(function (id) {
        if (nodes[id]) { nodes[id].classList.add("diff-" + kind); }
      });
    });
  });
})();
