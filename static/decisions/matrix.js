// The decision-rights matrix editor. The server lints and saves the draft on every change (htmx);
// this colours a role cell as it changes and keeps Publish disabled while the lint has conflicts,
// or gaps the admin has not acknowledged (the server refuses those publishes too).
(() => {
  const box = document.getElementById("publish-box");
  if (!box) return;
  const button = document.getElementById("publish-button");
  const ack = document.getElementById("acknowledge_gaps");
  const ackBox = document.getElementById("ack-box");
  const hint = document.getElementById("publish-hint");

  function refresh() {
    const blocking = box.dataset.blocking === "1";
    const gaps = Number(box.dataset.gaps || 0);
    ackBox.classList.toggle("d-none", gaps === 0);
    document.getElementById("gap-count").textContent = String(gaps);
    const needsAck = gaps > 0 && !ack.checked;
    button.disabled = blocking || needsAck;
    hint.textContent = blocking ? "Fix the conflicts first." : needsAck ? "Acknowledge the gaps to publish." : "";
  }

  document.addEventListener("change", (event) => {
    const select = event.target.closest(".role-select");
    if (select) {
      select.className = select.className.replace(/\brole-(R|A|P|I|D|none)\b/, "role-" + (select.value || "none"));
    }
    if (event.target === ack) refresh();
  });
  document.body.addEventListener("matrix-lint", (event) => {
    box.dataset.blocking = event.detail.blocking ? "1" : "0";
    box.dataset.gaps = String(event.detail.gaps);
    refresh();
  });
  document.getElementById("effective_at").addEventListener("focus", () => {
    document.getElementById("when-later").checked = true;
  });
  refresh();
})();
