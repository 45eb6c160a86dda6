"use strict";
/*
 * annolab's pages talk to the REST API (api.md) with the browser session: the session cookie
 * authenticates, and the CSRF token from the page's <meta> tag goes in X-CSRFToken on writes.
 * Also a tiny DOM builder, so text from the server is always inserted as text, never as HTML.
 */
const annolab = (() => {
  class ApiError extends Error {
    constructor(status, body, statusText) {
      const detail = body && typeof body.detail === "string" ? body.detail : null;
      super(detail || `The server answered ${status} ${statusText || ""}`.trim());
      this.status = status;
      this.detail = detail;
      this.errors = body && Array.isArray(body.errors) ? body.errors : [];
    }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function request(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let payload;
    if (body instanceof FormData) {
      payload = body; // the browser sets the multipart boundary itself
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    if (response.status === 204) return null;
    // Unknown URLs answer Django's HTML 404 page, not JSON: keep the status, drop the body.
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data, response.statusText);
    return data;
  }

  /** Every item of a paginated list ({count, next, previous, results}). */
  async function all(url) {
    const items = [];
    let next = url;
    while (next) {
      const page = await request("GET", next);
      items.push(...page.results);
      next = page.next;
    }
    return items;
  }

  /** One line for a person: the API's detail, or what went wrong with the network. */
  function describe(failure) {
    if (failure instanceof ApiError) {
      if (failure.status === 403 && !failure.detail) return "Your role does not allow this.";
      return failure.message;
    }
    return `Could not reach the server (${failure.message}).`;
  }

  /** h("a", {href: "/x", class: "y"}, "text", child) -> an element; null children are skipped. */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") {
        element.addEventListener(name.slice(2), value);
      } else if (value === true) {
        element.setAttribute(name, "");
      } else {
        element.setAttribute(name, String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  /** A small download icon (inline SVG: no icon font or image to fetch). */
  function downloadIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M8 1.5v8.5M4.5 6.5 8 10l3.5-3.5M2.5 12.5v2h11v-2");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.6");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.append(path);
    return svg;
  }

  function formatDate(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  /** A model's micro-averaged scores ({precision, recall, f1}, api.md's metrics.micro), or null. */
  function microMetrics(model) {
    return (model && model.metrics && model.metrics.micro) || null;
  }

  function projectUrl(project, rest) {
    return `/api/projects/${encodeURIComponent(project)}/${rest}`;
  }

  return {
    ApiError,
    request,
    all,
    describe,
    h,
    downloadIcon,
    formatDate,
    microMetrics,
    projectUrl,
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body === undefined ? {} : body),
    put: (url, body) => request("PUT", url, body),
    patch: (url, body) => request("PATCH", url, body),
    del: (url) => request("DELETE", url),
  };
})();
