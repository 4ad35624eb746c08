// The console's only script: loaded from /console/assets, never inline (the pages' policy
// forbids inline scripts). Pages work without it; it adds copying and confirmations.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.value || source.textContent).then(() => {
    button.textContent = "Copied";
  });
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  const input = event.target.closest("input[type=file][data-into]");
  if (!input || !input.files.length) return;
  const target = document.getElementById(input.dataset.into);
  input.files[0].text().then((text) => { target.value = text; });
});
