// The till page: scan field (keyboard-wedge scanner, camera, typed code), the customer card's
// actions and the PIN sheet. Every action attempt carries one request id, kept across the PIN
// retry and "send a new PIN", so a double tap or a retried request is applied once.
(function () {
  "use strict";

  var root = document.getElementById("till");
  if (!root) return;
  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("scan");
  var notice = document.getElementById("notice");
  var panel = document.getElementById("panel");
  var recent = document.getElementById("recent");
  var emptyPanel = panel.innerHTML;
  var NETWORK_ERROR = "No connection. Try again: it will not be applied twice.";
  var UNEXPECTED = "Something went wrong. Reload the page and try again.";

  // --- helpers ---------------------------------------------------------------------------
  function newRequestId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(
        function (body) { return { status: response.status, body: body }; },
        function () { return { status: response.status, body: { error: "unexpected", message: UNEXPECTED } }; }
      );
    });
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function showResult(text, isError) {
    var result = panel.querySelector("[data-result]");
    if (!result) { showNotice(text); return; }
    result.textContent = text;
    result.classList.toggle("error", !!isError);
    result.hidden = !text;
  }

  function focusScan() {
    if (sheet.hidden) scanInput.focus();
  }

  function isTyping(element) {
    return element && /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }

  // --- finding the customer ----------------------------------------------------------------
  function find(value) {
    var data = new FormData(scanForm);
    data.set("scan", value);
    showNotice("");
    return post(root.dataset.findUrl, data).then(function (r) {
      if (r.status === 200) {
        panel.innerHTML = r.body.card;
        scanInput.value = "";
        var amount = panel.querySelector("#earn-amount");
        if (amount) amount.focus();
        return;
      }
      if (r.status === 401) { window.location.reload(); return; }
      showNotice(r.body.message || UNEXPECTED);
      scanInput.select();
    }, function () { showNotice(NETWORK_ERROR); });
  }

  scanForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = scanInput.value.trim();
    if (value) find(value);
  });

  // A keyboard-wedge scanner types wherever the focus is: send stray keystrokes to the field.
  document.addEventListener("keydown", function (event) {
    if (!sheet.hidden) { pinKey(event); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (!isTyping(document.activeElement)) scanInput.focus();
  });

  // --- the camera (BarcodeDetector where the browser has it) --------------------------------
  var camera = {
    start: document.getElementById("camera-start"),
    stop: document.getElementById("camera-stop"),
    box: document.getElementById("camera"),
    video: document.getElementById("camera-video"),
    unavailable: document.getElementById("camera-unavailable"),
    stream: null,
    detector: null,
  };

  function cameraUnavailable() {
    camera.start.hidden = true;
    camera.unavailable.hidden = false;
  }

  function stopCamera() {
    if (camera.stream) camera.stream.getTracks().forEach(function (track) { track.stop(); });
    camera.stream = null;
    camera.box.hidden = true;
  }

  function detectLoop() {
    if (!camera.stream) return;
    camera.detector.detect(camera.video).then(function (codes) {
      if (codes.length && camera.stream) {
        stopCamera();
        scanInput.value = codes[0].rawValue;
        find(codes[0].rawValue);
      } else {
        window.setTimeout(detectLoop, 200);
      }
    }, function () { window.setTimeout(detectLoop, 400); });
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        camera.stream = stream;
        camera.video.srcObject = stream;
        camera.box.hidden = false;
        return camera.video.play();
      })
      .then(detectLoop, function () {
        stopCamera();
        showNotice("The camera could not be opened. Use the scanner instead.");
      });
  }

  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) { cameraUnavailable(); return; }
      camera.detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      camera.start.hidden = false;
    }, cameraUnavailable);
  } else {
    cameraUnavailable();
  }
  camera.start.addEventListener("click", startCamera);
  camera.stop.addEventListener("click", stopCamera);

  // --- actions -----------------------------------------------------------------------------
  function describe(form) {
    var data = new FormData(form);
    return (form.dataset.what || "").replace(/\{(\w+)\}/g, function (_, name) {
      var value = String(data.get(name) || "");
      if (name === "card_type") return value === "stamp" ? "stamps" : "points";
      return value;
    });
  }

  function setBusy(form, busy) {
    form.dataset.busy = busy ? "1" : "";
    form.querySelectorAll("button").forEach(function (button) { button.disabled = busy; });
  }

  function runAction(form, pin) {
    if (form.dataset.busy) return;  // a double tap while the first is on its way
    if (!form.dataset.requestId) form.dataset.requestId = newRequestId();
    var data = new FormData(form);
    data.set("request_id", form.dataset.requestId);
    if (data.has("amount")) data.set("amount", String(data.get("amount")).replace(",", ".").trim());
    if (pin) data.set("pin", pin);
    setBusy(form, true);
    sheetBusy(true);
    post(form.dataset.action, data).then(function (r) {
      setBusy(form, false);
      sheetBusy(false);
      answered(form, r);
    }, function () {
      setBusy(form, false);
      sheetBusy(false);
      if (!sheet.hidden) { pinStatus(NETWORK_ERROR); return; }
      showResult(NETWORK_ERROR, true);
    });
  }

  function answered(form, r) {
    var body = r.body;
    if (r.status === 200) {
      closeSheet();
      panel.innerHTML = body.card;
      recent.innerHTML = body.recent;
      showResult(body.message, false);
      return;
    }
    if (r.status === 401) { window.location.reload(); return; }
    if (body.error === "pin_required") { openSheet(form, body); return; }
    if (body.error === "pin_invalid") { pinMiss(body); return; }
    if (body.error === "pin_expired" || body.error === "pin_attempts_exceeded") {
      pinDead(body.message);
      return;
    }
    closeSheet();
    showResult(body.message || UNEXPECTED, true);
  }

  panel.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    runAction(form, null);
  });

  panel.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close]");
    if (close) {
      panel.innerHTML = emptyPanel;
      showNotice("");
      scanInput.focus();
      return;
    }
    var step = event.target.closest("[data-step]");
    if (step) {
      var input = step.parentNode.querySelector("input");
      var next = (parseInt(input.value, 10) || 0) + parseInt(step.dataset.step, 10);
      var max = parseInt(input.max, 10) || next;
      input.value = String(Math.min(Math.max(next, 1), max));
    }
  });

  // --- the PIN sheet -----------------------------------------------------------------------
  var sheet = document.getElementById("pin-sheet");
  var pinEls = {
    what: document.getElementById("pin-what"),
    boxes: document.getElementById("pin-boxes"),
    status: document.getElementById("pin-status"),
    attempts: document.getElementById("pin-attempts"),
    countdown: document.getElementById("pin-countdown"),
    pad: document.getElementById("pin-pad"),
    resend: document.getElementById("pin-resend"),
  };
  var pinState = { form: null, digits: "", length: 4, expiresAt: 0, timer: null, dead: false, busy: false };

  function renderBoxes() {
    var html = "";
    for (var i = 0; i < pinState.length; i++) {
      var filled = i < pinState.digits.length;
      html += '<span class="pin-box' + (filled ? " filled" : "") + '">' + (filled ? "•" : "") + "</span>";
    }
    pinEls.boxes.innerHTML = html;
  }

  function pinStatus(text) { pinEls.status.textContent = text || ""; }

  function attemptsText(left) {
    return left + " attempt" + (left === 1 ? "" : "s") + " left";
  }

  function tick() {
    var seconds = Math.max(0, Math.ceil((pinState.expiresAt - Date.now()) / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    pinEls.countdown.textContent = "Expires in " + minutes + ":" + (rest < 10 ? "0" : "") + rest;
    if (seconds === 0 && !pinState.dead) pinDead("The PIN has expired. Send a new PIN.");
  }

  function openSheet(form, body) {
    pinState.form = form;
    pinState.length = body.pin_length || parseInt(root.dataset.pinLength, 10) || 4;
    pinState.digits = "";
    pinState.dead = false;
    pinState.expiresAt = Date.now() + (body.expires_in || 0) * 1000;
    pinEls.what.textContent = describe(form);
    pinEls.attempts.textContent = attemptsText(body.remaining_attempts);
    pinEls.attempts.classList.remove("warn");
    pinEls.resend.hidden = true;
    pinEls.pad.classList.remove("off");
    pinStatus("");
    renderBoxes();
    window.clearInterval(pinState.timer);
    pinState.timer = window.setInterval(tick, 250);
    tick();
    sheet.hidden = false;
  }

  function closeSheet() {
    window.clearInterval(pinState.timer);
    pinState.form = null;
    sheet.hidden = true;
  }

  function pinMiss(body) {
    pinState.digits = "";
    renderBoxes();
    pinEls.attempts.textContent = attemptsText(body.remaining_attempts);
    pinEls.attempts.classList.add("warn");
    pinStatus("Wrong PIN. Try again.");
  }

  function pinDead(message) {
    pinState.dead = true;
    pinState.digits = "";
    renderBoxes();
    window.clearInterval(pinState.timer);
    pinEls.countdown.textContent = "";
    pinEls.attempts.textContent = "";
    pinEls.pad.classList.add("off");
    pinEls.resend.hidden = false;
    pinStatus(message);
  }

  function sheetBusy(busy) { pinState.busy = busy; }

  function pressDigit(digit) {
    if (pinState.dead || pinState.busy || pinState.digits.length >= pinState.length) return;
    pinState.digits += digit;
    renderBoxes();
    if (pinState.digits.length === pinState.length) runAction(pinState.form, pinState.digits);
  }

  function deleteDigit() {
    if (pinState.busy) return;
    pinState.digits = pinState.digits.slice(0, -1);
    renderBoxes();
  }

  function pinKey(event) {
    if (/^[0-9]$/.test(event.key)) { event.preventDefault(); pressDigit(event.key); }
    else if (event.key === "Backspace") { event.preventDefault(); deleteDigit(); }
    else if (event.key === "Escape") { closeSheet(); focusScan(); }
  }

  pinEls.pad.addEventListener("click", function (event) {
    var key = event.target.closest("button");
    if (!key) return;
    if (key.dataset.digit !== undefined) pressDigit(key.dataset.digit);
    else if (key.hasAttribute("data-clear")) deleteDigit();
    else if (key.hasAttribute("data-cancel")) { closeSheet(); focusScan(); }
  });

  pinEls.resend.addEventListener("click", function () {
    if (pinState.form) runAction(pinState.form, null);  // same request id: a fresh PIN
  });

  scanInput.focus();
})();
