/* The customer dashboard: live PINs and balances over /ws/me/, state from /me/api/state. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) return;

  var STATE_URL = root.dataset.stateUrl;
  var WS_PATH = root.dataset.wsPath;
  var ORG_NAME = root.dataset.orgName;
  var ROTATING = root.dataset.rotating === "1";
  var POLL_LIVE_MS = 60000;       // fallback refresh while the socket is up
  var POLL_OFFLINE_MS = 15000;    // ... and while it is down
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var STEP_MS = 30000;

  var challenges = {};            // challenge_id -> challenge (with description when known)
  var ended = {};                 // challenge_id -> true: never show these again
  var socket = null;
  var backoff = BACKOFF_MIN_MS;
  var reconnectTimer = null;
  var qrTimer = null;
  var qrExpiresAt = 0;
  var fetching = false;
  var fetchAgain = false;
  var lastFetch = 0;
  var clockOffset = 0;            // the server's clock minus this device's, when they disagree

  /* Server time: expiries come from the server, so a phone with a wrong clock still counts
     down correctly. */
  function serverNow() { return Date.now() + clockOffset; }

  function learnClock(response, startedAt) {
    var date = Date.parse(response.headers.get("Date") || "");
    if (isNaN(date)) return;
    var offset = date + 500 - (startedAt + Date.now()) / 2;  // Date has whole seconds
    clockOffset = Math.abs(offset) > 1500 ? offset : 0;
  }

  function $(selector, scope) { return (scope || root).querySelector(selector); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(count, word) { return count + " " + word + (count === 1 ? "" : "s"); }

  function formatDate(iso, withTime) {
    var date = new Date(iso);
    if (isNaN(date)) return iso;
    var options = { day: "numeric", month: "short" };
    if (date.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; }
    return date.toLocaleString(undefined, options);
  }

  /* Used only when a PIN arrives through the state API, which has no description field. */
  function fallbackDescription(challenge) {
    var verbs = { earn: "Earn", redeem: "Redeem", coupon_redeem: "Redeem a coupon", adjust: "Adjust" };
    var verb = verbs[challenge.action] || "Confirm";
    var amount = challenge.action === "coupon_redeem" ? "" : " " + (challenge.amount || "");
    return (verb + amount).trim() + " at " + ORG_NAME;
  }

  // --- balances, QR and coupons ------------------------------------------------------------
  function setText(selector, value) {
    var node = $(selector);
    if (node && node.textContent !== String(value)) node.textContent = value;
  }

  /* Rows of at most eight dots, as even as possible (10 -> 5 + 5). */
  function dotColumns(goal) {
    var rows = Math.ceil(goal / 8);
    return Math.ceil(goal / rows);
  }

  function renderBalances(points, stamps, goal) {
    setText("[data-points]", points);
    setText("[data-stamps]", stamps);
    var dots = $("[data-dots]");
    if (!dots || !goal) return;
    setText("[data-stamp-goal]", goal);
    dots.textContent = "";
    dots.style.setProperty("--cols", dotColumns(goal));
    for (var i = 0; i < goal; i++) dots.appendChild(el("span", i < stamps ? "dot filled" : "dot"));
  }

  function renderName(name) {
    var wrap = $("[data-name-wrap]");
    if (!wrap) return;
    wrap.hidden = !name;
    setText("[data-name]", name || "");
  }

  function renderQr(qr) {
    var image = $("[data-qr-image]");
    if (image.dataset.payload !== qr.payload) {
      image.src = qr.image;
      image.dataset.payload = qr.payload;
    }
    qrExpiresAt = Date.parse(qr.expires_at);
    var expiry = $("[data-qr-expiry]");
    if (expiry) {
      expiry.setAttribute("datetime", qr.expires_at);
      expiry.textContent = formatDate(qr.expires_at, true);
    }
    scheduleQrRefresh();
  }

  /* Fetch a fresh QR when this one stops being valid; clamped so a wrong client clock
     still gets a new rotating code every step. */
  function scheduleQrRefresh() {
    clearTimeout(qrTimer);
    var wait = qrExpiresAt - serverNow() + 300;
    var max = ROTATING ? STEP_MS : 24 * 3600 * 1000;
    wait = Math.min(Math.max(wait, 1000), max);
    qrTimer = setTimeout(refreshState, wait);
  }

  function couponNode(coupon) {
    var node = el("article", "coupon status-" + coupon.status);
    node.dataset.couponId = coupon.id;
    var text = el("div", "coupon-text");
    text.appendChild(el("h3", "", coupon.name));
    var note = coupon.status === "issued"
      ? "Use by " + formatDate(coupon.expires_at, false)
      : coupon.status.charAt(0).toUpperCase() + coupon.status.slice(1);
    text.appendChild(el("p", "muted", note));
    node.appendChild(text);
    if (coupon.image) {
      var image = el("img", "coupon-qr");
      image.src = coupon.image;
      image.alt = "QR code for " + coupon.name;
      image.dataset.payload = coupon.qr_token;
      node.appendChild(image);
    }
    return node;
  }

  function renderCoupons(coupons) {
    var list = $("[data-coupons]");
    var signature = JSON.stringify(coupons.map(function (c) { return [c.id, c.status]; }));
    $("[data-coupons-section]").hidden = coupons.length === 0;
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    list.textContent = "";
    coupons.forEach(function (coupon) { list.appendChild(couponNode(coupon)); });
  }

  // --- the PIN panel -----------------------------------------------------------------------
  function pinNode(challenge) {
    var node = el("article", "pin");
    node.dataset.challengeId = challenge.challenge_id;
    node.dataset.expiresAt = challenge.expires_at;
    node.appendChild(el("p", "pin-label", "Show or tell this PIN to the cashier"));
    var digits = el("p", "pin-digits", challenge.pin);
    digits.setAttribute("data-pin", "");
    node.appendChild(digits);
    var description = el("p", "pin-description", challenge.description || fallbackDescription(challenge));
    description.setAttribute("data-description", "");
    node.appendChild(description);
    var meta = el("div", "pin-meta");
    var countdown = el("span", "", "\u00a0");
    countdown.setAttribute("data-countdown", "");
    var attempts = el("span", "", plural(challenge.remaining_attempts, "attempt") + " left");
    attempts.setAttribute("data-attempts", "");
    meta.appendChild(countdown);
    meta.appendChild(attempts);
    node.appendChild(meta);
    var bar = el("div", "bar");
    var fill = el("span");
    fill.setAttribute("data-bar", "");
    bar.appendChild(fill);
    node.appendChild(bar);
    return node;
  }

  function renderChallenges() {
    var list = $("[data-pin-list]");
    var now = serverNow();
    var live = Object.keys(challenges)
      .map(function (id) { return challenges[id]; })
      .filter(function (c) { return !ended[c.challenge_id] && Date.parse(c.expires_at) > now; })
      .sort(function (a, b) { return (b.receivedAt || 0) - (a.receivedAt || 0); });
    var signature = JSON.stringify(live.map(function (c) {
      return [c.challenge_id, c.pin, c.remaining_attempts, c.description || ""];
    }));
    if (list.dataset.signature !== signature) {
      list.dataset.signature = signature;
      list.textContent = "";
      live.forEach(function (challenge) { list.appendChild(pinNode(challenge)); });
    }
    $("[data-pin-panel]").hidden = live.length === 0;
    tick();
  }

  function endChallenge(id) {
    ended[id] = true;
    delete challenges[id];
    renderChallenges();
  }

  /* Once a second: PIN countdowns, the rotating QR's countdown, and local expiry. */
  function tick() {
    var now = serverNow();
    var expiredAny = false;
    Array.prototype.forEach.call(root.querySelectorAll(".pin"), function (node) {
      var challenge = challenges[node.dataset.challengeId];
      var left = Math.max(0, Math.ceil((Date.parse(node.dataset.expiresAt) - now) / 1000));
      node.querySelector("[data-countdown]").textContent =
        "Expires in " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      var total = challenge && challenge.ttl ? challenge.ttl : 120;
      node.querySelector("[data-bar]").style.transform = "scaleX(" + Math.min(1, left / total) + ")";
      if (left === 0) expiredAny = true;
    });
    if (expiredAny) {
      Object.keys(challenges).forEach(function (id) {
        if (Date.parse(challenges[id].expires_at) <= now) endChallenge(id);
      });
    }
    var qrCountdown = $("[data-qr-countdown]");
    if (qrCountdown) {
      var qrLeft = Math.max(0, Math.min(STEP_MS, qrExpiresAt - now));
      qrCountdown.textContent = Math.ceil(qrLeft / 1000);
      $("[data-qr-bar]").style.transform = "scaleX(" + qrLeft / STEP_MS + ")";
    }
  }

  function addChallenge(challenge, receivedAt) {
    if (ended[challenge.challenge_id]) return;
    var known = challenges[challenge.challenge_id] || {};
    var merged = Object.assign({}, known, challenge);
    merged.description = challenge.description || known.description;
    merged.receivedAt = known.receivedAt || receivedAt;
    merged.ttl = known.ttl || Math.max(1, (Date.parse(challenge.expires_at) - serverNow()) / 1000);
    challenges[challenge.challenge_id] = merged;
  }

  // --- state from the server ---------------------------------------------------------------
  function applyState(state, startedAt) {
    renderName(state.name);
    renderBalances(state.points, state.stamps, state.stamp_goal);
    renderQr(state.qr);
    renderCoupons(state.coupons);
    var pending = {};
    state.challenges.forEach(function (challenge) {
      pending[challenge.challenge_id] = true;
      addChallenge(challenge, startedAt);
    });
    // Drop what the server no longer lists, unless it was pushed after this fetch began.
    Object.keys(challenges).forEach(function (id) {
      if (!pending[id] && challenges[id].receivedAt <= startedAt) delete challenges[id];
    });
    renderChallenges();
  }

  function refreshState() {
    if (fetching) { fetchAgain = true; return; }
    fetching = true;
    var startedAt = Date.now();
    lastFetch = startedAt;
    fetch(STATE_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload();  // the session ended: show the logged-out page
          return null;
        }
        if (!response.ok) throw new Error("state " + response.status);
        learnClock(response, startedAt);
        return response.json();
      })
      .then(function (state) { if (state) applyState(state, startedAt); })
      .catch(function () { /* the next poll or reconnect tries again */ })
      .then(function () {
        fetching = false;
        if (fetchAgain) { fetchAgain = false; refreshState(); }
      });
  }

  // --- the socket --------------------------------------------------------------------------
  function setLive(on) {
    var badge = $("[data-live]");
    badge.classList.toggle("on", on);
    badge.textContent = on ? "Live" : "Reconnecting";
    badge.title = on ? "Updates arrive by themselves" : "Trying to reconnect";
  }

  function handleMessage(message) {
    var now = Date.now();
    if (message.type === "challenge.issued" && message.challenge) {
      addChallenge(message.challenge, now);
      renderChallenges();
      if (navigator.vibrate) navigator.vibrate(80);
    } else if (message.type === "challenge.ended") {
      endChallenge(message.challenge_id);
      refreshState();
    } else if (message.type === "balance.changed") {
      if (typeof message.points === "number") {
        var goal = Number(($("[data-stamp-goal]") || {}).textContent) || 0;
        renderBalances(message.points, message.stamps, goal);
      }
      refreshState();  // coupons may have been issued too
    }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (socket && socket.readyState <= 1) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + WS_PATH);
    socket.onopen = function () {
      backoff = BACKOFF_MIN_MS;
      setLive(true);
      refreshState();  // catch up on anything pushed while we were away
    };
    socket.onmessage = function (event) {
      try { handleMessage(JSON.parse(event.data)); } catch (error) { /* ignore malformed */ }
    };
    socket.onclose = function () {
      setLive(false);
      socket = null;
      var wait = backoff * (0.75 + Math.random() * 0.5);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      reconnectTimer = setTimeout(connect, wait);
    };
  }

  function poll() {
    var live = socket && socket.readyState === 1;
    if (Date.now() - lastFetch >= (live ? POLL_LIVE_MS : POLL_OFFLINE_MS)) refreshState();
  }

  // --- start -------------------------------------------------------------------------------
  Array.prototype.forEach.call(root.querySelectorAll(".pin"), function (node) {
    addChallenge({
      challenge_id: node.dataset.challengeId,
      pin: $("[data-pin]", node).textContent,
      description: $("[data-description]", node).textContent,
      expires_at: node.dataset.expiresAt,
      remaining_attempts: parseInt($("[data-attempts]", node).textContent, 10)
    }, Date.now());
  });
  var refreshButton = $("[data-qr-refresh]");
  if (refreshButton) refreshButton.addEventListener("click", refreshState);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    refreshState();
    connect();
  });
  setInterval(tick, 1000);
  setInterval(poll, 5000);
  refreshState();
  connect();
})();
