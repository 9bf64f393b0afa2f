// The smallest SPA that uses the API the way a browser app does: cross-origin fetch with a
// bearer token, ETag/If-Match, Location, refresh tokens and undo. Everything it learns it
// writes into the DOM, where the end-to-end test (e2e/test_spa.py) reads it.
"use strict";

const api = new URLSearchParams(location.search).get("api") || "http://127.0.0.1:8000";
const state = { accessToken: null, refreshToken: null, userId: null, etags: new Map(), deletedId: null };

const $ = (selector) => document.querySelector(selector);

function log(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("#log").append(item);
}

// Runs a click or submit handler; whatever it throws (a TypeError when the browser refuses
// a cross-origin answer) is shown on the page.
function guard(handler) {
  return async (event) => {
    event.preventDefault();
    try {
      await handler(event);
    } catch (error) {
      $("#error").textContent = `${error.name}: ${error.message}`;
      log(`failed: ${error.name}`);
    }
  };
}

async function call(label, method, path, { body, headers = {}, token = true, expect } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${state.accessToken}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(api + path, init);
  log(`${label}: ${response.status}`);
  if (expect !== undefined && response.status !== expect) {
    throw new Error(`${label} answered ${response.status}, expected ${expect}`);
  }
  return response;
}

// An ETag the browser may not read (not in Access-Control-Expose-Headers) comes back as null.
function etagOf(response) {
  const etag = response.headers.get("ETag");
  if (etag === null) throw new Error("the ETag header is not readable");
  return etag;
}

function tasksPath(suffix = "") {
  return `/api/${state.userId}/tasks${suffix}`;
}

function signIn(result) {
  state.accessToken = result.access_token;
  state.refreshToken = result.refresh_token;
  state.userId = result.user.id;
}

async function signUp(event) {
  const form = new FormData(event.target);
  const response = await call("sign up", "POST", "/api/auth/signup", {
    body: Object.fromEntries(form),
    token: false,
    expect: 201,
  });
  const result = await response.json();
  signIn(result);
  $("#who").textContent = result.user.username;
}

async function addTask(event) {
  const form = event.target;
  const response = await call("create task", "POST", tasksPath(), {
    body: { title: form.elements.title.value },
    expect: 201,
  });
  const task = await response.json();
  const where = response.headers.get("Location");
  if (where === null) throw new Error("the Location header is not readable");
  $("#location").textContent = where;
  state.etags.set(task.id, etagOf(response));
  form.reset();
  await reload();
}

async function reload() {
  const response = await call("list tasks", "GET", tasksPath("?sort=created_at&order=asc&limit=100"), { expect: 200 });
  const page = await response.json();
  $("#total").textContent = String(page.total);
  $("#tasks").replaceChildren(...page.items.map(renderTask));
}

function renderTask(task) {
  const item = document.createElement("li");
  item.dataset.id = task.id;
  const title = document.createElement("span");
  title.className = "title";
  title.textContent = task.title;
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = task.completed ? "done" : "open";
  const etag = document.createElement("span");
  etag.className = "etag";
  etag.textContent = `ETag ${state.etags.get(task.id) ?? "unknown"}`;
  const complete = document.createElement("button");
  complete.type = "button";
  complete.textContent = "Complete";
  complete.addEventListener("click", guard(() => completeTask(task.id)));
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Delete";
  remove.addEventListener("click", guard(() => deleteTask(task.id)));
  item.append(title, " ", status, " ", etag, " ", complete, " ", remove);
  return item;
}

async function completeTask(id) {
  const ifMatch = state.etags.get(id);
  if (ifMatch === undefined) throw new Error("no ETag known for this task");
  const response = await call(`complete with If-Match ${ifMatch}`, "PATCH", tasksPath(`/${id}/complete`), {
    headers: { "If-Match": ifMatch },
    expect: 200,
  });
  state.etags.set(id, etagOf(response));
  await reload();
}

async function deleteTask(id) {
  await call("delete task", "DELETE", tasksPath(`/${id}`), { expect: 204 });
  state.deletedId = id;
  $("#undo-bar").hidden = false;
  await reload();
}

async function undoDelete() {
  const response = await call("restore task", "POST", tasksPath(`/${state.deletedId}/restore`), { expect: 200 });
  state.etags.set(state.deletedId, etagOf(response));
  state.deletedId = null;
  $("#undo-bar").hidden = true;
  await reload();
}

// Trades the refresh token for new tokens, then lists with the new access token.
async function refreshSession() {
  const response = await call("refresh session", "POST", "/api/auth/refresh", {
    body: { refresh_token: state.refreshToken },
    token: false,
    expect: 200,
  });
  signIn(await response.json());
  await reload();
}

// No Authorization header: the page can read the 401 only if it carries CORS headers.
async function listAnonymously() {
  const response = await call("list tasks without a token", "GET", tasksPath(), { token: false });
  $("#anonymous-status").textContent = String(response.status);
}

$("#api").textContent = api;
$("#signup").addEventListener("submit", guard(signUp));
$("#new-task").addEventListener("submit", guard(addTask));
$("#reload").addEventListener("click", guard(reload));
$("#undo").addEventListener("click", guard(undoDelete));
$("#refresh").addEventListener("click", guard(refreshSession));
$("#anonymous").addEventListener("click", guard(listAnonymously));
