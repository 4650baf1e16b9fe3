// "Chọn tất cả" / "Bỏ chọn tất cả" per level on the period form.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-check-all], [data-check-none]");
  if (!button) return;
  const group = document.getElementById(button.dataset.checkAll || button.dataset.checkNone);
  const checked = Boolean(button.dataset.checkAll);
  for (const box of group.querySelectorAll("input[type=checkbox]")) box.checked = checked;
});
