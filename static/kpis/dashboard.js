// Month and grain pickers apply on change; the scope search (kpis/_unit_picker.html) lists
// matching units below the box as links: arrow keys move between the box and them, Escape or a
// click elsewhere closes the list.
(function () {
  const form = document.getElementById("scope-form");
  if (form) form.addEventListener("change", () => form.submit());

  const picker = document.querySelector(".unit-picker");
  if (!picker) return;
  const input = picker.querySelector("input[name=q]");
  const results = picker.querySelector(".unit-results");
  const links = () => Array.from(results.querySelectorAll("a"));
  const close = () => results.replaceChildren();

  picker.addEventListener("keydown", (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      all[Math.min(at + 1, all.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : all[at - 1]).focus();
    } else if (event.key === "Escape" && all.length) {
      event.preventDefault();
      close();
      input.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!picker.contains(event.target)) close();
  });
  // Back in the box with a query typed: show its matches again.
  input.addEventListener("focus", () => {
    if (input.value.trim() && !results.firstElementChild && window.htmx) htmx.trigger(input, "search");
  });
})();
