// The partnership page's enablement forms (htmx): a 400 carries the form with its errors, so swap
// it in like a success instead of dropping it (htmx 2 leaves 4xx answers unswapped by default).
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (event.detail.xhr.status === 400 && target && target.closest && target.closest("#enablement")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
    event.detail.target = document.getElementById("enablement-form") || target;
    event.detail.swapOverride = "innerHTML";
  }
});
