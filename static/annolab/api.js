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

  function formatDate(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
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
    formatDate,
    projectUrl,
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body === undefined ? {} : body),
    put: (url, body) => request("PUT", url, body),
    patch: (url, body) => request("PATCH", url, body),
    del: (url) => request("DELETE", url),
  };
})();
