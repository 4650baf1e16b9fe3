// "In danh sách": the browser's print dialog for a page meant to be printed.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
