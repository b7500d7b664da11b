// Entry grid keyboard: Enter moves to the next cell (Shift+Enter to the previous), Ctrl+Enter saves.
(function () {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const inputs = Array.from(form.querySelectorAll(".entry-input"));
  (inputs.find((i) => !i.value) || inputs[0])?.focus();
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.classList.contains("entry-input")) return;
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) { form.requestSubmit(); return; }
    const next = inputs[inputs.indexOf(event.target) + (event.shiftKey ? -1 : 1)];
    if (next) { next.focus(); next.select(); }
  });
})();
