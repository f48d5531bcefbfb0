// The page of the example server's browser mode. It never sees a token: the
// access and refresh tokens live in HttpOnly cookies that the browser sends
// by itself. The page reads only the two CSRF cookies, and repeats the right
// one in the X-CSRF-TOKEN header of every request that changes something
// (double submit); a page of another origin cannot read them, so it cannot
// make such a request in the user's name.
"use strict";

const csrfHeader = "X-CSRF-TOKEN";
const accessCSRF = "csrf_access_token"; // for requests that carry the access cookie
const refreshCSRF = "csrf_refresh_token"; // for /app/auth/, which gets the refresh cookie

const $ = (id) => document.getElementById(id);

let user = ""; // the user name of the profile shown, for logging in again
let pending = null; // the action waiting for the password, as a function

// cookie returns the value of the named cookie this page may read, "" if none.
function cookie(name) {
  for (const part of document.cookie.split("; ")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq) === name) {
      return decodeURIComponent(part.slice(eq + 1));
    }
  }
  return "";
}

// challengeError returns the error code of a 401's WWW-Authenticate
// challenge (RFC 6750 §3): "invalid_token" for an expired, revoked or broken
// token, "insufficient_user_authentication" when a fresh login is needed
// (RFC 9470), "" when the request carried no token.
function challengeError(res) {
  const m = /(?:^|[\s,])error="([^"]*)"/.exec(res.headers.get("WWW-Authenticate") || "");
  return m ? m[1] : "";
}

// send makes one request; csrfCookie names the CSRF cookie to echo, if any.
function send(method, path, body, csrfCookie) {
  const headers = {};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (csrfCookie) {
    headers[csrfHeader] = cookie(csrfCookie);
  }
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
}

// refresh trades the refresh cookie for a new access cookie. Requests that
// find the access token expired at the same moment share one refresh.
let refreshing = null;
function refresh() {
  if (!refreshing) {
    refreshing = send("POST", "/app/auth/refresh", undefined, refreshCSRF)
      .then((res) => res.ok, () => false)
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

// call makes a request with the access cookie. When the server answers
// 401 invalid_token, it refreshes silently and retries once. That is how an
// expired access token shows: the cookies carry no Expires, so the browser
// keeps sending the token and the server says it expired. (A revoked token
// gets the same answer; its refresh fails too, and the login form shows.)
// The retry reads the CSRF cookie again, because the refresh replaced it.
async function call(method, path, body) {
  const csrf = method === "GET" ? "" : accessCSRF;
  let res = await send(method, path, body, csrf);
  if (res.status === 401 && challengeError(res) === "invalid_token" && await refresh()) {
    res = await send(method, path, body, csrf);
  }
  return res;
}

function show(section, message) {
  for (const id of ["login", "profile", "reauth"]) {
    $(id).hidden = id !== section;
  }
  $("status").textContent = message || "";
}

function showLogin(message) {
  user = "";
  show("login", message);
  $("username").focus();
}

async function loadProfile(message) {
  const res = await call("GET", "/app/profile");
  if (!res.ok) {
    showLogin(res.status === 401 ? "" : "The server could not be reached; try again.");
    return;
  }
  const p = await res.json();
  user = p.username;
  $("p-username").textContent = p.username;
  $("p-email").textContent = p.email;
  $("p-fresh").textContent = p.fresh ? "yes" : "no";
  $("p-login").textContent = new Date(p.logged_in_at).toLocaleString();
  show("profile", message);
  await loadSessions();
}

// loadSessions lists where the user is logged in, each with an "End"
// button. The text comes from the server (a User-Agent is anyone's to
// write), so it goes in with textContent, never as HTML.
async function loadSessions() {
  const res = await call("GET", "/app/sessions");
  if (!res.ok) {
    $("sessions").replaceChildren();
    $("sessions-status").textContent = "The sessions could not be loaded.";
    return;
  }
  const body = await res.json();
  // Built apart and put in at once, so that two loads racing each other
  // leave one list, not both.
  const items = [];
  for (const s of body.sessions) {
    const item = document.createElement("li");
    const labels = s.labels || {};
    const where = [labels.user_agent || "unknown device", labels.ip].filter(Boolean).join(", ");
    item.textContent = `${where}, logged in ${new Date(s.login_at).toLocaleString()}` +
      (s.last_refresh_at ? `, active ${new Date(s.last_refresh_at).toLocaleString()}` : "") +
      (s.current ? " (this browser) " : " ");
    const end = document.createElement("button");
    end.textContent = s.current ? "Log out here" : "End";
    end.className = "end-session";
    end.dataset.id = s.id;
    end.addEventListener("click", () => endSession(s.id, s.current));
    item.append(end);
    items.push(item);
  }
  $("sessions").replaceChildren(...items);
}

// endSession ends one session. Ending another needs a recent login (RFC
// 9470's answer asks for one); ending this browser's is a logout.
async function endSession(id, current) {
  $("sessions-status").textContent = "";
  const res = await call("DELETE", "/app/sessions/" + encodeURIComponent(id));
  if (res.ok) {
    if (current) {
      showLogin("Logged out.");
      return;
    }
    pending = null;
    await loadProfile("Session ended.");
    return;
  }
  if (needsLogin(res, () => endSession(id, current), "Ending another session needs a recent login. Enter your password again.")) {
    return;
  }
  const body = await res.json().catch(() => ({}));
  $("sessions-status").textContent = body.error_description || "The session was not ended.";
  if (res.status === 404) {
    await loadSessions();
  }
}

// needsLogin handles a 401: the password form when the token is good but
// not fresh (then action runs again after it), the login form when the
// session is over. It returns false for any other answer.
function needsLogin(res, action, why) {
  if (res.status !== 401) {
    return false;
  }
  if (challengeError(res) === "insufficient_user_authentication") {
    pending = action;
    $("reauth-why").textContent = why;
    $("reauth-error").textContent = "";
    show("reauth");
    $("reauth-password").focus();
    return true;
  }
  showLogin("Your session has ended; log in again.");
  return true;
}

// login posts the credentials; the answer sets the cookies. It returns ""
// on success, else what to tell the user.
async function login(username, password) {
  const res = await send("POST", "/app/login", { username, password });
  if (!res.ok) {
    return res.status === 400 ? "Wrong user name or password." : "The login failed; try again.";
  }
  if (!cookie(accessCSRF)) {
    // The server set the cookies and the browser dropped them: they are
    // Secure, and the page came over plain http from a host other than
    // localhost.
    return "Logged in, but the browser kept no cookie: open the page over https or on localhost, or start the server with -insecure-cookies.";
  }
  return "";
}

async function changeEmail(email) {
  const res = await call("POST", "/app/change-email", { email });
  if (res.ok) {
    pending = null;
    $("new-email").value = "";
    await loadProfile("Email changed.");
    return;
  }
  // RFC 9470: a 401 insufficient_user_authentication means the token is
  // good, but not from a recent enough login.
  if (needsLogin(res, () => changeEmail(email), "Changing your email needs a recent login. Enter your password again.")) {
    return;
  }
  const body = await res.json().catch(() => ({}));
  $("email-status").textContent = body.error_description || "The email was not changed.";
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const failed = await login($("username").value, $("password").value);
  $("login-error").textContent = failed;
  if (failed) {
    return;
  }
  $("password").value = "";
  await loadProfile();
});

$("reload").addEventListener("click", () => loadProfile());

$("email-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("email-status").textContent = "";
  await changeEmail($("new-email").value);
});

$("reauth-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const failed = await login(user, $("reauth-password").value);
  $("reauth-error").textContent = failed;
  if (failed) {
    return;
  }
  $("reauth-password").value = "";
  const action = pending;
  pending = null;
  if (action) {
    await action();
  }
});

$("reauth-cancel").addEventListener("click", () => {
  pending = null;
  $("reauth-password").value = "";
  loadProfile();
});

$("logout").addEventListener("click", async () => {
  await send("POST", "/app/auth/logout", undefined, refreshCSRF).catch(() => {});
  showLogin("Logged out.");
});

loadProfile();
