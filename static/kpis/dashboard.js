// Scope, month and grain pickers apply on change.
(function () {
  const form = document.getElementById("scope-form");
  if (!form) return;
  form.addEventListener("change", () => form.submit());
})();
