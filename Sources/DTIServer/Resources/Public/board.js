// The season board: "Chọn tất cả … đơn vị đang lọc" ticks every row shown, and
// unticking a row unticks it (the server then takes the ticked rows only).
// Without this script the box still works: the server marks every unit the
// filter shows.
(function () {
  var all = document.getElementById("all-filtered");
  if (!all) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("input.mark"));
  all.addEventListener("change", function () {
    rows.forEach(function (box) { box.checked = all.checked; });
  });
  rows.forEach(function (box) {
    box.addEventListener("change", function () {
      all.checked = rows.every(function (b) { return b.checked; });
    });
  });
})();
