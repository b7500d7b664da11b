// Upload with a progress bar; the server answers with the result fragment (htmx-style request), or
// — for a large file, imported as a job — with HX-Redirect to the job's page, which shows its progress.
(function () {
  const form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest) return;
  const bar = document.querySelector("#import-progress .progress-bar");
  const wrap = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const result = document.getElementById("import-result");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);  // before the result (and its confirm box, form="import-form") is cleared
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    wrap.classList.remove("d-none"); status.classList.remove("d-none");
    bar.style.width = "0%"; status.textContent = "Uploading…"; result.innerHTML = "";
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      bar.style.width = pct + "%";
      status.textContent = pct < 100 ? `Uploading… ${pct}%` : "Validating and importing…";
    });
    xhr.addEventListener("load", () => {
      const job = xhr.getResponseHeader("HX-Redirect");
      if (job) { status.textContent = "Uploaded: importing…"; window.location.assign(job); return; }
      bar.style.width = "100%"; wrap.classList.add("d-none");
      status.textContent = xhr.status < 300 ? "Done." : "Not imported.";
      result.innerHTML = xhr.responseText;
    });
    xhr.addEventListener("error", () => { status.textContent = "Upload failed — check your connection."; });
    xhr.send(data);
  });
})();
