// A user's display preferences (time zone, theme), kept in this browser per signed-in user:
// they change how the page shows graphs, never what is saved in them.

import { browserZone } from "./timerange.js";

export const THEMES = ["light", "dark"];
const DEFAULTS = Object.freeze({ zone: "", theme: "light" });

function key(user) {
  return `graphmetrics.prefs.${user || "anonymous"}`;
}

/** The preferences of `user` from `storage` (a Storage), defaults for what is unset or bad. */
export function loadPrefs(user, storage) {
  let saved;
  try {
    saved = JSON.parse(storage?.getItem(key(user)) || "{}") || {};
  } catch {
    saved = {};
  }
  return {
    zone: typeof saved.zone === "string" && validZone(saved.zone) ? saved.zone : DEFAULTS.zone,
    theme: THEMES.includes(saved.theme) ? saved.theme : DEFAULTS.theme,
  };
}

export function savePrefs(user, storage, prefs) {
  try {
    storage?.setItem(key(user), JSON.stringify(prefs));
  } catch {
    /* storage full or refused: the choice lasts for this page only */
  }
}

/** A zone name the browser knows ("" is the browser's own zone). */
export function validZone(zone) {
  if (zone === "") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone choices: the browser's own (""), UTC, then every IANA zone the browser knows. */
export function zoneChoices() {
  const all =
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [
    ["", `Browser time (${browserZone()})`],
    ["UTC", "UTC"],
    ...all.filter((z) => z !== "UTC").map((z) => [z, z]),
  ];
}
