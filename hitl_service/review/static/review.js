/* Task page: relays the sandboxed task frame's crowd-form answer to the reviewer API, keeps the
 * lease alive with heartbeats, shows the time left, and opens the next task after a submit. */
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('task-config').textContent);
  var frame = document.getElementById('task-frame');
  var errorBox = document.getElementById('task-error');
  var timer = document.getElementById('time-left');
  var submitBtn = document.getElementById('submit-btn');
  var releaseBtn = document.getElementById('release-btn');
  var expiresAt = Date.parse(config.expiresAt);
  var deadlineAt = Date.parse(config.deadlineAt);
  var api = '/review/api/assignments/' + encodeURIComponent(config.token);

  function call(path, body) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': config.csrf},
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) { var e = new Error(data.Message || ('HTTP ' + resp.status)); e.data = data; throw e; }
        return data;
      });
    });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() { errorBox.hidden = true; errorBox.textContent = ''; }

  function fmt(ms) {
    if (ms <= 0) return '0:00';
    var s = Math.floor(ms / 1000), m = Math.floor(s / 60);
    return m + ':' + String(s % 60).padStart(2, '0');
  }

  function tick() {
    var left = deadlineAt - Date.now();
    timer.textContent = 'Time left ' + fmt(left);
    timer.classList.toggle('low', left < 60000);
    if (Date.now() > expiresAt) {
      timer.textContent = 'Lease ended';
      submitBtn.disabled = true;
    }
  }

  function heartbeat() {
    call(api + '/heartbeat').then(function (data) {
      expiresAt = Date.parse(data.expiresAt);
      deadlineAt = Date.parse(data.deadlineAt);
    }).catch(function (e) {
      showError(e.message);
      submitBtn.disabled = true;
    });
  }

  function next() {
    return call('/review/api/assignments/claim').then(function (data) {
      if (data.assignment) {
        window.location.assign('/review/task/' + encodeURIComponent(data.assignment.token));
      } else {
        window.location.assign('/review/queue?message=' + encodeURIComponent('All done: no more tasks are waiting.'));
      }
    });
  }

  function recentGesture() {
    return !!(navigator.userActivation && navigator.userActivation.isActive);
  }

  // 'idle' -> 'requesting' (asked the frame for its answer) -> 'saving' (posting it) -> next task
  var state = 'idle';
  var retry = null;

  function stopAsking() { if (retry) { clearInterval(retry); retry = null; } }

  function toIdle() { stopAsking(); state = 'idle'; submitBtn.disabled = false; }

  function askFrame() {
    frame.contentWindow.postMessage({type: 'crowd-form-request-submit'}, '*');
  }

  // The keyboard works from the moment the task opens: focus moves into the task's first widget,
  // unless the reviewer has already put it somewhere on this page.
  var focused = false;
  function focusTask() {
    if (focused) return;
    focused = true;
    var active = document.activeElement;
    if (active && active !== document.body && active !== frame) return;
    frame.focus();
    frame.contentWindow.postMessage({type: 'crowd-focus'}, '*');
  }
  frame.addEventListener('load', focusTask);

  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow || !event.data || typeof event.data !== 'object') return;
    var msg = event.data;
    if (msg.type === 'crowd-form-ready') focusTask();
    if (msg.type === 'crowd-form-invalid') {
      toIdle();
      var errs = (msg.errors || []).map(function (e) { return e.message; }).join(' ');
      showError(errs || 'Please complete the required fields.');
    } else if (msg.type === 'crowd-form-blocked') {
      showError(msg.message || 'The task tried to submit without you. Check the answer, then press Submit.');
    } else if (msg.type === 'crowd-form-cancelled') {
      toIdle();
    } else if (msg.type === 'crowd-form-submit') {
      if (state === 'saving') return;  // a duplicate of the answer being saved
      // An answer nobody asked for (the template's own button or script) counts only right after a
      // reviewer gesture: a click or key in the frame activates this page too (user activation v2).
      if (state !== 'requesting' && !recentGesture()) {
        showError('The task tried to submit without you. Check the answer, then press Submit.');
        return;
      }
      stopAsking();
      state = 'saving';
      submitBtn.disabled = true;
      clearError();
      call(api + '/submit', {answerContent: msg.answer || {}}).then(function () {
        window.__hitlSubmitted = (window.__hitlSubmitted || 0) + 1;
        return next();
      }).catch(function (e) {
        toIdle();
        showError('Your answer was not saved: ' + e.message);
      });
    }
  });

  submitBtn.addEventListener('click', function () {
    if (state !== 'idle') return;
    clearError();
    state = 'requesting';
    submitBtn.disabled = true;
    // the frame may still be loading: ask again until it answers (valid, invalid or cancelled)
    var tries = 0;
    askFrame();
    retry = setInterval(function () {
      tries += 1;
      if (tries >= 15) {
        toIdle();
        showError('The task did not respond. Reload the page, or release the task if it does not load.');
        return;
      }
      askFrame();
    }, 700);
  });

  releaseBtn.addEventListener('click', function () {
    releaseBtn.disabled = true;
    var reason = document.getElementById('release-reason');
    call(api + '/release', {reason: reason ? reason.value : ''}).then(function () {
      window.location.assign('/review/queue?message=' + encodeURIComponent('Task released: it is back in the queue, and other reviewers get it first.'));
    }).catch(function (e) { releaseBtn.disabled = false; showError(e.message); });
  });

  tick();
  setInterval(tick, 1000);
  setInterval(heartbeat, 20000);
})();
