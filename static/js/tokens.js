// The API tokens page: copy the new token (shown once) to the clipboard.

const button = document.getElementById("copy-token");
const token = document.getElementById("new-token");
const status = document.getElementById("copy-status");

async function copy() {
  const text = token.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard permission: select the text for Ctrl+C
    const range = document.createRange();
    range.selectNodeContents(token);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    status.textContent = "Selected: press Ctrl+C to copy";
    return;
  }
  status.textContent = "Copied";
}

button?.addEventListener("click", copy);
