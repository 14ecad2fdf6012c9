// A question asked in the page (a modal <dialog> styled like it) instead of window.prompt.

import { el } from "./api.js";

/** The text the user gave for `question` (trimmed), or null when cancelled. */
export function ask(question, value = "") {
  return new Promise((resolve) => {
    const input = el("input", { type: "text", value, "aria-label": question, required: true });
    const dialog = el(
      "dialog",
      { class: "ask", "aria-label": question },
      el(
        "form",
        { method: "dialog" },
        el("p", { text: question }),
        input,
        el(
          "div",
          { class: "row" },
          el("button", {
            type: "button",
            class: "ghost",
            text: "Cancel",
            onclick: () => dialog.close(""),
          }),
          el("button", { type: "submit", class: "primary", value: "ok", text: "OK" }),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? input.value.trim() || null : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    input.select();
  });
}
