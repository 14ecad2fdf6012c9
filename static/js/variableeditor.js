// The page's "Variables" form: rows of name + pattern, added and removed, saved with the
// page. A modal <dialog> in the style of ask.js; a refusal is shown in it, the rows kept.

import { el } from "./api.js";
import { declarations } from "./variables.js";

const MAX_VARIABLES = 10;

function row(variable = { name: "", pattern: "" }) {
  const name = el("input", {
    type: "text",
    class: "var-name",
    value: variable.name,
    placeholder: "env",
    size: 12,
    spellcheck: "false",
  });
  const pattern = el("input", {
    type: "text",
    class: "var-pattern",
    value: variable.pattern,
    placeholder: "metrics/$env/*",
    size: 36,
    spellcheck: "false",
  });
  const item = el("li", { class: "var-row" }, "$", name, pattern);
  const remove = el("button", {
    type: "button",
    class: "small ghost",
    text: "Remove",
    onclick: () => {
      const list = item.parentElement;
      item.remove();
      renumber(list);
    },
  });
  item.append(remove);
  return item;
}

/** Each row's fields labelled with its number ("Name of variable 2"). */
function renumber(list) {
  [...list.children].forEach((item, i) => {
    item.querySelector(".var-name").setAttribute("aria-label", `Name of variable ${i + 1}`);
    item.querySelector(".var-pattern").setAttribute("aria-label", `Pattern of variable ${i + 1}`);
    item.querySelector("button").setAttribute("aria-label", `Remove variable ${i + 1}`);
  });
}

/** Open the form on `variables`; `save(list)` stores them (throwing a readable Error when
 * refused). Resolves to the saved list, or null when cancelled. */
export function editVariables(variables, save) {
  return new Promise((resolve) => {
    const list = el(
      "ol",
      { class: "var-rows" },
      variables.map((v) => row(v)),
    );
    const error = el("p", { class: "error", role: "alert", hidden: true });
    const saveButton = el("button", { type: "submit", class: "primary", text: "Save" });
    const add = el("button", {
      type: "button",
      class: "ghost",
      text: "Add variable",
      onclick: () => {
        if (list.children.length >= MAX_VARIABLES) {
          error.textContent = `A page has at most ${MAX_VARIABLES} variables.`;
          error.hidden = false;
          return;
        }
        const item = row();
        list.append(item);
        renumber(list);
        item.querySelector("input").focus();
      },
    });
    let saved = null;
    const form = el(
      "form",
      { method: "dialog" },
      el("h2", { text: "Page variables" }),
      el("p", {
        class: "hint",
        text:
          "A variable's values are what $name matches in the series names, e.g. " +
          "metrics/$env/* (one path segment); a pattern may use the variables above it " +
          "(metrics/$env/$service/*). Graphs use $name in series paths, titles and legends.",
      }),
      list,
      error,
      el(
        "div",
        { class: "row" },
        add,
        el("span", { class: "spacer" }),
        el("button", {
          type: "button",
          class: "ghost",
          text: "Cancel",
          onclick: () => dialog.close(),
        }),
        saveButton,
      ),
    );
    const dialog = el(
      "dialog",
      { class: "ask variables-editor", "aria-label": "Page variables" },
      form,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const rows = [...list.children].map((item) => ({
        name: item.querySelector(".var-name").value,
        pattern: item.querySelector(".var-pattern").value,
      }));
      saveButton.disabled = true;
      error.hidden = true;
      try {
        const wanted = declarations(rows);
        await save(wanted);
        saved = wanted;
        dialog.close();
      } catch (err) {
        error.textContent = `Not saved: ${err.message}`;
        error.hidden = false;
      } finally {
        saveButton.disabled = false;
      }
    });
    dialog.addEventListener("close", () => {
      resolve(saved);
      dialog.remove();
    });
    document.body.append(dialog);
    renumber(list);
    dialog.showModal();
    if (!variables.length) add.click();
  });
}
