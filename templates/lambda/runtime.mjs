const LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_.";

function isLabelRun(text) {
  if (text === "" || text[0] === "." || text[text.length - 1] === "." || text.indexOf("..") !== -1) {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    if (LABEL_CHARS.indexOf(text[i]) === -1) {
      return false;
    }
  }
  return true;
}

function originAllowed(rule, origin) {
  if (rule.anyOrigin) {
    return true;
  }
  const set = ORIGIN_SETS[rule.originSet];
  if (set.exact.has(origin)) {
    return true;
  }
  for (const [prefix, suffix] of set.wildcards) {
    if (
      origin.length > prefix.length + suffix.length &&
      origin.startsWith(prefix) &&
      origin.endsWith(suffix) &&
      isLabelRun(origin.slice(prefix.length, origin.length - suffix.length))
    ) {
      return true;
    }
  }
  return false;
}

function segmentsOf(path) {
  if (path.startsWith("/")) path = path.slice(1);
  if (path.endsWith("/")) path = path.slice(0, -1);
  return path === "" ? [] : path.split("/");
}

function routeMatches(segments, parts) {
  let index = 0;
  for (const [kind, value] of segments) {
    if (kind === "greedy") {
      return parts.length > index && parts.slice(index).every((part) => part !== "");
    }
    if (index >= parts.length || parts[index] === "") return false;
    if (kind === "lit" && parts[index] !== value) return false;
    index += 1;
  }
  return index === parts.length;
}

function ruleFor(path) {
  const parts = segmentsOf(path);
  for (const route of ROUTES) {
    if (routeMatches(route.segments, parts)) return RULES[route.rule];
  }
  return RULES[DEFAULT_RULE];
}

// Payload 1.0 keeps header names as the client sent them; 2.0 lowercases them.
function header(event, name) {
  const headers = event.headers;
  if (headers && typeof headers === "object") {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name && typeof headers[key] === "string") return headers[key];
    }
  }
  const multi = event.multiValueHeaders;
  if (multi && typeof multi === "object") {
    for (const key of Object.keys(multi)) {
      const values = multi[key];
      if (key.toLowerCase() === name && Array.isArray(values) && values.length > 0 && typeof values[0] === "string") {
        return values[0];
      }
    }
  }
  return null;
}

// The route template with its path parameters put back: the path as the API resolved it, free
// of any stage or custom-domain base path. null when a parameter is missing.
function filled(template, parameters) {
  const parts = [];
  for (const part of template.split("/")) {
    if (part.startsWith("{") && part.endsWith("}")) {
      const greedy = part.endsWith("+}");
      const value = parameters[part.slice(1, -1).replace(/\+$/, "")];
      if (typeof value !== "string") return null;
      // One segment stays one segment: a decoded "/" in it must not add segments and so match
      // another route than the one the API chose.
      parts.push(greedy ? value : value.replaceAll("%", "%25").replaceAll("/", "%2F"));
    } else {
      parts.push(part);
    }
  }
  return parts.join("/") || "/";
}

// Routes are matched on the path the API resolved, never on one that still carries a stage (a
// named HTTP API stage) or a base path (a custom domain's mapping): with a prefix no route would
// match, and the request would fall back to the default rule.
function methodAndPath(event) {
  const context = event.requestContext || {};
  let method;
  let path;
  let template;
  if (event.version === "2.0") {
    method = (context.http || {}).method || "";
    path = event.rawPath || "/";
    const route = (event.routeKey || "").split(" ");
    template = route.length > 1 ? route.slice(1).join(" ") : null;
  } else {
    method = event.httpMethod || "";
    path = event.path || "/";
    template = event.resource;
  }
  if (typeof template === "string" && template.startsWith("/")) {
    return [method, filled(template, event.pathParameters || {}) || path];
  }
  // Without a route template, an HTTP API event (payload 1.0 or 2.0; REST events have no
  // version) on a named stage carries the stage in its path.
  const stage = context.stage;
  if ((event.version === "1.0" || event.version === "2.0") && stage && stage !== "$default") {
    const prefix = "/" + stage;
    if (path === prefix || path.startsWith(prefix + "/")) path = path.slice(prefix.length) || "/";
  }
  return [method, path];
}

function viaFunctionUrl(event) {
  const context = event.requestContext || {};
  return String(context.domainName || "").includes(".lambda-url.");
}

function decide(event) {
  if (URL_OWNS_CORS && viaFunctionUrl(event)) return { status: null, headers: { Vary: "Origin" } };
  const [method, path] = methodAndPath(event);
  const origin = header(event, "origin");
  const preflight =
    method === "OPTIONS" && origin !== null && header(event, "access-control-request-method") !== null;
  const rule = ruleFor(path);
  const allowed = origin !== null && originAllowed(rule, origin);
  const headers = {};
  if (allowed) {
    headers["Access-Control-Allow-Origin"] = rule.anyOrigin ? "*" : origin;
    for (const [name, value] of preflight ? rule.preflight : rule.actual) headers[name] = value;
  }
  headers["Vary"] = "Origin";
  let status = null;
  if (preflight) status = allowed ? PREFLIGHT_ALLOWED : PREFLIGHT_REFUSED;
  return { status, headers };
}

function mergeVary(values) {
  const entries = [];
  for (const value of values) {
    for (let entry of value.split(",")) {
      entry = entry.trim();
      if (entry !== "" && !entries.some((e) => e.toLowerCase() === entry.toLowerCase())) entries.push(entry);
    }
  }
  if (!entries.some((e) => e === "*" || e.toLowerCase() === "origin")) entries.push("Origin");
  return entries.join(", ");
}

/** The CORS headers for this request: a preflight's answer headers, or the headers to add to any
 * other response. Always includes Vary: Origin. */
export function corsHeaders(event) {
  return decide(event).headers;
}

/** The whole answer to a CORS preflight (204, or 403 for an origin the policy does not allow),
 * or null when the request is not a preflight. */
export function preflightResponse(event) {
  const { status, headers } = decide(event);
  if (status === null) return null;
  return { statusCode: status, headers, body: "" };
}

function apply(event, response, headers) {
  if (event.version === "2.0" && !(response && typeof response === "object" && "statusCode" in response)) {
    // Payload 2.0 turns a bare value into a 200 JSON response; do it here so the CORS headers
    // have a response to go on.
    response = {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(response === undefined ? null : response),
    };
  }
  if (!response || typeof response !== "object") return response;
  const result = { ...response };
  const vary = [];
  const out = {};
  for (const [key, value] of Object.entries(response.headers || {})) {
    const lower = key.toLowerCase();
    if (lower === "vary") vary.push(String(value));
    else if (!lower.startsWith("access-control-")) out[key] = value;
  }
  if ("multiValueHeaders" in response) {
    const multi = {};
    for (const [key, raw] of Object.entries(response.multiValueHeaders || {})) {
      const values = Array.isArray(raw) ? raw : [raw];
      const lower = key.toLowerCase();
      if (lower === "vary") vary.push(...values.map(String));
      else if (!lower.startsWith("access-control-")) multi[key] = values;
    }
    result.multiValueHeaders = multi;
  }
  for (const [name, value] of Object.entries(headers)) {
    out[name] = name === "Vary" ? mergeVary(vary) : value;
  }
  result.headers = out;
  return result;
}

// What a handler that threw answers, like API Gateway's own 502 body but readable by the page.
const INTERNAL_ERROR = {
  statusCode: 500,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ message: "Internal server error" }),
};

/** Wraps an async Lambda handler: answers preflights without calling it, and puts the policy's
 * CORS headers on everything it returns. */
export function withCors(handler) {
  return async function corsHandler(event, context) {
    const { status, headers } = decide(event);
    if (status !== null) return { statusCode: status, headers, body: "" };
    let response;
    try {
      response = await handler(event, context);
    } catch (error) {
      console.error("the handler threw; answering 500", error);
      response = { ...INTERNAL_ERROR, headers: { ...INTERNAL_ERROR.headers } };
    }
    return apply(event, response, headers);
  };
}
