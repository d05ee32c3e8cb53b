// Email designer: drag a block row to reorder it (SortableJS). Dragging only renumbers the
// rows' "Urutan" inputs; the form posts as it would without JavaScript.
(function () {
  "use strict";
  function renumber(rows) {
    rows.querySelectorAll("[data-designer-row]").forEach(function (row, index) {
      var position = row.querySelector("input[name$='-position']");
      if (position) position.value = String(index);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var rows = document.querySelector("[data-designer-rows]");
    if (!rows || typeof window.Sortable === "undefined") return;
    window.Sortable.create(rows, { animation: 120, onEnd: function () { renumber(rows); } });
  });
})();
