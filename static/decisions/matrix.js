// Colour a role cell by its value as the admin edits (the lint and diff come from the server via htmx).
document.addEventListener("change", (event) => {
  const select = event.target.closest(".role-select");
  if (!select) return;
  select.className = select.className.replace(/\brole-(R|A|P|I|D|none)\b/, "role-" + (select.value || "none"));
});
