// "Chọn tất cả" / "Bỏ chọn tất cả" per level on the period form.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-check-all], [data-check-none]");
  if (!button) return;
  const group = document.getElementById(button.dataset.checkAll || button.dataset.checkNone);
  const checked = Boolean(button.dataset.checkAll);
  for (const box of group.querySelectorAll("input[type=checkbox]")) box.checked = checked;
});

// The units listed depend on the year (a huyện dissolved on 1 July 2025 is not a unit of 2026):
// when the year typed on a new period changes, the list is asked again for that year; what was
// typed elsewhere on the form stays, and so do the ticks already made on units listed for both
// years. The list carries the year it was made for, so retyping the same year asks nothing, and
// an answer for a year typed earlier never replaces the list of the year typed last.
const yearField = document.getElementById("year");
if (yearField && document.querySelector('form[action="/admin/periods"]')) {
  let asked = 0;
  yearField.addEventListener("change", async () => {
    const year = yearField.value.trim();
    const listed = document.getElementById("units");
    if (!/^\d{4}$/.test(year) || (listed && listed.dataset.year === year)) return;
    const ask = ++asked;
    const status = document.getElementById("units-status");
    if (status) status.textContent = "Đang tải danh sách đơn vị của năm " + year + "…";
    try {
      const response = await fetch("/admin/periods/new?year=" + year, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("units");
      if (ask !== asked) return;
      const current = document.getElementById("units");
      if (fresh && current) {
        const ticks = new Map();
        for (const box of current.querySelectorAll("input[type=checkbox]")) ticks.set(box.value, box.checked);
        for (const box of fresh.querySelectorAll("input[type=checkbox]")) {
          if (ticks.has(box.value)) box.checked = ticks.get(box.value);
        }
        for (const group of current.querySelectorAll("details.unit-group")) {
          const same = fresh.querySelector("#" + CSS.escape(group.id));
          if (same) same.open = group.open;
        }
        current.replaceWith(fresh);
      }
      const done = document.getElementById("units-status");
      if (done) done.textContent = "Danh sách đơn vị của năm " + year + ".";
    } catch (error) {
      if (ask === asked && status) status.textContent = "Chưa tải được danh sách đơn vị của năm " + year + "; gửi biểu mẫu để kiểm tra.";
    }
  });
}
