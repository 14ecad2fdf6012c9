// The dashboard's instance menu, loaded a level at a time from /api/tracelog/menu:
// customers first, a customer's hosts when it is opened, a host's instances when it
// is opened, or the instances matching what is typed in the search box.

import { api, el } from "./api.js";

const OPEN_CUSTOMERS = 10; // with at most this many customers, they start open
const SEARCH_DELAY_MS = 200;

export class InstanceMenu {
  constructor(root, { url, poolKinds, customerPoolKinds = [], onError }) {
    this.root = root;
    this.url = url;
    this.poolKinds = poolKinds;
    // drawn from the customer's pool file: offered per customer, not per host
    this.customerPoolKinds = new Set(customerPoolKinds);
    this.onError = onError;
    this.tree = root.querySelector("#menu-tree");
    this.results = root.querySelector("#menu-results");
    this.more = root.querySelector("#menu-more");
    this.emptyNote = root.querySelector("#menu-empty");
    this.search = root.querySelector("#menu-q");
    this.searchTimer = null;
    this.searchSeq = 0;
    root.querySelector("#menu-search").addEventListener("submit", (ev) => ev.preventDefault());
    this.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.find(this.search.value.trim()), SEARCH_DELAY_MS);
    });
  }

  async level(params) {
    return api(`${this.url}?${new URLSearchParams(params)}`);
  }

  async start() {
    try {
      const { items, more, total } = await this.level({});
      this.emptyNote.hidden = total > 0;
      const open = items.length <= OPEN_CUSTOMERS;
      this.tree.append(...items.map((c) => this.customerNode(c, open)));
      this.note(more, total, "customers");
    } catch (err) {
      this.onError(err);
    } finally {
      this.tree.removeAttribute("aria-busy");
    }
  }

  note(more, total, what) {
    this.more.hidden = !more;
    this.more.textContent = more
      ? `Showing some of ${total} ${what}: search to find the others.`
      : "";
  }

  poolButtons(customer, host) {
    const kinds = Object.entries(this.poolKinds).filter(
      ([kind]) => !host || !this.customerPoolKinds.has(kind),
    );
    return kinds.map(([kind, label]) =>
      el("button", {
        type: "button",
        class: "add pool",
        "data-kind": kind,
        "data-customer": customer,
        "data-host": host,
        text: label,
      }),
    );
  }

  instanceButton(inst, label = inst.name) {
    const text = `Add a graph of ${inst.stem}`;
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "add instance",
          "data-kind": "instance",
          "data-instance": inst.stem,
          "aria-label": text,
          title: text,
        },
        label,
        el("span", { "aria-hidden": "true", text: "+" }),
      ),
    );
  }

  /** A <details> whose body is loaded the first time it is opened. */
  lazyDetails(cls, name, load, open) {
    const details = el("details", { class: cls }, el("summary", { text: name }));
    let loaded = false;
    details.addEventListener("toggle", async () => {
      if (!details.open || loaded) return;
      loaded = true;
      details.setAttribute("aria-busy", "true");
      try {
        details.append(...(await load()));
      } catch (err) {
        loaded = false;
        this.onError(err);
      } finally {
        details.removeAttribute("aria-busy");
      }
    });
    if (open) details.open = true;
    return details;
  }

  customerNode(customer, open) {
    return this.lazyDetails(
      "customer",
      customer.name,
      async () => {
        const { items, more, total } = await this.level({ customer: customer.name });
        const nodes = [
          el(
            "div",
            { class: "pools", "aria-label": `${customer.name} pools` },
            this.poolButtons(customer.name),
          ),
        ];
        nodes.push(...items.map((h) => this.hostNode(customer.name, h)));
        if (more)
          nodes.push(
            el("p", {
              class: "hint",
              text: `${total - items.length} more hosts: search to find them.`,
            }),
          );
        return nodes;
      },
      open,
    );
  }

  hostNode(customer, host) {
    return this.lazyDetails(
      "host",
      host.name,
      async () => {
        const { items, more, total } = await this.level({ customer, host: host.name });
        const nodes = [
          el("div", { class: "pools" }, this.poolButtons(customer, host.name)),
          el(
            "ul",
            { class: "instances" },
            items.map((i) => this.instanceButton(i)),
          ),
        ];
        if (more)
          nodes.push(
            el("p", {
              class: "hint",
              text: `${total - items.length} more instances: search to find them.`,
            }),
          );
        return nodes;
      },
      false,
    );
  }

  async find(query) {
    const seq = ++this.searchSeq;
    if (!query) {
      this.results.hidden = true;
      this.tree.hidden = false;
      this.note(false, 0, "");
      return;
    }
    try {
      const { items, more, total } = await this.level({ q: query });
      if (seq !== this.searchSeq) return;
      this.results.replaceChildren(
        ...items.map((i) => this.instanceButton(i, `${i.customer} ${i.host}/${i.name}`)),
      );
      if (!items.length)
        this.results.append(el("li", { class: "empty", text: `Nothing matches “${query}”.` }));
      this.results.hidden = false;
      this.tree.hidden = true;
      this.note(more, total, "matches");
    } catch (err) {
      this.onError(err);
    }
  }
}
