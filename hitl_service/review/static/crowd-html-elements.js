/*
 * hitl-service: Crowd HTML Elements.
 *
 * Our own, from-scratch implementation of the custom elements that AWS task
 * templates use (<crowd-form>, <crowd-classifier>, <crowd-bounding-box>, ...).
 * Served in place of AWS's loader script.  Plain JS, no build step, no
 * external fetches.  Runs inside a sandboxed iframe without same-origin, so it
 * never touches storage or cookies.
 *
 * Contract with the embedding page (all via window.postMessage):
 *   iframe -> parent  {type:'crowd-form-ready'}                   once the DOM is parsed and a crowd-form exists
 *                                                                 (right after the document event 'all-crowd-elements-ready')
 *   iframe -> parent  {type:'crowd-form-submit', answer:{...}}    a valid, non-cancelled submission
 *   iframe -> parent  {type:'crowd-form-invalid', errors:[{name,label,message}]}   validation blocked a submission
 *   iframe -> parent  {type:'crowd-form-cancelled'}              a submit handler called preventDefault()
 *   iframe -> parent  {type:'crowd-form-blocked', message}       template script submitted without a reviewer gesture
 *   parent -> iframe  {type:'crowd-form-request-submit'}          run the same path as the Submit button
 *   parent -> iframe  {type:'crowd-focus'}                       focus the task's first widget or field
 */
(function () {
  'use strict';

  if (!window.customElements || customElements.get('crowd-form')) return;
  // the parts in static/crowd/ are loaded from next to this script
  var SELF_SRC = document.currentScript ? document.currentScript.src : '';
  // document.write only works from a parser-blocking script (not async, not defer)
  var WRITE_PARTS = document.readyState === 'loading' && !!document.currentScript &&
    !document.currentScript.async && !document.currentScript.defer;
  var PARTS = ['crowd/v2.js', 'crowd/segmentation.js', 'crowd/review-widgets.js', 'crowd/video.js'];

  // ------------------------------------------------------------------ utils
  var PALETTE = ['#e6194b', '#2f8f3a', '#4363d8', '#f58231', '#911eb4', '#0f9fb8',
    '#d61fb5', '#9a6324', '#469990', '#808000', '#e6a100', '#5b5bd6'];
  var SVGNS = 'http://www.w3.org/2000/svg';

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        var v = attrs[k];
        if (v == null || v === false) continue;
        if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    el.append(c instanceof Node ? c : String(c));
  }
  function svg(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) if (attrs[k] != null) el.setAttribute(k, String(attrs[k]));
    return el;
  }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function whenParsed(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn, { once: true });
    else fn();
  }
  function post(msg) {
    try { window.parent.postMessage(msg, '*'); } catch (e) { /* detached */ }
  }
  function fire(el, type) { el.dispatchEvent(new Event(type, { bubbles: true })); }
  function isPlainObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function merge(out, name, val) {
    if (isPlainObject(out[name]) && isPlainObject(val)) Object.assign(out[name], val);
    else out[name] = val;
  }
  function hexA(color, alpha) {
    var a = Math.round(alpha * 255).toString(16);
    return color + (a.length < 2 ? '0' + a : a);
  }

  // Lenient parser for attribute values: JSON first, then a JS-style literal
  // (single quotes, unquoted keys, trailing commas).  Never evaluates code.
  function parseLoose(src) {
    if (src == null) return undefined;
    var s = String(src).trim();
    if (!s) return undefined;
    try { return JSON.parse(s); } catch (e) { /* fall through */ }
    var i = 0;
    function fail() { throw new SyntaxError('cannot parse attribute value at ' + i); }
    function ws() { while (i < s.length && /\s/.test(s[i])) i++; }
    function str() {
      var q = s[i++], out = '';
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\') {
          i++;
          var e = s[i++];
          if (e === 'u') { out += String.fromCharCode(parseInt(s.substr(i, 4), 16)); i += 4; }
          else out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' })[e] || e;
        } else out += s[i++];
      }
      if (s[i] !== q) fail();
      i++;
      return out;
    }
    function value() {
      ws();
      var c = s[i];
      if (c === '[') {
        i++; var a = []; ws();
        while (s[i] !== ']') {
          if (i >= s.length) fail();
          a.push(value()); ws();
          if (s[i] === ',') { i++; ws(); } else if (s[i] !== ']') fail();
        }
        i++; return a;
      }
      if (c === '{') {
        i++; var o = {}; ws();
        while (s[i] !== '}') {
          if (i >= s.length) fail();
          var k;
          if (s[i] === '"' || s[i] === "'") k = str();
          else {
            var km = /^[A-Za-z_$][\w$-]*/.exec(s.slice(i));
            if (!km) fail();
            k = km[0]; i += k.length;
          }
          ws(); if (s[i] !== ':') fail(); i++;
          o[k] = value(); ws();
          if (s[i] === ',') { i++; ws(); } else if (s[i] !== '}') fail();
        }
        i++; return o;
      }
      if (c === '"' || c === "'") return str();
      var m = /^(-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|true|false|null|undefined)/.exec(s.slice(i));
      if (!m) fail();
      i += m[0].length;
      if (m[0] === 'true') return true;
      if (m[0] === 'false') return false;
      if (m[0] === 'null' || m[0] === 'undefined') return null;
      return Number(m[0]);
    }
    var v = value(); ws();
    if (i < s.length) fail();
    return v;
  }
  function tryParse(src) {
    try { return parseLoose(src); } catch (e) { return undefined; }
  }
  // A list of strings: JSON / JS-style array, a single string, or "a, b, c".
  function parseList(src) {
    if (src == null || !String(src).trim()) return [];
    var v = tryParse(src);
    if (v === undefined) return String(src).split(',').map(function (x) { return x.trim(); }).filter(Boolean);
    if (!Array.isArray(v)) v = [v];
    return v.map(function (x) {
      if (isPlainObject(x)) return String(x.label != null ? x.label : (x.text != null ? x.text : (x.value != null ? x.value : '')));
      return x == null ? '' : String(x);
    });
  }
  function cpCount(s) { var n = 0; for (var _ of s) n++; return n; } // eslint-disable-line no-unused-vars
  function cpToU16(text, cp) {
    var u = 0, n = 0;
    for (var ch of text) { if (n >= cp) return u; u += ch.length; n++; }
    return u;
  }
  function u16ToCp(text, u) { return cpCount(text.slice(0, u)); }

  // ------------------------------------------------------------------ styles
  var CSS = [
    ':host{display:block;box-sizing:border-box;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328}',
    ':host([hidden]){display:none!important}',
    ':host(crowd-button),:host(crowd-badge),:host(crowd-icon-button),:host(crowd-fab),:host(crowd-toggle-button),:host(crowd-modal){display:inline-block;vertical-align:middle}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    'button{font:inherit}',
    '.hdr{font-size:18px;font-weight:600;margin:0 0 12px;line-height:1.3}',
    '.ptitle{font-size:12px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:#5b6472;margin:0 0 8px}',
    '.btn{display:inline-flex;align-items:center;justify-content:center;gap:6px;border:1px solid #c5ccd6;background:#fff;color:#1f2328;border-radius:6px;padding:6px 16px;min-height:34px;cursor:pointer;line-height:1.2;text-decoration:none}',
    '.btn:hover{background:#f2f4f7}',
    '.btn:focus-visible,.cat:focus-visible,.lab:focus-visible,.check:focus-visible{outline:2px solid #0b6bcb;outline-offset:2px}',
    '.btn.primary{background:#0b6bcb;border-color:#0b6bcb;color:#fff;font-weight:600}',
    '.btn.primary:hover{background:#0a5cae}',
    '.btn.link{border-color:transparent;background:none;color:#0b6bcb;text-decoration:underline;padding:6px 4px}',
    '.btn[disabled]{opacity:.5;cursor:not-allowed}',
    '.linkbtn{background:none;border:0;padding:0;color:#0b6bcb;cursor:pointer;text-decoration:underline;font:inherit}',
    '.err{display:flex;gap:8px;align-items:flex-start;color:#b42318;font-size:13px;margin-top:8px;font-weight:500}',
    '.err::before{content:"!";flex:0 0 18px;height:18px;border-radius:50%;background:#b42318;color:#fff;font-weight:700;font-size:12px;display:inline-flex;align-items:center;justify-content:center}',
    '.note{color:#5b6472;font-size:13px;margin-top:6px}',
    '.panel{background:#f6f8fa;border:1px solid #e1e5ea;border-radius:8px;padding:12px}',
    '.overlay{position:fixed;inset:0;background:rgba(15,23,42,.5);display:flex;align-items:center;justify-content:center;z-index:2147483000;padding:24px}',
    '.modal{background:#fff;border-radius:10px;width:min(820px,100%);max-height:88vh;display:flex;flex-direction:column;box-shadow:0 20px 50px rgba(0,0,0,.3)}',
    '.modal>header{display:flex;align-items:center;justify-content:space-between;gap:12px;padding:12px 16px;border-bottom:1px solid #e1e5ea;font-weight:600;font-size:16px}',
    '.modal>.body{padding:16px 18px;overflow:auto}',
    '.x{border:0;background:none;font-size:22px;line-height:1;cursor:pointer;color:#5b6472;padding:2px 6px;border-radius:4px}',
    '.x:hover{background:#eef1f5;color:#1f2328}',
    /* two-column widget layout */
    '.layout{display:flex;gap:18px;align-items:flex-start;margin:2px 0 16px}',
    '.side{flex:0 0 auto;width:260px;display:flex;flex-direction:column;gap:12px;min-width:0}',
    '.main{flex:1 1 auto;min-width:0}',
    '@media (max-width:720px){.layout{flex-direction:column;align-items:stretch}.side{flex-basis:auto;width:100%}}',
    '.instr .short{font-size:13px;color:#30363d}',
    '.instr .linkbtn{margin-top:8px;font-size:13px}',
    /* classifiers */
    '.work{display:grid;grid-template-columns:minmax(0,1fr) minmax(200px,280px);gap:18px;align-items:start}',
    '@media (max-width:720px){.work{grid-template-columns:1fr}}',
    '.target{border:1px solid #e1e5ea;border-radius:8px;padding:16px;background:#fff;font-size:16px;overflow:auto;min-height:60px}',
    '.target.empty{display:none}',
    '.ovw{position:relative}',
    '.ovl{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}',
    '.cimg{display:block;width:auto;min-width:min(100%,360px);max-width:100%;max-height:70vh;object-fit:contain;margin:0 auto;border-radius:6px;background:#f6f8fa}',
    '.cats{display:flex;flex-direction:column;gap:8px}',
    '.cat{display:flex;align-items:center;gap:10px;width:100%;text-align:left;border:1px solid #c5ccd6;background:#fff;border-radius:8px;padding:9px 12px;cursor:pointer;color:#1f2328;min-height:40px}',
    '.cat:hover{border-color:#8fb3dc;background:#f7fbff}',
    '.cat .mark{flex:0 0 18px;height:18px;border-radius:50%;border:2px solid #8a94a3;background:#fff}',
    '.multi .cat .mark{border-radius:4px}',
    '.cat[aria-checked="true"]{border-color:#0b6bcb;background:#eaf3fd;box-shadow:inset 0 0 0 1px #0b6bcb}',
    '.cat[aria-checked="true"] .mark{border-color:#0b6bcb;background:radial-gradient(circle,#0b6bcb 0 4px,#fff 5px)}',
    '.multi .cat[aria-checked="true"] .mark{background:#0b6bcb;box-shadow:inset 0 0 0 2px #fff}',
    '.cat .ctext{flex:1 1 auto;overflow-wrap:anywhere}',
    '.cat .key{flex:0 0 auto;min-width:22px;height:22px;padding:0 5px;border-radius:4px;background:#eef1f5;color:#5b6472;font-size:12px;display:inline-flex;align-items:center;justify-content:center}',
    '.cat.excl{border-style:dashed}',
    '.comment{margin-top:12px}',
    '.comment textarea{width:100%;margin-top:6px}',
    ':host([invalid]) .cats .cat{border-color:#e4a3a0}',
    /* form fields */
    '.fwrap{display:flex;flex-direction:column;gap:4px;margin:6px 0}',
    '.flabel{font-weight:600;font-size:13px;color:#30363d}',
    '.field,textarea{font:inherit;color:#1f2328;border:1px solid #c5ccd6;border-radius:6px;padding:7px 10px;background:#fff;width:100%}',
    'textarea{resize:vertical;line-height:1.45}',
    '.field:focus,textarea:focus{outline:none;border-color:#0b6bcb;box-shadow:0 0 0 3px rgba(11,107,203,.18)}',
    '.field:disabled,textarea:disabled{background:#f2f4f7;color:#6b7380}',
    ':host([invalid]) .field,:host([invalid]) textarea{border-color:#b42318}',
    '.counter{align-self:flex-end;font-size:12px;color:#5b6472}',
    /* checkbox, radio, toggle */
    '.check{display:inline-flex;align-items:center;gap:8px;cursor:pointer;user-select:none;padding:3px 0;vertical-align:top}',
    ':host(crowd-checkbox){display:inline-block;margin-right:18px}',
    ':host([disabled]) .check{cursor:not-allowed;opacity:.55}',
    '.box-el{flex:0 0 18px;width:18px;height:18px;border:2px solid #8a94a3;border-radius:4px;background:#fff;display:inline-flex;align-items:center;justify-content:center;color:#fff;font-size:13px;font-weight:700}',
    '.box-el[aria-checked="true"]{background:#0b6bcb;border-color:#0b6bcb}',
    '.box-el[aria-checked="true"]::after{content:"\\2713"}',
    '.box-el.round{border-radius:50%}',
    '.box-el.round[aria-checked="true"]{background:radial-gradient(circle,#0b6bcb 0 4px,#fff 5px)}',
    '.box-el.round[aria-checked="true"]::after{content:""}',
    ':host([invalid]) .box-el{border-color:#b42318}',
    '.switch{flex:0 0 38px;width:38px;height:22px;border-radius:11px;background:#b7bec9;position:relative;transition:background .15s}',
    '.switch::after{content:"";position:absolute;top:3px;left:3px;width:16px;height:16px;border-radius:50%;background:#fff;transition:left .15s;box-shadow:0 1px 2px rgba(0,0,0,.3)}',
    '.switch[aria-checked="true"]{background:#0b6bcb}',
    '.switch[aria-checked="true"]::after{left:19px}',
    '.rgroup{display:flex;flex-direction:column;gap:4px}',
    /* slider */
    '.slider{display:flex;align-items:center;gap:10px;margin:6px 0}',
    '.slider input[type=range]{flex:1 1 auto;accent-color:#0b6bcb;min-width:120px}',
    '.slider .lim{font-size:12px;color:#5b6472}',
    '.slider .val{min-width:44px;text-align:center;font-weight:600;background:#eef1f5;border-radius:6px;padding:3px 8px}',
    '.slider input[type=number]{width:90px}',
    /* image annotation */
    '.swrap{width:100%;overflow:auto;background:#f6f8fa;border:1px solid #e1e5ea;border-radius:8px;padding:8px;text-align:center}',
    '.stage{position:relative;display:inline-block;line-height:0;vertical-align:top;user-select:none;-webkit-user-select:none}',
    '.simg{display:block;max-width:none;user-select:none;-webkit-user-drag:none;pointer-events:none}',
    '.ssvg{position:absolute;inset:0;width:100%;height:100%;overflow:visible;pointer-events:none}',
    '.lower-canvas,.upper-canvas{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}',
    '.slayer{position:absolute;inset:0;cursor:crosshair;touch-action:none;outline:none}',
    '.slayer:focus-visible{box-shadow:0 0 0 2px #0b6bcb}',
    '.bbox{position:absolute;border:2px solid var(--c);background:var(--bg);cursor:move}',
    '.bbox.sel{border-width:3px;box-shadow:0 0 0 1px #fff}',
    '.tag{position:absolute;left:-2px;top:-20px;background:var(--c);color:#fff;font-size:11px;line-height:18px;padding:0 6px;border-radius:3px 3px 3px 0;white-space:nowrap;pointer-events:none;max-width:200px;overflow:hidden;text-overflow:ellipsis}',
    '.hdl{position:absolute;width:10px;height:10px;background:#fff;border:2px solid var(--c);border-radius:2px;margin:-5px 0 0 -5px}',
    '.hdl[data-h="nw"],.hdl[data-h="se"]{cursor:nwse-resize}',
    '.hdl[data-h="ne"],.hdl[data-h="sw"]{cursor:nesw-resize}',
    '.kp{position:absolute;width:14px;height:14px;margin:-7px 0 0 -7px;border-radius:50%;background:var(--c);border:2px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.5);cursor:move}',
    '.kp.sel{box-shadow:0 0 0 3px var(--c)}',
    '.kp .tag{left:12px;top:-8px;border-radius:3px}',
    '.vx{position:absolute;width:10px;height:10px;margin:-5px 0 0 -5px;border-radius:50%;background:#fff;border:2px solid var(--c);cursor:move}',
    '.vx.first{width:14px;height:14px;margin:-7px 0 0 -7px;background:var(--c);cursor:pointer}',
    '.drawing .vx{pointer-events:none}',
    '.drawing .vx.first{pointer-events:auto}',
    '.labs{display:flex;flex-direction:column;gap:6px}',
    '.lab{display:flex;align-items:center;gap:8px;border:1px solid #c5ccd6;background:#fff;border-radius:6px;padding:6px 10px;cursor:pointer;text-align:left;color:#1f2328;width:100%}',
    '.lab:hover{background:#f7fbff}',
    '.lab[aria-checked="true"]{border-color:var(--c);box-shadow:inset 0 0 0 1px var(--c);background:#fff}',
    '.lab .sw{flex:0 0 14px;height:14px;border-radius:3px;background:var(--c)}',
    '.lab .ltext{flex:1 1 auto;overflow-wrap:anywhere}',
    '.lab .key{font-size:11px;color:#5b6472;background:#eef1f5;border-radius:3px;padding:0 5px}',
    '.items{display:flex;flex-direction:column;gap:4px;max-height:260px;overflow:auto}',
    '.item{display:flex;align-items:center;gap:6px;font-size:13px;padding:3px 4px;border-radius:4px}',
    '.item.sel{background:#eaf3fd}',
    '.item .sw{flex:0 0 10px;height:10px;border-radius:2px;background:var(--c)}',
    '.item .itext{flex:1 1 auto;cursor:pointer;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;border:0;background:none;padding:0;font:inherit;color:inherit;text-align:left}',
    '.item .itext:focus-visible{outline:2px solid #0b6bcb;outline-offset:1px}',
    '.item select{font:inherit;font-size:12px;max-width:110px}',
    '.item .x{font-size:16px}',
    '.empty-list{font-size:13px;color:#6b7380}',
    '.hint{font-size:12px;color:#5b6472;margin:6px 2px 0}',
    /* entity annotation */
    '.etext{white-space:pre-wrap;font-size:16px;line-height:2.1;border:1px solid #e1e5ea;border-radius:8px;padding:14px 16px;background:#fff;cursor:text;overflow-wrap:anywhere}',
    '.ent{background:var(--bg);border-bottom:2px solid var(--c);border-radius:3px;padding:2px 0}',
    '.etag{display:inline-block;user-select:none;-webkit-user-select:none;font-size:11px;line-height:16px;background:var(--c);color:#fff;border-radius:3px;padding:0 4px;margin-left:3px;vertical-align:2px;cursor:pointer}',
    '.etag:hover{filter:brightness(.9)}',
    /* alert, card, tabs, misc */
    '.alert{display:flex;gap:10px;align-items:flex-start;border:1px solid var(--c);border-left-width:5px;background:var(--bg);border-radius:6px;padding:10px 12px;margin:6px 0}',
    '.alert .aicon{flex:0 0 20px;height:20px;border-radius:50%;background:var(--c);color:#fff;font-weight:700;font-size:13px;display:inline-flex;align-items:center;justify-content:center}',
    '.alert .abody{flex:1 1 auto;min-width:0}',
    '.alert .x{margin:-3px -4px -3px 0;font-size:20px}',
    '.card{border:1px solid #e1e5ea;border-radius:10px;background:#fff;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.06);margin:6px 0}',
    '.card .cimgw{background:#f6f8fa;border-bottom:1px solid #e1e5ea}',
    '.card img{display:block;max-width:100%;max-height:320px;margin:0 auto}',
    '.card .cardh{font-size:17px;font-weight:600;padding:14px 16px 0}',
    '.card .cardb{padding:12px 16px 16px}',
    '.tabbar{display:flex;gap:2px;border-bottom:1px solid #d0d5dd;margin-bottom:12px;flex-wrap:wrap}',
    '.tabbtn{border:0;background:none;padding:8px 14px;cursor:pointer;color:#5b6472;border-bottom:3px solid transparent;margin-bottom:-1px;font-weight:500}',
    '.tabbtn:hover{color:#1f2328}',
    '.tabbtn[aria-selected="true"]{color:#0b6bcb;border-bottom-color:#0b6bcb}',
    '.cinstr{margin:6px 0}',
    '.cinstr .chead{display:flex;align-items:center;justify-content:space-between;gap:12px;margin-bottom:6px}',
    '.exh{font-size:14px;margin:16px 0 6px;padding-bottom:4px;border-bottom:2px solid}',
    '.exh.pos{color:#2e7d32;border-color:#2e7d32}',
    '.exh.neg{color:#b42318;border-color:#b42318}',
    '.badge{display:inline-flex;align-items:center;gap:4px;background:#0b6bcb;color:#fff;border-radius:10px;font-size:12px;padding:1px 8px;font-weight:600}',
    '.fab{width:52px;height:52px;border-radius:50%;border:0;background:#0b6bcb;color:#fff;font-size:22px;cursor:pointer;box-shadow:0 3px 8px rgba(0,0,0,.3)}',
    '.ibtn{border:0;background:none;border-radius:50%;width:34px;height:34px;font-size:18px;cursor:pointer;color:#30363d}',
    '.ibtn:hover{background:#eef1f5}',
    '.fab[disabled],.ibtn[disabled]{opacity:.45;cursor:not-allowed}',
    '.toast{position:fixed;left:50%;bottom:24px;transform:translateX(-50%);background:#1f2328;color:#fff;padding:10px 18px;border-radius:8px;box-shadow:0 6px 20px rgba(0,0,0,.3);z-index:2147483000;max-width:90vw}',
    '.unsup{border:1px dashed #b26a00;background:#fff8e6;color:#6b4400;border-radius:8px;padding:12px}',
    /* crowd-form */
    '.banner{position:sticky;top:0;z-index:50;display:flex;gap:10px;align-items:flex-start;border:1px solid #b42318;border-left-width:5px;background:#fdecea;color:#7a1a12;border-radius:6px;padding:10px 12px;margin:0 0 12px}',
    '.banner ul{margin:4px 0 0;padding-left:18px}',
    '.banner .abody{flex:1 1 auto}',
    '.footer{margin-top:18px;display:flex;justify-content:flex-end}'
  ].join('\n');

  var DOC_CSS = [
    'short-instructions,full-instructions,classification-target,worker-comment,short-summary,detailed-instructions,positive-example,negative-example{display:block}',
    '.crowd-native-error{display:block;color:#b42318;font:500 13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:4px 0 8px}',
    '.crowd-native-error::before{content:"! ";font-weight:700}',
    '.crowd-native-invalid{outline:2px solid #b42318;outline-offset:1px}',
    '.crowd-page-alert{position:fixed;top:12px;left:50%;transform:translateX(-50%);z-index:2147483000;display:flex;gap:12px;align-items:flex-start;max-width:min(640px,92vw);background:#fff8e6;border:1px solid #b26a00;border-left-width:5px;color:#4a3000;border-radius:6px;padding:10px 12px;box-shadow:0 6px 20px rgba(0,0,0,.2);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;white-space:pre-wrap}',
    '.crowd-page-alert button{border:0;background:none;font-size:18px;line-height:1;cursor:pointer;color:#4a3000}'
  ].join('\n');

  var sharedSheet = null;
  // parts add their rules here; an existing sheet is updated in place for every element that adopted it
  function addCss(rules) {
    CSS += '\n' + rules;
    if (sharedSheet) sharedSheet.replaceSync(CSS);
  }
  function adopt(root) {
    try {
      if (!sharedSheet) { sharedSheet = new CSSStyleSheet(); sharedSheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sharedSheet];
    } catch (e) {
      root.append(h('style', null, CSS));
    }
  }
  function injectDocStyles() {
    if (document.getElementById('crowd-elements-doc-css')) return;
    var st = h('style', { id: 'crowd-elements-doc-css' }, DOC_CSS);
    (document.head || document.documentElement).appendChild(st);
  }
  injectDocStyles();

  // ------------------------------------------------------------------ shared widgets
  function makeModal(title) {
    var titleEl = h('span', null, title || '');
    var body = h('div', { class: 'body' });
    var closeBtn = h('button', { type: 'button', class: 'x', 'aria-label': 'Close' }, '\u00d7');
    var ov = h('div', { class: 'overlay', hidden: true },
      h('div', { class: 'modal awsui-modal-dialog', role: 'dialog', 'aria-modal': 'true' }, h('header', null, titleEl, closeBtn), body));
    function close() { ov.hidden = true; }
    closeBtn.addEventListener('click', close);
    ov.addEventListener('click', function (e) { if (e.target === ov) close(); });
    ov.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.stopPropagation(); close(); } });
    return {
      el: ov, body: body, close: close,
      open: function () { ov.hidden = false; closeBtn.focus(); },
      setTitle: function (t) { titleEl.textContent = t; }
    };
  }

  function errEl() { return h('div', { class: 'err', role: 'alert', hidden: true }); }

  // Side panel showing <short-instructions>, with a modal for <full-instructions>.
  function instructionsPanel(host) {
    var shortSlot = h('slot'), fullSlot = h('slot');
    var modal = makeModal('Full instructions');
    modal.body.append(fullSlot);
    var more = h('button', { type: 'button', class: 'linkbtn' }, 'View full instructions');
    more.addEventListener('click', function () { modal.open(); });
    var panel = h('section', { class: 'panel instr', hidden: true },
      h('h3', { class: 'ptitle' }, 'Instructions'), h('div', { class: 'short' }, shortSlot), more);
    return {
      panel: panel, modal: modal, shortSlot: shortSlot, fullSlot: fullSlot,
      update: function () {
        var sh = host.querySelector(':scope > short-instructions');
        var fu = host.querySelector(':scope > full-instructions');
        panel.hidden = !sh && !fu;
        more.hidden = !fu;
        modal.setTitle((fu && fu.getAttribute('header')) || 'Full instructions');
      }
    };
  }

  // ------------------------------------------------------------------ base class
  class CrowdBase extends HTMLElement {
    connectedCallback() {
      if (!this._built) {
        this._built = true;
        var self = this;
        this._setup();
        // A template script may have set properties before this element was upgraded.
        ['value', 'checked', 'disabled'].forEach(function (p) {
          if (Object.prototype.hasOwnProperty.call(self, p)) {
            var v = self[p]; delete self[p]; self[p] = v;
          }
        });
        if (this._regions) {
          this._assign();
          new MutationObserver(function () { self._assign(); }).observe(this, { childList: true });
        }
        whenParsed(function () { if (self._ready) self._ready(); });
      }
    }
    attributeChangedCallback(name, oldV, newV) {
      if (this._built && oldV !== newV && this._attr) this._attr(name);
    }
    _shadow(manual) {
      var r = this.attachShadow(manual ? { mode: 'open', slotAssignment: 'manual' } : { mode: 'open' });
      adopt(r);
      return r;
    }
    // Manual slot assignment: children go to slots by tag name ('*' = the rest).
    _assign() {
      var map = this._regions, buckets = new Map();
      for (var c of Array.from(this.childNodes)) {
        var key = c.nodeType === 1 ? c.localName : (c.nodeType === 3 && c.data.trim() ? '#text' : null);
        if (!key) continue;
        var slot = Object.prototype.hasOwnProperty.call(map, key) ? map[key] : map['*'];
        if (!slot) continue;
        if (!buckets.has(slot)) buckets.set(slot, []);
        buckets.get(slot).push(c);
      }
      new Set(Object.values(map)).forEach(function (s) { if (s) s.assign.apply(s, buckets.get(s) || []); });
      if (this._regionsChanged) this._regionsChanged();
    }
    get name() { return this.getAttribute('name') || ''; }
    set name(v) { this.setAttribute('name', v); }
    get required() { return this.hasAttribute('required'); }
    set required(v) { this.toggleAttribute('required', !!v); }
    get disabled() { return this.hasAttribute('disabled'); }
    set disabled(v) { this.toggleAttribute('disabled', !!v); }
    _crowdLabel() {
      return this.getAttribute('header') || this.getAttribute('label') || this.getAttribute('name') || this.localName;
    }
    _crowdSetError(msg) {
      if (this._err) { this._err.hidden = !msg; this._err.textContent = msg || ''; }
      this.toggleAttribute('invalid', !!msg);
    }
    _clearErrorIfValid() {
      if (this.hasAttribute('invalid') && this._crowdValidate && !this._crowdValidate()) this._crowdSetError(null);
    }
    _changed() {
      this._clearErrorIfValid();
      fire(this, 'change');
    }
    // the answer fragment for this element (what goes under its name)
    get _submittableValue() { return this.value; }
  }

  // ------------------------------------------------------------------ crowd-form
  function isNativeField(el) {
    var t = el.localName;
    return t === 'input' || t === 'select' || t === 'textarea';
  }
  var SKIP_TYPES = { submit: 1, button: 1, reset: 1, image: 1, file: 1 };

  function collectNative(el, out) {
    if (el.disabled || !el.name) return;
    var type = (el.type || '').toLowerCase();
    if (el.localName === 'input') {
      if (SKIP_TYPES[type]) return;
      if (type === 'checkbox' || type === 'radio') {
        var o = {}; o[el.value] = !!el.checked; merge(out, el.name, o); return;
      }
      if (el.value !== '') out[el.name] = el.value;
    } else if (el.localName === 'select') {
      if (el.multiple) out[el.name] = Array.from(el.selectedOptions).map(function (x) { return x.value; });
      else if (el.value !== '') out[el.name] = el.value;
    } else if (el.value !== '') {
      out[el.name] = el.value;
    }
  }

  function revealInTabs(el) {
    var tab = el.closest('crowd-tab');
    while (tab) {
      var tabs = tab.parentElement;
      if (tabs && tabs._selectTab) tabs._selectTab(tab);
      tab = tabs ? tabs.closest('crowd-tab') : null;
    }
  }

  class CrowdForm extends CrowdBase {
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._bannerList = h('ul');
      this._banner = h('div', { class: 'banner', role: 'alert', hidden: true },
        h('div', { class: 'abody' }, h('strong', null, 'Please fix the following before submitting:'), this._bannerList));
      this._autoBtn = h('button', { type: 'button', class: 'btn primary', part: 'submit-button' }, 'Submit');
      this._footer = h('div', { class: 'footer', hidden: true }, this._autoBtn);
      // AWS's crowd-form wraps a native <form> that templates reach as `crowdForm.form` to append their
      // own inputs or listen for 'submit'; ours lives in the shadow root and never navigates.
      this._form = h('form', { novalidate: true, part: 'form' });
      this._form.submit = function () { self.submit(); };
      this._form.requestSubmit = function () { self.requestSubmit(); };
      this._form.addEventListener('submit', function (e) {
        if (self._dispatchingInner) return;
        e.preventDefault();
        self.requestSubmit();
      });
      this._form.addEventListener('click', function (e) { self._onClick(e); });
      this._form.addEventListener('change', function () { if (!self._banner.hidden) self.validate(true); });
      r.append(this._banner, h('slot'), this._form, this._footer);
      this._autoBtn.addEventListener('click', function () { self.requestSubmit(); });
      this.addEventListener('click', function (e) { self._onClick(e); });
      // a native <form> nested in the task must not navigate the frame away: treat it as our submit
      this.addEventListener('submit', function (e) {
        if (e.target === self || !e.target || e.target.localName !== 'form') return;
        e.preventDefault();
        e.stopPropagation();
        self.requestSubmit();
      }, true);
      var recheck = function () { if (!self._banner.hidden) self.validate(true); };
      this.addEventListener('change', recheck);
      this.addEventListener('input', recheck);
      this._updateAutoButton();
      new MutationObserver(function () { self._updateAutoButton(); }).observe(this, { childList: true, subtree: true, attributes: true, attributeFilter: ['form-action', 'type'] });
    }
    _ready() { this._updateAutoButton(); }
    get form() { return this._form; }
    // every element whose answer this form collects: its light DOM, what templates appended to .form,
    // and, for a form an element brought along (standalone use), that element itself
    _fields() {
      var list = Array.from(this.querySelectorAll('*'));
      if (this._form) list = list.concat(Array.from(this._form.querySelectorAll('*')));
      if (this._owner) list.unshift(this._owner);
      return list;
    }
    _submitControls() {
      var sel = 'crowd-button[form-action="submit"], button[type="submit" i], input[type="submit" i]';
      var own = Array.from(this.querySelectorAll(sel));
      return this._form ? own.concat(Array.from(this._form.querySelectorAll(sel))) : own;
    }
    _updateAutoButton() { this._footer.hidden = this._submitControls().length > 0; }
    _onClick(e) {
      var path = e.composedPath();
      for (var i = 0; i < path.length; i++) {
        var n = path[i];
        if (n === this) break;
        if (!(n instanceof Element)) continue;
        var tag = n.localName;
        if (tag === 'crowd-button' && n.getAttribute('form-action') === 'submit') {
          e.preventDefault();
          if (!n.hasAttribute('disabled')) this.requestSubmit(n);
          return;
        }
        if ((tag === 'button' || tag === 'input') && (n.getAttribute('type') || '').toLowerCase() === 'submit' &&
            (this.contains(n) || (this._form && this._form.contains(n)))) {
          e.preventDefault();
          if (!n.disabled) this.requestSubmit(n);
          return;
        }
      }
    }
    // Fires the cancelable submit event (like HTMLFormElement.requestSubmit).
    requestSubmit(submitter) { return this._doSubmit(true, submitter || null, false); }
    // Like HTMLFormElement.submit(): no submit event (so handlers may call it), but still validates.
    submit() { return this._doSubmit(false, null, false); }
    _doSubmit(fireEvent, submitter, askedByPage) {
      if (this._busy) return false;
      // the template's own script may submit only right after a reviewer's click or key in the frame
      if (!askedByPage && navigator.userActivation && !navigator.userActivation.isActive) {
        post({ type: 'crowd-form-blocked', message: 'The task tried to submit without you. Check the answer, then press Submit.' });
        return false;
      }
      var errors = this.validate(false);
      if (errors.length) {
        post({ type: 'crowd-form-invalid', errors: errors });
        return false;
      }
      if (fireEvent) {
        var ev;
        try { ev = new SubmitEvent('submit', { bubbles: true, cancelable: true, submitter: null }); }
        catch (x) { ev = new Event('submit', { bubbles: true, cancelable: true }); }
        if (submitter && submitter instanceof HTMLElement && ev.submitter === null) {
          try { Object.defineProperty(ev, 'submitter', { value: submitter }); } catch (x) { /* ignore */ }
        }
        if (!this.dispatchEvent(ev)) {
          post({ type: 'crowd-form-cancelled' });
          return false;
        }
        // listeners templates put on the inner .form run too, and may cancel as well
        var inner = new Event('submit', { bubbles: true, cancelable: true });
        this._dispatchingInner = true;
        var go = this._form.dispatchEvent(inner);
        this._dispatchingInner = false;
        if (!go) {
          post({ type: 'crowd-form-cancelled' });
          return false;
        }
      }
      var answer = this.collect();
      var self = this;
      this._busy = true;
      setTimeout(function () { self._busy = false; }, 1500);
      post({ type: 'crowd-form-submit', answer: answer });
      return true;
    }
    collect() {
      var out = {};
      var all = this._fields();
      for (var i = 0; i < all.length; i++) {
        var el = all[i];
        if (el._crowdCollect) {
          if (!el.hasAttribute('disabled')) el._crowdCollect(out);
        } else if (isNativeField(el)) {
          collectNative(el, out);
        }
      }
      return JSON.parse(JSON.stringify(out));
    }
    // Returns [{name, label, message}]; shows messages unless `quiet` (only re-checking shown ones).
    validate(quiet) {
      var errors = [], firstEl = null, seenRadio = {};
      var all = this._fields();
      all.forEach(function (n) {
        if (n.classList.contains('crowd-native-error')) n.remove();
        else n.classList.remove('crowd-native-invalid');
      });
      all = this._fields();
      for (var i = 0; i < all.length; i++) {
        var el = all[i], msg = null, label = null;
        if (el._crowdValidate) {
          if (el.hasAttribute('disabled')) { el._crowdSetError(null); continue; }
          msg = el._crowdValidate();
          if (quiet && !el.hasAttribute('invalid')) msg = null;
          el._crowdSetError(msg);
          label = el._crowdLabel();
        } else if (isNativeField(el) && !el.disabled && el.willValidate) {
          if (el.type === 'radio') { if (seenRadio[el.name]) continue; seenRadio[el.name] = 1; }
          if (!el.checkValidity()) {
            msg = el.validationMessage || 'Please fill out this field.';
            label = nativeLabel(el);
            el.classList.add('crowd-native-invalid');
            var note = h('span', { class: 'crowd-native-error', role: 'alert' }, msg);
            var anchor = el;
            if (el.parentElement && el.parentElement.localName === 'label') anchor = el.parentElement;
            anchor.after(note);
            el.addEventListener('input', clearNative, { once: true });
            el.addEventListener('change', clearNative, { once: true });
          }
        }
        if (msg) {
          errors.push({ name: el.getAttribute('name') || null, label: label, message: msg });
          if (!firstEl) firstEl = el;
        }
      }
      this._bannerList.textContent = '';
      var self = this;
      errors.forEach(function (er) { self._bannerList.append(h('li', null, (er.label ? er.label + ' \u2014 ' : '') + er.message)); });
      this._banner.hidden = errors.length === 0;
      if (firstEl && !quiet) {
        revealInTabs(firstEl);
        try { firstEl.scrollIntoView({ block: 'center' }); } catch (x) { /* ignore */ }
        try { if (firstEl._crowdFocus) firstEl._crowdFocus(); else firstEl.focus({ preventScroll: true }); } catch (x) { /* ignore */ }
      }
      return errors;
    }
  }
  function clearNative() {
    this.classList.remove('crowd-native-invalid');
    var n = this.nextElementSibling;
    if (this.parentElement && this.parentElement.localName === 'label') n = this.parentElement.nextElementSibling;
    if (n && n.classList.contains('crowd-native-error')) n.remove();
  }
  function nativeLabel(el) {
    if (el.labels && el.labels.length) return el.labels[0].textContent.trim().replace(/\s+/g, ' ').slice(0, 80);
    return el.getAttribute('aria-label') || el.getAttribute('placeholder') || el.name || el.localName;
  }

  // The task's form: the page's <crowd-form>, else the one an element brought along (standalone use).
  var standaloneForms = [];
  function mainForm() {
    return document.querySelector('crowd-form') || standaloneForms.filter(function (f) { return f.isConnected; })[0] || null;
  }
  // An annotation widget used without <crowd-form> brings its own, inside its shadow root, as AWS's do.
  function ownFormIfStandalone(host, content) {
    if (host.closest('crowd-form')) return content;
    var f = document.createElement('crowd-form');
    f._owner = host;
    f.append(content);
    standaloneForms.push(f);
    return f;
  }

  // Keyboard from the moment the task opens: the page hands focus to the frame and asks for this.
  function focusTask() {
    var form = mainForm(), scope = form || document.body;
    if (!scope) return;
    var fields = form ? form._fields() : Array.from(document.body.querySelectorAll('*'));
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      if (el._crowdFocus && !el.hasAttribute('disabled') && el.getClientRects().length) { el._crowdFocus(); return; }
    }
    var first = scope.querySelector('input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled]), button:not([disabled]), [tabindex]:not([tabindex="-1"])');
    if (first) first.focus({ preventScroll: true });
  }
  // Ctrl+Enter (Cmd+Enter) submits from anywhere in the task, as the Submit button does
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.defaultPrevented) return;
    var form = mainForm();
    if (!form || !form.requestSubmit) return;
    e.preventDefault();
    form.requestSubmit();
  });

  // Parent page asks us to submit (its own Submit button) or to take the focus.
  window.addEventListener('message', function (e) {
    if (e.source === window.parent && e.data && e.data.type === 'crowd-focus') { focusTask(); return; }
    if (e.source !== window.parent || !e.data || e.data.type !== 'crowd-form-request-submit') return;
    var form = mainForm();
    if (form && form._doSubmit) form._doSubmit(true, null, true);
    else post({ type: 'crowd-form-invalid', errors: [{ name: null, label: null, message: 'This task has no crowd-form.' }] });
  });

  // alert() is a silent no-op in a sandboxed frame without allow-modals; templates use it
  // to explain why they blocked a submission, so show the text in a page banner instead.
  try {
    window.alert = function (msg) {
      var old = document.querySelector('.crowd-page-alert');
      if (old) old.remove();
      var close = h('button', { type: 'button', 'aria-label': 'Close' }, '\u00d7');
      var box = h('div', { class: 'crowd-page-alert', role: 'alert' }, h('div', null, msg == null ? '' : String(msg)), close);
      close.addEventListener('click', function () { box.remove(); });
      (document.body || document.documentElement).appendChild(box);
    };
  } catch (e) { /* ignore */ }

  // ------------------------------------------------------------------ simple display elements
  class CrowdButton extends CrowdBase {
    static get observedAttributes() { return ['disabled', 'variant', 'form-action', 'icon']; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._slot = h('slot');
      this._fallback = h('span', { hidden: true }, 'Submit');
      this._btn = h('button', { type: 'button', class: 'btn', part: 'button' });
      this._icon = h('span', { 'aria-hidden': 'true' });
      this._btn.append(this._icon, this._slot, this._fallback);
      r.append(this._btn);
      this._slot.addEventListener('slotchange', function () { self._render(); });
      this.addEventListener('click', function (e) {
        if (self.hasAttribute('disabled')) { e.stopImmediatePropagation(); e.preventDefault(); }
      }, true);
      // a submit button placed outside <crowd-form> still submits the page's form
      this.addEventListener('click', function (e) {
        if (e.defaultPrevented || self.getAttribute('form-action') !== 'submit' || self.closest('crowd-form')) return;
        var form = mainForm();
        if (form && form.requestSubmit) form.requestSubmit(self);
      });
      this._render();
    }
    _attr() { this._render(); }
    _render() {
      var v = (this.getAttribute('variant') || 'normal').toLowerCase();
      this._btn.className = 'btn' + (v === 'primary' || v === 'cta' ? ' primary' : v === 'link' ? ' link' : '');
      this._btn.disabled = this.hasAttribute('disabled');
      var icon = this.getAttribute('icon');
      this._icon.textContent = icon ? iconGlyph(icon) : '';
      this._icon.hidden = !icon;
      var hasText = this._slot.assignedNodes().some(function (n) { return n.nodeType === 1 || n.textContent.trim(); });
      this._fallback.hidden = hasText || this.getAttribute('form-action') !== 'submit';
    }
    _crowdFocus() { this._btn.focus(); }
    focus() { if (this._btn) this._btn.focus(); }
  }
  var ICONS = { close: '\u00d7', clear: '\u00d7', cancel: '\u00d7', check: '\u2713', done: '\u2713', add: '+',
    remove: '\u2212', delete: '\u2716', edit: '\u270e', search: '\u2315', info: 'i', 'info-outline': 'i',
    help: '?', 'help-outline': '?', warning: '!', error: '!', 'arrow-back': '\u2190', 'arrow-forward': '\u2192',
    'arrow-upward': '\u2191', 'arrow-downward': '\u2193', 'chevron-left': '\u2039', 'chevron-right': '\u203a',
    star: '\u2605', 'star-border': '\u2606', favorite: '\u2665', menu: '\u2630', refresh: '\u21bb',
    undo: '\u21b6', redo: '\u21b7', 'zoom-in': '+', 'zoom-out': '\u2212', send: '\u27a4', flag: '\u2691' };
  function iconGlyph(name) { return ICONS[name] || ICONS[String(name).replace(/^.*:/, '')] || '\u2022'; }

  var ALERT_COLORS = { success: ['#2e7d32', '#edf7ee', '\u2713'], info: ['#0b6bcb', '#eaf3fd', 'i'],
    warning: ['#b26a00', '#fff8e6', '!'], error: ['#b42318', '#fdecea', '!'] };
  class CrowdAlert extends CrowdBase {
    static get observedAttributes() { return ['type', 'dismissible']; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._icon = h('span', { class: 'aicon', 'aria-hidden': 'true' });
      this._x = h('button', { type: 'button', class: 'x', 'aria-label': 'Dismiss' }, '\u00d7');
      this._x.addEventListener('click', function () { self.hidden = true; fire(self, 'crowd-alert-dismissed'); });
      this._box = h('div', { class: 'alert', role: 'alert' }, this._icon, h('div', { class: 'abody' }, h('slot')), this._x);
      r.append(this._box);
      this._attr();
    }
    _attr() {
      var c = ALERT_COLORS[(this.getAttribute('type') || 'info').toLowerCase()] || ALERT_COLORS.info;
      this._box.style.setProperty('--c', c[0]);
      this._box.style.setProperty('--bg', c[1]);
      this._icon.textContent = c[2];
      this._x.hidden = !this.hasAttribute('dismissible');
    }
  }

  class CrowdCard extends CrowdBase {
    static get observedAttributes() { return ['heading', 'image']; }
    _setup() {
      var r = this._shadow(false);
      this._img = h('img', { alt: '' });
      this._imgw = h('div', { class: 'cimgw' }, this._img);
      this._h = h('div', { class: 'cardh' });
      r.append(h('div', { class: 'card' }, this._imgw, this._h, h('div', { class: 'cardb' }, h('slot'))));
      this._attr();
    }
    _attr() {
      var img = this.getAttribute('image'), hd = this.getAttribute('heading');
      this._imgw.hidden = !img;
      if (img) this._img.src = img;
      this._h.hidden = !hd;
      this._h.textContent = hd || '';
    }
  }

  class CrowdBadge extends CrowdBase {
    static get observedAttributes() { return ['label', 'icon']; }
    _setup() {
      var r = this._shadow(false);
      this._b = h('span', { class: 'badge' });
      r.append(this._b);
      this._attr();
    }
    _attr() {
      var icon = this.getAttribute('icon');
      this._b.textContent = (icon ? iconGlyph(icon) + ' ' : '') + (this.getAttribute('label') || '');
    }
  }

  class CrowdIconButton extends CrowdBase {
    static get observedAttributes() { return ['icon', 'disabled', 'title']; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._b = h('button', { type: 'button', class: this._cls() });
      r.append(this._b);
      this.addEventListener('click', function (e) {
        if (self.hasAttribute('disabled')) { e.stopImmediatePropagation(); e.preventDefault(); }
      }, true);
      this._attr();
    }
    _cls() { return 'ibtn'; }
    _attr() {
      this._b.textContent = iconGlyph(this.getAttribute('icon') || '');
      this._b.disabled = this.hasAttribute('disabled');
      this._b.setAttribute('aria-label', this.getAttribute('title') || this.getAttribute('label') || this.getAttribute('icon') || 'button');
    }
  }
  class CrowdFab extends CrowdIconButton {
    static get observedAttributes() { return ['icon', 'disabled', 'title', 'label']; }
    _cls() { return 'fab'; }
    _attr() {
      super._attr();
      var lab = this.getAttribute('label');
      if (lab && !this.getAttribute('icon')) this._b.textContent = lab;
    }
  }

  class CrowdToast extends CrowdBase {
    static get observedAttributes() { return ['text', 'opened']; }
    _setup() {
      var r = this._shadow(false);
      this._t = h('div', { class: 'toast', role: 'status', hidden: true }, h('span'), h('slot'));
      r.append(this._t);
      this._attr('text');
      if (this.hasAttribute('opened')) this.show();
    }
    _attr(name) {
      this._t.firstChild.textContent = this.getAttribute('text') || '';
      if (name === 'opened') { if (this.hasAttribute('opened')) this.show(); else this.close(); }
    }
    show() {
      var self = this;
      if (!this._t) return;
      document.querySelectorAll('crowd-toast').forEach(function (t) { if (t !== self && t.close) t.close(); });
      this._t.hidden = false;
      clearTimeout(this._timer);
      var d = Number(this.getAttribute('duration'));
      if (isNaN(d) || !this.hasAttribute('duration')) d = 3000;
      if (d > 0) this._timer = setTimeout(function () { self.close(); }, d);
    }
    open() { this.show(); }
    close() { if (this._t) this._t.hidden = true; clearTimeout(this._timer); }
    get opened() { return !!this._t && !this._t.hidden; }
    set opened(v) { if (v) this.show(); else this.close(); }
  }

  class CrowdModal extends CrowdBase {
    static get observedAttributes() { return ['link-text', 'link-type', 'modal-title', 'title']; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._m = makeModal('');
      this._m.body.append(h('slot'));
      this._trigger = h('button', { type: 'button' });
      this._trigger.addEventListener('click', function () { self.open(); });
      r.append(this._trigger, this._m.el);
      this._attr();
    }
    _attr() {
      var type = (this.getAttribute('link-type') || 'link').toLowerCase();
      this._trigger.className = type === 'button' ? 'btn' : 'linkbtn';
      this._trigger.textContent = this.getAttribute('link-text') || 'Open';
      this._m.setTitle(this.getAttribute('modal-title') || this.getAttribute('title') || this.getAttribute('link-text') || '');
    }
    open() { if (this._m) this._m.open(); }
    show() { this.open(); }
    close() { if (this._m) this._m.close(); }
  }

  class CrowdInstructions extends CrowdBase {
    static get observedAttributes() { return ['link-text', 'link-type']; }
    _setup() {
      var self = this;
      var r = this._shadow(true);
      this._sum = h('slot'); this._det = h('slot'); this._pos = h('slot'); this._neg = h('slot');
      this._m = makeModal('Instructions');
      this._posH = h('h4', { class: 'exh pos' }, 'Good examples');
      this._negH = h('h4', { class: 'exh neg' }, 'Bad examples');
      this._m.body.append(this._det, this._posH, this._pos, this._negH, this._neg);
      this._trigger = h('button', { type: 'button' });
      this._trigger.addEventListener('click', function () { self.open(); });
      r.append(h('div', { class: 'panel cinstr' },
        h('div', { class: 'chead' }, h('strong', null, 'Instructions'), this._trigger),
        h('div', { class: 'csum' }, this._sum)), this._m.el);
      this._regions = { 'short-summary': this._sum, 'detailed-instructions': this._det,
        'positive-example': this._pos, 'negative-example': this._neg, '*': this._det };
      this._attr();
    }
    _regionsChanged() {
      this._posH.hidden = !this.querySelector(':scope > positive-example');
      this._negH.hidden = !this.querySelector(':scope > negative-example');
    }
    _attr() {
      var type = (this.getAttribute('link-type') || 'link').toLowerCase();
      this._trigger.className = type === 'button' ? 'btn' : 'linkbtn';
      this._trigger.textContent = this.getAttribute('link-text') || 'View full instructions';
    }
    open() { if (this._m) this._m.open(); }
    close() { if (this._m) this._m.close(); }
  }

  // ------------------------------------------------------------------ tabs
  class CrowdTabs extends CrowdBase {
    _setup() {
      var self = this;
      var r = this._shadow(true);
      this._bar = h('div', { class: 'tabbar', role: 'tablist' });
      this._slot = h('slot');
      r.append(this._bar, h('div', { class: 'tabpanel', role: 'tabpanel' }, this._slot));
      this._active = null;
      this._sync();
      new MutationObserver(function () { self._sync(); })
        .observe(this, { childList: true, subtree: true, attributes: true, attributeFilter: ['header'] });
    }
    _tabs() { return Array.from(this.children).filter(function (c) { return c.localName === 'crowd-tab'; }); }
    _sync() {
      var self = this, tabs = this._tabs();
      if (tabs.indexOf(this._active) < 0) this._active = tabs[0] || null;
      this._bar.textContent = '';
      tabs.forEach(function (t, i) {
        var b = h('button', { type: 'button', class: 'tabbtn', role: 'tab', 'aria-selected': String(t === self._active) },
          t.getAttribute('header') || ('Tab ' + (i + 1)));
        b.addEventListener('click', function () { self._selectTab(t); });
        self._bar.append(b);
      });
      this._slot.assign.apply(this._slot, this._active ? [this._active] : []);
    }
    _selectTab(t) {
      if (this._active === t) return;
      this._active = t;
      this._sync();
      fire(this, 'crowd-tab-change');
    }
    get selected() { return this._tabs().indexOf(this._active); }
    set selected(i) { var t = this._tabs()[Number(i)]; if (t) this._selectTab(t); }
  }
  class CrowdTab extends CrowdBase {
    _setup() { this._shadow(false).append(h('slot')); }
  }

  // ------------------------------------------------------------------ text inputs
  class CrowdInput extends CrowdBase {
    static get observedAttributes() { return ['label', 'placeholder', 'disabled', 'required', 'type', 'max-length', 'min-length']; }
    _isArea() { return false; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      var area = this._isArea();
      this._lab = h('label', { class: 'flabel', for: 'f' });
      this._in = h(area ? 'textarea' : 'input', { id: 'f', class: 'field', part: 'input' });
      this._counter = h('div', { class: 'counter', hidden: true });
      this._err = errEl();
      r.append(h('div', { class: 'fwrap' }, this._lab, this._in, this._counter, this._err));
      var v = this.getAttribute('value');
      if (v == null && area && this.textContent.trim() && !this.children.length) v = this.textContent.trim();
      if (this._pendingValue != null) v = this._pendingValue;
      if (v != null) this._in.value = v;
      this._attr();
      this._in.addEventListener('beforeinput', function (e) {
        var pat = self.getAttribute('allowed-pattern');
        if (pat && e.data) {
          try {
            var re = new RegExp('^(?:' + pat + ')$');
            for (var ch of e.data) if (!re.test(ch)) { e.preventDefault(); return; }
          } catch (x) { /* bad pattern: ignore */ }
        }
      });
      this._in.addEventListener('input', function () { self._grow(); self._count(); self._clearErrorIfValid(); });
      this._in.addEventListener('change', function () { fire(self, 'change'); });
      if (this.hasAttribute('auto-focus') || this.hasAttribute('autofocus')) {
        whenParsed(function () { setTimeout(function () { self._in.focus(); }, 0); });
      }
      this._count();
      requestAnimationFrame(function () { self._grow(); });
    }
    _attr() {
      var lab = this.getAttribute('label');
      this._lab.textContent = lab || '';
      this._lab.hidden = !lab;
      var ph = this.getAttribute('placeholder');
      if (ph != null) this._in.placeholder = ph; else this._in.removeAttribute('placeholder');
      this._in.disabled = this.hasAttribute('disabled');
      this._in.required = this.hasAttribute('required');
      var ml = this.getAttribute('max-length') || this.getAttribute('maxlength');
      if (ml) this._in.maxLength = Number(ml); else this._in.removeAttribute('maxlength');
      var mn = this.getAttribute('min-length') || this.getAttribute('minlength');
      if (mn) this._in.minLength = Number(mn); else this._in.removeAttribute('minlength');
      if (this._isArea()) {
        this._in.rows = Number(this.getAttribute('rows')) || 3;
      } else {
        this._in.type = this.getAttribute('type') || 'text';
        ['min', 'max', 'step', 'pattern', 'autocomplete', 'inputmode'].forEach(function (a) {
          var v = this.getAttribute(a);
          if (v != null) this._in.setAttribute(a, v); else this._in.removeAttribute(a);
        }, this);
      }
      this._in.setAttribute('aria-label', lab || this.getAttribute('placeholder') || this.name || 'input');
    }
    _grow() {
      if (!this._isArea()) return;
      var maxRows = Number(this.getAttribute('max-rows'));
      if (!maxRows) return;
      var ta = this._in, lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.style.height = 'auto';
      var pad = ta.offsetHeight - ta.clientHeight + 14;
      ta.style.height = Math.min(ta.scrollHeight + pad - 14, maxRows * lh + pad) + 'px';
    }
    _count() {
      if (!this.hasAttribute('char-counter')) return;
      var ml = this.getAttribute('max-length') || this.getAttribute('maxlength');
      this._counter.hidden = false;
      this._counter.textContent = this._in.value.length + (ml ? ' / ' + ml : '');
    }
    get value() { return this._in ? this._in.value : (this._pendingValue != null ? this._pendingValue : (this.getAttribute('value') || '')); }
    set value(v) {
      if (this._in) { this._in.value = v == null ? '' : String(v); this._count(); this._grow(); }
      else this._pendingValue = v;
    }
    focus() { if (this._in) this._in.focus(); }
    _crowdFocus() { this.focus(); }
    _crowdCollect(out) {
      if (!this.name) return;
      var v = this.value;
      if (v !== '') out[this.name] = v;
    }
    _crowdValidate() {
      var v = this.value;
      if (this.hasAttribute('required') && !v.trim()) return this.getAttribute('error-message') || 'This field is required.';
      if (this._in && !this._in.checkValidity()) return this.getAttribute('error-message') || this._in.validationMessage;
      return null;
    }
  }
  class CrowdTextArea extends CrowdInput {
    static get observedAttributes() { return ['label', 'placeholder', 'disabled', 'required', 'rows', 'max-length', 'max-rows']; }
    _isArea() { return true; }
  }

  // ------------------------------------------------------------------ checkbox / toggle / radio
  class CrowdCheckbox extends CrowdBase {
    static get observedAttributes() { return ['checked', 'disabled']; }
    _boxClass() { return 'box-el'; }
    _role() { return 'checkbox'; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      if (this._checked === undefined) this._checked = this.hasAttribute('checked');
      this._box = h('span', { class: this._boxClass(), 'aria-hidden': 'true', part: 'box' });
      this._ctl = h('span', { class: 'check', role: this._role(), tabindex: '0' }, this._box, h('span', { class: 'lbl' }, h('slot')));
      this._err = errEl();
      r.append(this._ctl, this._err);
      this.addEventListener('click', function (e) {
        if (self.hasAttribute('disabled')) return;
        if (e.composedPath().some(function (n) { return n.localName === 'a' || n.localName === 'input' || n.localName === 'button'; })) return;
        self._toggle();
      });
      this._ctl.addEventListener('keydown', function (e) {
        if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); if (!self.hasAttribute('disabled')) self._toggle(); }
      });
      this._paint();
    }
    _attr(name) {
      if (name === 'checked') this.checked = this.hasAttribute('checked');
      this._paint();
    }
    _toggle() { this.checked = !this.checked; this._changed(); }
    _paint() {
      if (!this._box) return;
      this._box.setAttribute('aria-checked', String(!!this._checked));
      this._ctl.setAttribute('aria-checked', String(!!this._checked));
      this._ctl.setAttribute('aria-disabled', String(this.hasAttribute('disabled')));
      this._ctl.tabIndex = this.hasAttribute('disabled') ? -1 : 0;
    }
    get checked() { return this._checked === undefined ? this.hasAttribute('checked') : !!this._checked; }
    set checked(v) { this._checked = !!v; this._paint(); }
    get value() { return this.getAttribute('value') || 'on'; }
    set value(v) { this.setAttribute('value', v); }
    focus() { if (this._ctl) this._ctl.focus(); }
    _crowdFocus() { this.focus(); }
    _crowdCollect(out) {
      if (!this.name) return;
      var o = {}; o[this.value] = this.checked; merge(out, this.name, o);
    }
    _crowdValidate() {
      return this.hasAttribute('required') && !this.checked ? 'Please check this box.' : null;
    }
  }
  class CrowdToggleButton extends CrowdCheckbox {
    _boxClass() { return 'switch'; }
    _role() { return 'switch'; }
    _crowdValidate() {
      return this.hasAttribute('required') && !this.checked ? 'Please switch this on.' : null;
    }
  }
  class CrowdRadioButton extends CrowdCheckbox {
    _boxClass() { return 'box-el round'; }
    _role() { return 'radio'; }
    _group() { return this.closest('crowd-radio-group'); }
    _peers() {
      var g = this._group(), self = this;
      if (g) return Array.from(g.querySelectorAll('crowd-radio-button')).filter(function (b) { return b._group() === g; });
      var scope = this.closest('crowd-form') || document;
      return Array.from(scope.querySelectorAll('crowd-radio-button')).filter(function (b) {
        return !b.closest('crowd-radio-group') && b.name === self.name;
      });
    }
    _toggle() {
      if (this.checked) return;
      var self = this;
      this._peers().forEach(function (b) { if (b !== self) b.checked = false; });
      this.checked = true;
      var g = this._group();
      if (g) g._clearErrorIfValid();
      this._changed();
      if (g) fire(g, 'change');
    }
    _crowdCollect(out) {
      var g = this._group();
      var name = this.name || (g && g.getAttribute('name'));
      if (!name) return;
      var o = {}; o[this.value] = this.checked; merge(out, name, o);
    }
    _crowdValidate() { return null; }
  }
  class CrowdRadioGroup extends CrowdBase {
    _setup() {
      var r = this._shadow(false);
      this._err = errEl();
      r.append(h('div', { class: 'rgroup', role: 'radiogroup' }, h('slot')), this._err);
    }
    _buttons() {
      var self = this;
      return Array.from(this.querySelectorAll('crowd-radio-button')).filter(function (b) { return b.closest('crowd-radio-group') === self; });
    }
    get value() {
      var b = this._buttons().filter(function (x) { return x.checked; })[0];
      return b ? b.value : null;
    }
    _crowdValidate() {
      if (!this.hasAttribute('required')) return null;
      return this._buttons().some(function (b) { return b.checked; }) ? null : 'Please choose an option.';
    }
    _crowdFocus() { var b = this._buttons()[0]; if (b) b.focus(); }
  }

  // ------------------------------------------------------------------ slider
  class CrowdSlider extends CrowdBase {
    static get observedAttributes() { return ['min', 'max', 'step', 'disabled']; }
    _setup() {
      var self = this;
      var r = this._shadow(false);
      this._range = h('input', { type: 'range', part: 'range' });
      this._min = h('span', { class: 'lim' });
      this._max = h('span', { class: 'lim' });
      this._val = h('output', { class: 'val' });
      this._num = h('input', { type: 'number', class: 'field', hidden: true });
      this._err = errEl();
      r.append(h('div', { class: 'slider' }, this._min, this._range, this._max, this._val, this._num), this._err);
      this._attr();
      var v = this._pendingValue != null ? this._pendingValue : this.getAttribute('value');
      this._range.value = v != null && v !== '' ? String(v) : String(this._range.min);
      this._touched = false;
      this._range.addEventListener('input', function () { self._touched = true; self._show(); self._clearErrorIfValid(); });
      this._range.addEventListener('change', function () { fire(self, 'change'); });
      this._num.addEventListener('change', function () {
        self._range.value = self._num.value; self._touched = true; self._show(); self._changed();
      });
      this._show();
    }
    _attr() {
      var min = this.getAttribute('min'), max = this.getAttribute('max'), step = this.getAttribute('step');
      this._range.min = min != null && min !== '' ? min : '0';
      this._range.max = max != null && max !== '' ? max : '100';
      this._range.step = step != null && step !== '' ? step : '1';
      ['min', 'max', 'step'].forEach(function (a) { this._num[a] = this._range[a]; }, this);
      this._range.disabled = this._num.disabled = this.hasAttribute('disabled');
      this._num.hidden = !this.hasAttribute('editable');
      this._min.textContent = this._range.min;
      this._max.textContent = this._range.max;
      this._range.setAttribute('aria-label', this.getAttribute('label') || this.name || 'slider');
      if (this._val) this._show();
    }
    _show() {
      this._val.textContent = this._range.value;
      this._num.value = this._range.value;
    }
    get value() {
      if (!this._range) return Number(this._pendingValue != null ? this._pendingValue : (this.getAttribute('value') || this.getAttribute('min') || 0));
      return Number(this._range.value);
    }
    set value(v) {
      if (this._range) { this._range.value = String(v); this._show(); } else this._pendingValue = v;
    }
    focus() { if (this._range) this._range.focus(); }
    _crowdFocus() { this.focus(); }
    _crowdCollect(out) { if (this.name) out[this.name] = this.value; }
    _crowdValidate() {
      if (this.hasAttribute('required') && !this._touched && !this.hasAttribute('value')) return 'Please move the slider to choose a value.';
      return null;
    }
  }

  // ------------------------------------------------------------------ classifiers
  var CLASSIFIER_TAGS = 'crowd-classifier, crowd-image-classifier, crowd-classifier-multi-select, crowd-image-classifier-multi-select';

  class CrowdClassifier extends CrowdBase {
    static get observedAttributes() { return ['categories', 'header', 'src', 'exclusion-category', 'disabled', 'overlay']; }
    _multi() { return false; }
    _image() { return false; }
    _setup() {
      var self = this;
      var r = this._shadow(true);
      this._sel = new Set();
      this._instr = instructionsPanel(this);
      this._target = h('slot');
      this._hdr = h('h2', { class: 'hdr', part: 'header' });
      this._cats = h('div', { class: 'cats', role: this._multi() ? 'group' : 'radiogroup' });
      this._err = errEl();
      this._targetBox = h('div', { class: 'target' });
      if (this._image()) {
        this._img = h('img', { class: 'cimg', alt: '' });
        // label verification: the earlier job's labels are drawn over the image (AWS's `overlay`)
        this._ovl = svg('svg', { class: 'ovl', 'aria-hidden': 'true', preserveAspectRatio: 'xMidYMid meet' });
        this._img.addEventListener('load', function () { self._drawOverlay(); });
        this._targetBox.append(h('div', { class: 'ovw' }, this._img, this._ovl));
      }
      this._targetBox.append(this._target);
      this._commentBox = h('div', { class: 'comment', hidden: true });
      var choices = h('div', { class: 'choices category-picker-wrapper' + (this._multi() ? ' multi' : '') },
        h('div', { class: 'ptitle' }, this._multi() ? 'Choose all that apply' : 'Choose one'),
        this._cats, this._commentBox, this._err);
      this._side = h('aside', { class: 'side awsui-app-layout__navigation' }, this._instr.panel);
      r.append(ownFormIfStandalone(this, h('div', { class: 'layout annotation-area' }, this._side,
        h('div', { class: 'main' }, this._hdr, h('div', { class: 'work' }, this._targetBox, choices)))), this._instr.modal.el);
      this._regions = { 'classification-target': this._target, 'short-instructions': this._instr.shortSlot,
        'full-instructions': this._instr.fullSlot, 'worker-comment': null, '*': this._target };
      this._render();
      var init = this.getAttribute('initial-value');
      if (init != null && init !== '') {
        var vals = this._multi() ? parseList(init) : [init];
        vals.forEach(function (v) { var i = self._indexOf(v); if (i != null) self._sel.add(i); });
        this._paint();
      }
    }
    _regionsChanged() {
      this._instr.update();
      this._side.hidden = this._instr.panel.hidden;
      var hasTarget = this._image() || this._target.assignedNodes().length > 0;
      this._targetBox.classList.toggle('empty', !hasTarget);
      this._setupComment();
    }
    // `overlay` is `{ boundingBox: { labels: [...], value: [{label, left, top, width, height}] } }` or
    // `{ semanticSegmentation | instanceSegmentation: { labels, value: <PNG URL, data URL or base64> } }`,
    // in the image's natural pixels; drawn in an SVG whose viewBox is the natural size, so it scales with
    // the image exactly as `object-fit: contain` does
    _drawOverlay() {
      var o = this._ovl, img = this._img;
      if (!o) return;
      while (o.firstChild) o.removeChild(o.firstChild);
      var ov = tryParse(this.getAttribute('overlay'));
      var w = img.naturalWidth, ht = img.naturalHeight;
      o.toggleAttribute('hidden', !isPlainObject(ov) || !w || !ht);
      if (o.hasAttribute('hidden')) return;
      o.setAttribute('viewBox', '0 0 ' + w + ' ' + ht);
      var seg = ov.semanticSegmentation || ov.instanceSegmentation;
      var png = seg && (typeof seg === 'string' ? seg : seg.value || seg.src);
      if (typeof png === 'string' && png) {
        if (!/^(data:|https?:|\/)/.test(png)) png = 'data:image/png;base64,' + png;
        o.append(svg('image', { class: 'ovl-mask', href: png, x: 0, y: 0, width: w, height: ht, opacity: 0.5,
                                preserveAspectRatio: 'none' }));
      }
      // our addition for verifying an image classification: `{ classification: { label } }` as a caption
      var cls = ov.classification;
      if (isPlainObject(cls) && cls.label != null) {
        var fs = Math.max(12, Math.round(Math.max(w, ht) / 18));
        var cap = svg('g', { class: 'ovl-class', 'data-label': String(cls.label) });
        cap.append(svg('rect', { x: 0, y: 0, width: w, height: fs * 1.6, fill: 'rgba(15,23,42,.7)' }));
        var ct = svg('text', { x: fs * 0.4, y: fs * 1.15, fill: '#fff', 'font-size': fs, 'font-family': 'sans-serif',
                               'font-weight': 'bold' });
        ct.textContent = String(cls.label);
        cap.append(ct);
        o.append(cap);
      }
      var bb = ov.boundingBox;
      var boxes = bb && Array.isArray(bb.value) ? bb.value : [];
      var names = bb && Array.isArray(bb.labels) ? bb.labels.map(function (l) { return isPlainObject(l) ? l.label : l; }) : [];
      var stroke = Math.max(2, Math.round(Math.max(w, ht) / 300));
      boxes.forEach(function (b) {
        if (!isPlainObject(b)) return;
        var i = names.indexOf(b.label);
        var c = PALETTE[(i < 0 ? names.length : i) % PALETTE.length];
        var g = svg('g', { class: 'ovl-box', 'data-label': b.label == null ? '' : String(b.label) });
        g.append(svg('rect', { x: +b.left || 0, y: +b.top || 0, width: +b.width || 0, height: +b.height || 0,
                               fill: 'none', stroke: c, 'stroke-width': stroke }));
        if (b.label != null) {
          var t = svg('text', { x: (+b.left || 0) + stroke, y: Math.max((+b.top || 0) - stroke, stroke * 6), fill: c,
                                'font-size': stroke * 6, 'font-family': 'sans-serif', 'font-weight': 'bold' });
          t.textContent = String(b.label);
          g.append(t);
        }
        o.append(g);
      });
    }
    _setupComment() {
      var wc = this.querySelector(':scope > worker-comment');
      if (!wc) { this._commentBox.hidden = true; return; }
      if (this._commentArea) return;
      var self = this;
      var link = h('button', { type: 'button', class: 'linkbtn' }, wc.getAttribute('link-text') || 'Add a comment');
      this._commentArea = h('textarea', { rows: '3', placeholder: wc.getAttribute('placeholder') || 'Comment', 'aria-label': wc.getAttribute('header') || 'Comment' });
      var inner = h('div', { hidden: true }, h('div', { class: 'flabel' }, wc.getAttribute('header') || 'Comment'), this._commentArea);
      link.addEventListener('click', function () { inner.hidden = !inner.hidden; if (!inner.hidden) self._commentArea.focus(); });
      this._commentBox.append(link, inner);
      this._commentBox.hidden = false;
    }
    _attr() { this._render(); }
    _render() {
      var self = this;
      this._categories = parseList(this.getAttribute('categories'));
      var ex = tryParse(this.getAttribute('exclusion-category'));
      if (typeof ex === 'string') ex = { text: ex };
      this._exclusion = isPlainObject(ex) && ex.text != null ? ex : null;
      var hd = this.getAttribute('header');
      this._hdr.textContent = hd || '';
      this._hdr.hidden = !hd;
      if (this._img) {
        var src = this.getAttribute('src');
        if (src && this._img.getAttribute('src') !== src) this._img.src = src;
        this._drawOverlay();
      }
      this._cats.textContent = '';
      var opts = this._categories.map(function (c, i) { return { i: i, text: c }; });
      if (this._exclusion) opts.push({ i: 'x', text: String(this._exclusion.text) });
      opts.forEach(function (o, n) {
        var b = h('button', { type: 'button', class: 'cat' + (o.i === 'x' ? ' excl' : ''), role: self._multi() ? 'checkbox' : 'radio', 'data-i': String(o.i) },
          h('span', { class: 'mark', 'aria-hidden': 'true' }), h('span', { class: 'ctext' }, o.text),
          n < 9 ? h('span', { class: 'key', 'aria-hidden': 'true', title: 'Keyboard shortcut' }, String(n + 1)) : null);
        b.disabled = self.hasAttribute('disabled');
        b.addEventListener('click', function () { self._choose(o.i); });
        self._cats.append(b);
      });
      this._paint();
    }
    _indexOf(v) {
      var i = this._categories.indexOf(String(v));
      if (i >= 0) return i;
      if (this._exclusion && (String(v) === String(this._exclusion.text) || String(v) === String(this._exclusion.value))) return 'x';
      return null;
    }
    _choose(i) {
      if (this.hasAttribute('disabled')) return;
      if (!this._multi()) { this._sel = new Set([i]); }
      else if (this._sel.has(i)) this._sel.delete(i);
      else {
        if (i === 'x') this._sel.clear(); else this._sel.delete('x');
        this._sel.add(i);
      }
      this._paint();
      this._changed();
    }
    _shortcut(n) {
      var btns = this._cats.querySelectorAll('.cat');
      if (btns[n]) { btns[n].click(); btns[n].focus(); }
    }
    _paint() {
      var self = this;
      this._cats.querySelectorAll('.cat').forEach(function (b) {
        var i = b.dataset.i === 'x' ? 'x' : Number(b.dataset.i);
        b.setAttribute('aria-checked', String(self._sel.has(i)));
      });
    }
    _text(i) { return i === 'x' ? String(this._exclusion.text) : this._categories[i]; }
    _labels() {
      var self = this;
      var idx = Array.from(this._sel).filter(function (i) { return i === 'x' || i < self._categories.length; });
      idx.sort(function (a, b) { return (a === 'x' ? 1e9 : a) - (b === 'x' ? 1e9 : b); });
      return idx.map(function (i) { return self._text(i); });
    }
    // what goes under the element's name in the answer
    _answer() {
      var labels = this._labels(), v;
      if (this._multi()) v = { labels: labels };
      else if (labels.length) v = { label: labels[0] };
      else return null;
      var c = this._commentArea && this._commentArea.value.trim() ? this._commentArea.value : '';
      if (c) v.workerComment = c;
      return v;
    }
    get _submittableValue() { return this._answer(); }
    // templates read the choice itself (AWS's two-tier samples key their follow-up questions by it)
    get value() {
      var labels = this._labels();
      return this._multi() ? labels : (labels.length ? labels[0] : null);
    }
    get categories() { return this._categories ? this._categories.slice() : parseList(this.getAttribute('categories')); }
    set categories(v) { this.setAttribute('categories', JSON.stringify(Array.isArray(v) ? v : [v])); }
    set value(v) {
      var self = this, list = isPlainObject(v) ? (v.labels || [v.label]) : (Array.isArray(v) ? v : [v]);
      this._sel = new Set();
      list.forEach(function (x) { var i = self._indexOf(x); if (i != null) self._sel.add(i); });
      this._paint();
    }
    _crowdCollect(out) {
      var v = this._answer();
      if (this.name && v) out[this.name] = v;
    }
    // Like AWS's widgets, a classifier always needs an answer (the exclusion category counts as one).
    _crowdValidate() {
      if (this._labels().length) return null;
      return this._multi() ? 'Please choose at least one category.' : 'Please choose a category.';
    }
    _crowdFocus() { var b = this._cats.querySelector('.cat'); if (b) b.focus({ preventScroll: true }); }
  }
  class CrowdImageClassifier extends CrowdClassifier { _image() { return true; } }
  class CrowdClassifierMulti extends CrowdClassifier { _multi() { return true; } }
  class CrowdImageClassifierMulti extends CrowdClassifier { _multi() { return true; } _image() { return true; } }

  function isTypingTarget(e) {
    var t = e.composedPath()[0];
    if (!t || !t.localName) return false;
    if (t.isContentEditable) return true;
    if (t.localName === 'textarea' || t.localName === 'select') return true;
    return t.localName === 'input' && !/^(checkbox|radio|button|submit|range|reset)$/i.test(t.type || '');
  }
  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || !/^[1-9]$/.test(e.key)) return;
    if (isTypingTarget(e)) return;
    var path = e.composedPath();
    if (path.some(function (n) { return n._annotator; })) return;  // annotation widgets use digits for labels
    var list = document.querySelectorAll(CLASSIFIER_TAGS);
    if (list.length !== 1 || !list[0]._shortcut) return;
    e.preventDefault();
    list[0]._shortcut(Number(e.key) - 1);
  });

  // ------------------------------------------------------------------ annotation widgets
  function parseLabelObjects(src) {
    var v = tryParse(src);
    if (v === undefined) v = parseList(src);
    if (!Array.isArray(v)) v = v == null ? [] : [v];
    return v.map(function (x) {
      if (isPlainObject(x)) {
        var label = String(x.label != null ? x.label : (x.text != null ? x.text : ''));
        return { label: label, short: x.shortDisplayName || label, full: x.fullDisplayName || x.longDisplayName || label };
      }
      return { label: String(x), short: String(x), full: String(x) };
    });
  }

  // Image with an overlay; coordinates are kept in the image's natural pixels.
  class ImageStage {
    constructor(onLoad) {
      var self = this;
      this.img = h('img', { class: 'simg', alt: '', draggable: 'false' });
      this.svg = svg('svg', { class: 'ssvg', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
      this.layer = h('div', { class: 'slayer', tabindex: '0', role: 'application' });
      // AWS's image tools draw on two canvases; templates position overlays by 'canvas.upper-canvas'
      var lower = h('canvas', { class: 'lower-canvas', 'aria-hidden': 'true' }), upper = h('canvas', { class: 'upper-canvas', 'aria-hidden': 'true' });
      this.stage = h('div', { class: 'stage' }, this.img, lower, this.svg, upper, this.layer);
      this.msg = h('div', { class: 'note', hidden: true });
      this.wrap = h('div', { class: 'swrap' }, this.stage, this.msg);
      this._w = 0;
      this.img.addEventListener('load', function () { self.msg.hidden = true; self._w = 0; self.fit(); onLoad(); });
      this.img.addEventListener('error', function () {
        self.msg.hidden = false; self.msg.textContent = 'The image could not be loaded.';
      });
      if (window.ResizeObserver) new ResizeObserver(function () { self.fit(); }).observe(this.wrap);
      window.addEventListener('resize', function () { self._w = 0; self.fit(); });
    }
    get nw() { return this.img.naturalWidth || 0; }
    get nh() { return this.img.naturalHeight || 0; }
    get loaded() { return this.img.complete && this.nw > 0; }
    setSrc(src) { if (src && this.img.getAttribute('src') !== src) this.img.src = src; }
    fit() {
      var nw = this.nw, nh = this.nh;
      if (!nw || !nh) return;
      var cs = getComputedStyle(this.wrap);
      var W = this.wrap.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      if (W <= 0 || Math.abs(W - this._w) < 1) return;
      this._w = W;
      var H = Math.max(240, window.innerHeight * 0.72);
      var s = Math.min(W / nw, H / nh);
      if (s > 1) s = Math.min(s, 2.5);
      this.img.style.width = (nw * s) + 'px';
      this.img.style.height = (nh * s) + 'px';
      this.svg.setAttribute('viewBox', '0 0 ' + nw + ' ' + nh);
      if (this.onFit) this.onFit();
    }
    // pointer event -> natural pixel coordinates (clamped to the image)
    toNat(e) {
      var r = this.img.getBoundingClientRect();
      return {
        x: clamp((e.clientX - r.left) * this.nw / (r.width || 1), 0, this.nw),
        y: clamp((e.clientY - r.top) * this.nh / (r.height || 1), 0, this.nh)
      };
    }
    scale() { var r = this.img.getBoundingClientRect(); return this.nw ? r.width / this.nw : 1; }
    pctX(x) { return (this.nw ? x / this.nw * 100 : 0) + '%'; }
    pctY(y) { return (this.nh ? y / this.nh * 100 : 0) + '%'; }
    size() { return { height: this.nh, width: this.nw }; }
  }

  class Annotator extends CrowdBase {
    static get observedAttributes() { return ['src', 'labels', 'header', 'text']; }
    _itemsTitle() { return 'Annotations'; }
    _hintText() { return ''; }
    _setup() {
      var self = this;
      this._annotator = true;
      var r = this._shadow(true);
      this._instr = instructionsPanel(this);
      this._labelsBox = h('div', { class: 'labs', role: 'radiogroup', 'aria-label': 'Labels' });
      this._itemsBox = h('div', { class: 'items' });
      this._hdr = h('h2', { class: 'hdr', part: 'header' });
      this._err = errEl();
      this._note = h('div', { class: 'note', hidden: true });
      this._extra = h('slot');
      this._labelsPanel = h('section', { class: 'panel' }, h('h3', { class: 'ptitle' }, 'Labels'), this._labelsBox);
      var side = h('aside', { class: 'side awsui-app-layout__navigation' }, this._instr.panel, this._labelsPanel,
        h('section', { class: 'panel' }, h('h3', { class: 'ptitle' }, this._itemsTitle()), this._itemsBox));
      var main = h('div', { class: 'main' }, this._hdr, this._buildMain(), h('p', { class: 'hint' }, this._hintText()), this._note, this._err, this._extra);
      r.append(ownFormIfStandalone(this, h('div', { class: 'layout annotation-area' }, side, main)), this._instr.modal.el);
      this._regions = { 'short-instructions': this._instr.shortSlot, 'full-instructions': this._instr.fullSlot, '*': this._extra };
      this._cur = 0;
      this._sel = -1;
      this._readAttrs();
      var init = tryParse(this.getAttribute('initial-value'));
      if (init != null) this._setInitial(init);
      this._renderAll();
    }
    _regionsChanged() { this._instr.update(); }
    _attr() { this._readAttrs(); this._renderAll(); }
    _readAttrs() {
      this._labels = parseLabelObjects(this.getAttribute('labels'));
      if (this._cur >= this._labels.length) this._cur = 0;
      var hd = this.getAttribute('header');
      this._hdr.textContent = hd || '';
      this._hdr.hidden = !hd;
      this._labelsPanel.hidden = this._labels.length === 0;
      if (this._stage) this._stage.setSrc(this.getAttribute('src'));
    }
    _curLabel() { return this._labels[this._cur] ? this._labels[this._cur].label : ''; }
    // templates read and grow the label list (AWS's hierarchical bounding-box sample does)
    get labels() { return (this._labels || parseLabelObjects(this.getAttribute('labels'))).map(function (l) { return l.label; }); }
    set labels(v) { this.setAttribute('labels', JSON.stringify(Array.isArray(v) ? v : [v])); }
    _color(label) {
      for (var i = 0; i < this._labels.length; i++) if (this._labels[i].label === label) return PALETTE[i % PALETTE.length];
      return '#6b7380';
    }
    _renderLabels() {
      var self = this;
      this._labelsBox.textContent = '';
      this._labels.forEach(function (l, i) {
        var b = h('button', { type: 'button', class: 'lab', role: 'radio', 'aria-checked': String(i === self._cur), 'data-label': l.label },
          h('span', { class: 'sw' }), h('span', { class: 'ltext' }, l.full), i < 9 ? h('span', { class: 'key' }, String(i + 1)) : null);
        b.style.setProperty('--c', PALETTE[i % PALETTE.length]);
        b.addEventListener('click', function () { self._pickLabel(i); });
        self._labelsBox.append(b);
      });
    }
    _pickLabel(i) {
      if (i < 0 || i >= this._labels.length) return;
      this._cur = i;
      this._renderLabels();
    }
    _renderAll() { this._renderLabels(); this._render(); }
    // list of the annotations with relabel and delete controls
    _renderItems(items) {
      var self = this;
      this._itemsBox.textContent = '';
      if (!items.length) { this._itemsBox.append(h('div', { class: 'empty-list' }, 'None yet.')); return; }
      items.forEach(function (it, i) {
        var row = h('div', { class: 'item' + (i === self._sel ? ' sel' : '') });
        row.style.setProperty('--c', self._color(it.label));
        var txt = h('button', { type: 'button', class: 'itext', title: it.text }, it.text);
        txt.addEventListener('click', function () { self._select(i); if (self._stage) self._stage.layer.focus({ preventScroll: true }); });
        row.append(h('span', { class: 'sw' }), txt);
        if (self._labels.length > 1) {
          var sel = h('select', { 'aria-label': 'Label' });
          self._labels.forEach(function (l) { sel.append(h('option', { value: l.label }, l.short)); });
          sel.value = it.label;
          sel.addEventListener('change', function () { self._relabel(i, sel.value); });
          row.append(sel);
        }
        var del = h('button', { type: 'button', class: 'x', 'aria-label': 'Delete', title: 'Delete' }, '\u00d7');
        del.addEventListener('click', function () { self._remove(i); });
        row.append(del);
        self._itemsBox.append(row);
      });
    }
    _select(i) { this._sel = i; this._render(); }
    _labelKey(e) {
      if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        this._pickLabel(Number(e.key) - 1);
        e.preventDefault();
        return true;
      }
      return false;
    }
    _crowdCollect(out) { if (this.name) out[this.name] = this.value; }
    _crowdFocus() { if (this._stage) this._stage.layer.focus({ preventScroll: true }); }
    _notify() { this._changed(); }
  }

  class ImageAnnotator extends Annotator {
    _buildMain() {
      var self = this;
      this._stage = new ImageStage(function () { self._render(); self.setAttribute('image-loaded', ''); });
      this._stage.onFit = function () { self._render(); };
      var L = this._stage.layer;
      L.addEventListener('pointerdown', function (e) { self._down(e); });
      L.addEventListener('pointermove', function (e) { self._move(e); });
      L.addEventListener('pointerup', function (e) { self._up(e); });
      L.addEventListener('pointercancel', function (e) { self._up(e); });
      L.addEventListener('keydown', function (e) { if (!self._labelKey(e)) self._key(e); });
      return this._stage.wrap;
    }
    _startDrag(e) {
      try { this._stage.layer.setPointerCapture(e.pointerId); } catch (x) { /* ignore */ }
      this._stage.layer.focus({ preventScroll: true });
      e.preventDefault();
    }
    _dot(cls, x, y, color, extra) {
      var d = h('div', extra || {});
      d.className = cls;
      d.style.left = this._stage.pctX(x);
      d.style.top = this._stage.pctY(y);
      d.style.setProperty('--c', color);
      return d;
    }
    _tag(text) { return h('span', { class: 'tag' }, text); }
    // in the list, the label is shown by its <select> when there is more than one label
    _itemLabel(label) { return this._labels.length > 1 ? '' : this._short(label) + ' '; }
    _short(label) {
      for (var i = 0; i < this._labels.length; i++) if (this._labels[i].label === label) return this._labels[i].short;
      return label;
    }
    _relabel(i, label) { this._items()[i].label = label; this._render(); this._notify(); }
    _remove(i) {
      this._items().splice(i, 1);
      if (this._sel >= this._items().length) this._sel = this._items().length - 1;
      this._render(); this._notify();
    }
    _key(e) {
      var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if ((e.key === 'Delete' || e.key === 'Backspace') && this._sel >= 0) { e.preventDefault(); this._remove(this._sel); this._sel = -1; this._render(); }
      else if (e.key === 'Escape') { this._sel = -1; this._render(); }
      else if (arrows[e.key] && this._sel >= 0 && this._nudge) {
        e.preventDefault();
        var step = e.shiftKey ? 10 : 1;
        this._nudge(this._items()[this._sel], arrows[e.key][0] * step, arrows[e.key][1] * step);
        this._render();
        this._notify();
      } else if ((e.key === 'n' || e.key === 'N') && this._items().length) {
        // next shape (Shift+N: previous), so shapes can be picked without a pointer
        e.preventDefault();
        var n = this._items().length;
        this._sel = ((this._sel < 0 ? (e.shiftKey ? 0 : -1) : this._sel) + (e.shiftKey ? -1 : 1) + n) % n;
        this._render();
      }
    }
    get value() {
      return this._output();
    }
  }

  class CrowdBoundingBox extends ImageAnnotator {
    _itemsTitle() { return 'Boxes'; }
    _nudge(b, dx, dy) {
      b.left = clamp(b.left + dx, 0, this._stage.nw - b.width);
      b.top = clamp(b.top + dy, 0, this._stage.nh - b.height);
    }
    _hintText() { return 'Pick a label, then drag on the image to draw a box. Drag a box to move it, drag its corners to resize. N selects the next box, arrows move it, Delete removes it.'; }
    _items() { return this._boxes || (this._boxes = []); }
    _setInitial(v) {
      var arr = Array.isArray(v) ? v : (v && v.boundingBoxes) || [];
      var self = this;
      this._boxes = arr.filter(isPlainObject).map(function (b) {
        return { left: +b.left || 0, top: +b.top || 0, width: +b.width || 0, height: +b.height || 0,
          label: b.label != null ? String(b.label) : self._curLabel() };
      });
      // AWS's element reports whether the worker changed the boxes it started from
      this._initialKey = this._boxKey();
    }
    _boxKey() {
      return JSON.stringify(this._items().map(function (b) {
        return [b.label, Math.round(b.left), Math.round(b.top), Math.round(b.width), Math.round(b.height)];
      }).sort());
    }
    _down(e) {
      if (e.button !== 0 || !this._stage.loaded) return;
      this._startDrag(e);
      var p = this._stage.toNat(e), t = e.target, boxes = this._items();
      var boxEl = t.closest && t.closest('.bbox');
      if (t.dataset && t.dataset.h) {
        var i = Number(t.dataset.i);
        this._sel = i;
        this._drag = { mode: 'resize', i: i, corner: t.dataset.h, orig: Object.assign({}, boxes[i]) };
      } else if (boxEl) {
        var j = Number(boxEl.dataset.i);
        this._sel = j;
        this._drag = { mode: 'move', i: j, dx: p.x - boxes[j].left, dy: p.y - boxes[j].top };
      } else {
        boxes.push({ left: p.x, top: p.y, width: 0, height: 0, label: this._curLabel() });
        this._sel = boxes.length - 1;
        this._drag = { mode: 'draw', i: this._sel, sx: p.x, sy: p.y };
      }
      this._render();
    }
    _move(e) {
      var d = this._drag;
      if (!d) return;
      var p = this._stage.toNat(e), b = this._items()[d.i], nw = this._stage.nw, nh = this._stage.nh;
      if (d.mode === 'draw') {
        b.left = Math.min(d.sx, p.x); b.top = Math.min(d.sy, p.y);
        b.width = Math.abs(p.x - d.sx); b.height = Math.abs(p.y - d.sy);
      } else if (d.mode === 'move') {
        b.left = clamp(p.x - d.dx, 0, nw - b.width); b.top = clamp(p.y - d.dy, 0, nh - b.height);
      } else {
        var o = d.orig;
        var fx = d.corner.indexOf('w') >= 0 ? o.left + o.width : o.left;
        var fy = d.corner.indexOf('n') >= 0 ? o.top + o.height : o.top;
        b.left = Math.min(fx, p.x); b.top = Math.min(fy, p.y);
        b.width = Math.abs(p.x - fx); b.height = Math.abs(p.y - fy);
      }
      d.moved = true;
      this._render();
    }
    _up() {
      var d = this._drag;
      if (!d) return;
      this._drag = null;
      var b = this._items()[d.i], s = this._stage.scale();
      if (d.mode === 'draw' && (b.width * s < 4 || b.height * s < 4)) {
        this._items().splice(d.i, 1);
        this._sel = -1;
        this._render();
        return;
      }
      this._render();
      if (d.moved) this._notify();
    }
    _render() {
      var self = this, L = this._stage.layer;
      L.textContent = '';
      if (this._stage.nw) {
        this._items().forEach(function (b, i) {
          var c = self._color(b.label);
          var el = h('div', { class: 'bbox' + (i === self._sel ? ' sel' : ''), 'data-i': String(i) }, self._tag(self._short(b.label)));
          el.style.left = self._stage.pctX(b.left); el.style.top = self._stage.pctY(b.top);
          el.style.width = self._stage.pctX(b.width); el.style.height = self._stage.pctY(b.height);
          el.style.setProperty('--c', c);
          el.style.setProperty('--bg', hexA(c, 0.12));
          L.append(el);
          if (i === self._sel) {
            [['nw', b.left, b.top], ['ne', b.left + b.width, b.top], ['sw', b.left, b.top + b.height], ['se', b.left + b.width, b.top + b.height]]
              .forEach(function (q) { L.append(self._dot('hdl', q[1], q[2], c, { 'data-h': q[0], 'data-i': String(i) })); });
          }
        });
      }
      this._renderItems(this._items().map(function (b, i) {
        return { label: b.label, text: '#' + (i + 1) + ' ' + self._itemLabel(b.label) + Math.round(b.width) + '\u00d7' + Math.round(b.height) + ' px' };
      }));
    }
    _output() {
      var out = {
        boundingBoxes: this._items().map(function (b) {
          return { height: Math.round(b.height), label: b.label, left: Math.round(b.left), top: Math.round(b.top), width: Math.round(b.width) };
        }),
        inputImageProperties: this._stage.size()
      };
      if (this._initialKey != null) out.initialValueModified = this._boxKey() !== this._initialKey;
      return out;
    }
    _crowdValidate() {
      return this.hasAttribute('required') && !this._items().length ? 'Please draw at least one box.' : null;
    }
  }

  class CrowdKeypoint extends ImageAnnotator {
    _itemsTitle() { return 'Keypoints'; }
    _nudge(p, dx, dy) { p.x = clamp(p.x + dx, 0, this._stage.nw); p.y = clamp(p.y + dy, 0, this._stage.nh); }
    _hintText() { return 'Pick a label, then click on the image to place a point. Drag a point to move it. N selects the next point, arrows move it, Delete removes it.'; }
    _items() { return this._points || (this._points = []); }
    _setInitial(v) {
      var arr = Array.isArray(v) ? v : (v && v.keypoints) || [];
      var self = this;
      this._points = arr.filter(isPlainObject).map(function (p) {
        return { label: p.label != null ? String(p.label) : self._curLabel(), x: +p.x || 0, y: +p.y || 0 };
      });
    }
    _down(e) {
      if (e.button !== 0 || !this._stage.loaded) return;
      this._startDrag(e);
      var p = this._stage.toNat(e), t = e.target;
      var kp = t.closest && t.closest('.kp');
      if (kp) {
        this._sel = Number(kp.dataset.i);
        this._drag = { i: this._sel, moved: false };
      } else {
        this._items().push({ label: this._curLabel(), x: p.x, y: p.y });
        this._sel = this._items().length - 1;
        this._drag = { i: this._sel, moved: true };
      }
      this._render();
    }
    _move(e) {
      if (!this._drag) return;
      var p = this._stage.toNat(e), pt = this._items()[this._drag.i];
      pt.x = p.x; pt.y = p.y;
      this._drag.moved = true;
      this._render();
    }
    _up() {
      if (!this._drag) return;
      var moved = this._drag.moved;
      this._drag = null;
      this._render();
      if (moved) this._notify();
    }
    _render() {
      var self = this, L = this._stage.layer;
      L.textContent = '';
      if (this._stage.nw) {
        this._items().forEach(function (p, i) {
          L.append(self._dot('kp' + (i === self._sel ? ' sel' : ''), p.x, p.y, self._color(p.label), { 'data-i': String(i) }));
          L.lastChild.append(self._tag(self._short(p.label)));
        });
      }
      this._renderItems(this._items().map(function (p, i) {
        return { label: p.label, text: '#' + (i + 1) + ' ' + self._itemLabel(p.label) + '(' + Math.round(p.x) + ', ' + Math.round(p.y) + ')' };
      }));
    }
    _output() {
      return {
        inputImageProperties: this._stage.size(),
        keypoints: this._items().map(function (p) { return { label: p.label, x: Math.round(p.x), y: Math.round(p.y) }; })
      };
    }
    _crowdValidate() {
      return this.hasAttribute('required') && !this._items().length ? 'Please place at least one keypoint.' : null;
    }
  }

  // crowd-polygon, crowd-polyline, crowd-line
  class CrowdPolygon extends ImageAnnotator {
    _kind() { return 'polygon'; }
    _nudge(sh, dx, dy) {
      var nw = this._stage.nw, nh = this._stage.nh;
      sh.vertices.forEach(function (q) { q.x = clamp(q.x + dx, 0, nw); q.y = clamp(q.y + dy, 0, nh); });
    }
    _key_() { return 'polygons'; }
    _min() { return 3; }
    _itemsTitle() { return 'Polygons'; }
    _hintText() { return 'Pick a label, then click on the image to add corners. Close the polygon by clicking its first point, pressing Enter or double-clicking. Esc cancels; Backspace removes the last point.'; }
    _items() { return this._shapes || (this._shapes = []); }
    _setInitial(v) {
      var arr = Array.isArray(v) ? v : (v && v[this._key_()]) || [];
      var self = this;
      this._shapes = arr.filter(function (s) { return isPlainObject(s) && Array.isArray(s.vertices); }).map(function (s) {
        return { label: s.label != null ? String(s.label) : self._curLabel(),
          vertices: s.vertices.map(function (q) { return { x: +q.x || 0, y: +q.y || 0 }; }) };
      });
    }
    _buildMain() {
      var self = this, w = super._buildMain();
      this._stage.layer.addEventListener('dblclick', function (e) { e.preventDefault(); self._finish(); });
      return w;
    }
    _down(e) {
      if (e.button !== 0 || !this._stage.loaded) return;
      this._startDrag(e);
      var t = e.target;
      if (!this._draft && t.dataset && t.dataset.s != null) {
        this._sel = Number(t.dataset.s);
        this._drag = { s: this._sel, v: Number(t.dataset.v), moved: false };
        this._render();
      } else {
        this._press = { x: e.clientX, y: e.clientY };
      }
    }
    _move(e) {
      var p = this._stage.toNat(e);
      if (this._drag) {
        var v = this._items()[this._drag.s].vertices[this._drag.v];
        v.x = p.x; v.y = p.y;
        this._drag.moved = true;
        this._render();
      } else if (this._draft) {
        this._hover = p;
        this._renderSvg();
      }
    }
    _up(e) {
      if (this._drag) {
        var moved = this._drag.moved;
        this._drag = null;
        if (moved) this._notify();
        return;
      }
      var pr = this._press;
      this._press = null;
      if (!pr || e.type === 'pointercancel') return;
      if (Math.abs(e.clientX - pr.x) > 5 || Math.abs(e.clientY - pr.y) > 5) return;
      this._click(this._stage.toNat(e));
    }
    _click(p) {
      if (!this._draft) { this._draft = { label: this._curLabel(), vertices: [] }; this._sel = -1; }
      var vs = this._draft.vertices, s = this._stage.scale();
      var dist = function (a, b) { return Math.hypot(a.x - b.x, a.y - b.y) * s; };
      if (this._kind() === 'polygon' && vs.length >= 3 && dist(p, vs[0]) <= 9) { this._finish(); return; }
      if (vs.length && dist(p, vs[vs.length - 1]) <= 3) return;  // second click of a double-click
      vs.push(p);
      if (this._kind() === 'line' && vs.length >= 2) { this._finish(); return; }
      this._render();
    }
    _finish() {
      var d = this._draft;
      if (!d || d.vertices.length < this._min()) return;
      this._items().push(d);
      this._draft = null;
      this._hover = null;
      this._sel = this._items().length - 1;
      this._render();
      this._notify();
    }
    _key(e) {
      if (this._draft) {
        if (e.key === 'Enter') { e.preventDefault(); this._finish(); }
        else if (e.key === 'Escape') { e.preventDefault(); this._draft = null; this._render(); }
        else if (e.key === 'Backspace' || e.key === 'Delete') {
          e.preventDefault();
          this._draft.vertices.pop();
          if (!this._draft.vertices.length) this._draft = null;
          this._render();
        }
        return;
      }
      super._key(e);
    }
    _renderSvg() {
      var self = this, S = this._stage.svg;
      S.textContent = '';
      if (!this._stage.nw) return;
      var pts = function (vs) { return vs.map(function (q) { return q.x + ',' + q.y; }).join(' '); };
      var closed = this._kind() === 'polygon';
      this._items().forEach(function (sh, i) {
        var c = self._color(sh.label);
        S.append(svg(closed ? 'polygon' : 'polyline', { points: pts(sh.vertices), fill: closed ? hexA(c, 0.18) : 'none', stroke: c,
          'stroke-width': i === self._sel ? 3.5 : 2, 'vector-effect': 'non-scaling-stroke', 'stroke-linejoin': 'round' }));
      });
      if (this._draft) {
        var c = this._color(this._draft.label), vs = this._draft.vertices.slice();
        S.append(svg('polyline', { points: pts(vs), fill: 'none', stroke: c, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
        if (this._hover && vs.length) {
          var last = vs[vs.length - 1];
          S.append(svg('line', { x1: last.x, y1: last.y, x2: this._hover.x, y2: this._hover.y, stroke: c, 'stroke-width': 1.5,
            'stroke-dasharray': '5 4', 'vector-effect': 'non-scaling-stroke' }));
        }
      }
    }
    _render() {
      var self = this, L = this._stage.layer;
      this._renderSvg();
      L.textContent = '';
      L.classList.toggle('drawing', !!this._draft);
      if (this._stage.nw) {
        this._items().forEach(function (sh, i) {
          var c = self._color(sh.label);
          sh.vertices.forEach(function (q, j) { L.append(self._dot('vx', q.x, q.y, c, { 'data-s': String(i), 'data-v': String(j) })); });
          if (sh.vertices.length) {
            var tagHost = self._dot('vx-tag', sh.vertices[0].x, sh.vertices[0].y, c);
            tagHost.style.position = 'absolute';
            tagHost.style.pointerEvents = 'none';
            tagHost.append(self._tag(self._short(sh.label)));
            L.append(tagHost);
          }
        });
        if (this._draft) {
          var dc = this._color(this._draft.label);
          this._draft.vertices.forEach(function (q, j) {
            L.append(self._dot('vx' + (j === 0 && self._kind() === 'polygon' ? ' first' : ''), q.x, q.y, dc, { title: j === 0 ? 'Click to close' : null }));
          });
        }
      }
      var noun = ' points';
      this._renderItems(this._items().map(function (sh, i) {
        return { label: sh.label, text: '#' + (i + 1) + ' ' + self._itemLabel(sh.label) + sh.vertices.length + noun };
      }));
    }
    _output() {
      var o = { inputImageProperties: this._stage.size() };
      o[this._key_()] = this._items().map(function (sh) {
        return { label: sh.label, vertices: sh.vertices.map(function (q) { return { x: Math.round(q.x), y: Math.round(q.y) }; }) };
      });
      return o;
    }
    _crowdValidate() {
      if (this._draft && this._draft.vertices.length) return 'Finish the shape you are drawing (press Enter) or cancel it (Esc).';
      return this.hasAttribute('required') && !this._items().length ? 'Please draw at least one ' + this._kind() + '.' : null;
    }
  }
  class CrowdPolyline extends CrowdPolygon {
    _kind() { return 'polyline'; }
    _key_() { return 'polylines'; }
    _min() { return 2; }
    _itemsTitle() { return 'Polylines'; }
    _hintText() { return 'Pick a label, then click on the image to add points. Finish with Enter or a double-click. Esc cancels; Backspace removes the last point.'; }
  }
  class CrowdLine extends CrowdPolygon {
    _kind() { return 'line'; }
    _key_() { return 'lines'; }
    _min() { return 2; }
    _itemsTitle() { return 'Lines'; }
    _hintText() { return 'Pick a label, then click the start and the end of each line. Esc cancels a started line.'; }
  }

  // ------------------------------------------------------------------ entity annotation
  class CrowdEntityAnnotation extends Annotator {
    _itemsTitle() { return 'Annotations'; }
    _hintText() { return 'Pick a label, then select text with the mouse (or double-click a word). Click a tag to remove it.'; }
    _buildMain() {
      var self = this;
      this._textEl = h('div', { class: 'etext', part: 'text' });
      // mouseup anywhere: a drag-selection may end outside the text box
      window.addEventListener('mouseup', function () { setTimeout(function () { self._fromSelection(); }, 0); });
      this._textEl.addEventListener('keyup', function (e) { if (e.shiftKey) self._fromSelection(); });
      this._textEl.addEventListener('click', function (e) {
        var t = e.target.closest && e.target.closest('.etag');
        if (t) { e.preventDefault(); self._remove(Number(t.dataset.i)); }
      });
      this.addEventListener('keydown', function (e) {
        if (!isTypingTarget(e)) self._labelKey(e);
      });
      return this._textEl;
    }
    _text() { return this.getAttribute('text') || ''; }
    _items() { return this._ents || (this._ents = []); }
    _setInitial(v) {
      var arr = Array.isArray(v) ? v : (v && v.entities) || [];
      var self = this, n = cpCount(this._text());
      this._ents = [];
      arr.filter(isPlainObject).forEach(function (e) {
        var s = Math.floor(+e.startOffset), en = Math.floor(+e.endOffset);
        if (!(s >= 0 && en > s && en <= n)) return;
        self._add({ label: e.label != null ? String(e.label) : self._curLabel(), startOffset: s, endOffset: en });
      });
    }
    _overlaps(s, e) {
      return this._items().some(function (x) { return s < x.endOffset && e > x.startOffset; });
    }
    _add(ent) {
      if (this._overlaps(ent.startOffset, ent.endOffset)) return false;
      var list = this._items();
      list.push(ent);
      list.sort(function (a, b) { return a.startOffset - b.startOffset; });
      return true;
    }
    _remove(i) {
      this._items().splice(i, 1);
      this._render();
      this._notify();
    }
    _relabel(i, label) { this._items()[i].label = label; this._render(); this._notify(); }
    _select(i) {
      var e = this._items()[i];
      if (!e) return;
      var m = this._textEl.querySelector('.ent[data-i="' + i + '"]');
      if (m) m.scrollIntoView({ block: 'nearest' });
    }
    _getRange() {
      var root = this.shadowRoot, sel;
      try {
        if (root.getSelection) {
          sel = root.getSelection();
          if (sel && sel.rangeCount && !sel.isCollapsed) return { sel: sel, range: sel.getRangeAt(0) };
        }
      } catch (x) { /* fall through */ }
      sel = document.getSelection();
      if (!sel || !sel.rangeCount) return null;
      if (sel.getComposedRanges) {
        try {
          var rs = sel.getComposedRanges({ shadowRoots: [root] });
          if (rs.length && !rs[0].collapsed) return { sel: sel, range: rs[0] };
        } catch (x) {
          try {
            var rs2 = sel.getComposedRanges(root);
            if (rs2.length && !rs2[0].collapsed) return { sel: sel, range: rs2[0] };
          } catch (y) { /* ignore */ }
        }
      }
      return sel.isCollapsed ? null : { sel: sel, range: sel.getRangeAt(0) };
    }
    // (node, offset) inside the text box -> UTF-16 offset into the text attribute
    _pointToU16(node, offset) {
      var segs = this._textEl.querySelectorAll('.seg'), probe = document.createRange();
      var total = this._text().length;
      try { probe.setStart(node, offset); } catch (x) { return null; }
      probe.collapse(true);
      for (var i = 0; i < segs.length; i++) {
        var t = segs[i].firstChild, s = Number(segs[i].dataset.s);
        if (!t) continue;
        if (t === node) return s + offset;
        if (probe.comparePoint(t, 0) > 0) return s;   // the point lies before this segment
      }
      return total;
    }
    _fromSelection() {
      var got = this._getRange();
      if (!got) return;
      var r = got.range;
      if (!this._textEl.contains(r.startContainer) && r.startContainer !== this._textEl) return;
      if (!this._textEl.contains(r.endContainer) && r.endContainer !== this._textEl) return;
      var text = this._text();
      var a = this._pointToU16(r.startContainer, r.startOffset), b = this._pointToU16(r.endContainer, r.endOffset);
      if (a == null || b == null) return;
      if (a > b) { var t = a; a = b; b = t; }
      while (a < b && /\s/.test(text[a])) a++;
      while (b > a && /\s/.test(text[b - 1])) b--;
      // never split a surrogate pair
      if (a > 0 && /[\udc00-\udfff]/.test(text[a] || '') && /[\ud800-\udbff]/.test(text[a - 1])) a--;
      if (b < text.length && /[\udc00-\udfff]/.test(text[b] || '') && /[\ud800-\udbff]/.test(text[b - 1])) b++;
      try { got.sel.removeAllRanges(); } catch (x) { /* ignore */ }
      if (a >= b) return;
      if (!this._labels.length) { this._say('There are no labels to apply.'); return; }
      var ent = { label: this._curLabel(), startOffset: u16ToCp(text, a), endOffset: u16ToCp(text, b) };
      if (!this._add(ent)) { this._say('That selection overlaps an existing annotation; remove it first.'); return; }
      this._say('');
      this._render();
      this._notify();
    }
    _say(msg) { this._note.textContent = msg; this._note.hidden = !msg; }
    _render() {
      var self = this, text = this._text(), el = this._textEl;
      el.textContent = '';
      var pos = 0;
      var seg = function (s, e) { return h('span', { class: 'seg', 'data-s': String(s) }, text.slice(s, e)); };
      this._items().forEach(function (ent, i) {
        var s = cpToU16(text, ent.startOffset), e = cpToU16(text, ent.endOffset);
        if (s > pos) el.append(seg(pos, s));
        var c = self._color(ent.label);
        var tag = h('span', { class: 'etag', contenteditable: 'false', 'data-i': String(i), title: 'Remove ' + ent.label }, self._short(ent.label) + ' \u00d7');
        var m = h('mark', { class: 'ent', 'data-i': String(i) }, seg(s, e), tag);
        m.style.setProperty('--c', c);
        m.style.setProperty('--bg', hexA(c, 0.18));
        el.append(m);
        pos = e;
      });
      if (pos < text.length || !text.length) el.append(seg(pos, text.length));
      this._renderItems(this._items().map(function (ent) {
        var s = cpToU16(text, ent.startOffset), e = cpToU16(text, ent.endOffset);
        return { label: ent.label, text: '\u201c' + text.slice(s, e) + '\u201d' };
      }));
    }
    _short(label) {
      for (var i = 0; i < this._labels.length; i++) if (this._labels[i].label === label) return this._labels[i].short;
      return label;
    }
    get value() {
      return { entities: this._items().map(function (e) { return { label: e.label, startOffset: e.startOffset, endOffset: e.endOffset }; }) };
    }
    _crowdValidate() {
      return this.hasAttribute('required') && !this._items().length ? 'Please annotate at least one span of text.' : null;
    }
    _crowdFocus() { this._textEl.focus({ preventScroll: true }); }
  }

  // ------------------------------------------------------------------ register
  var defs = {
    'crowd-form': CrowdForm,
    'crowd-button': CrowdButton,
    'crowd-alert': CrowdAlert,
    'crowd-card': CrowdCard,
    'crowd-badge': CrowdBadge,
    'crowd-icon-button': CrowdIconButton,
    'crowd-fab': CrowdFab,
    'crowd-toast': CrowdToast,
    'crowd-modal': CrowdModal,
    'crowd-instructions': CrowdInstructions,
    'crowd-tabs': CrowdTabs,
    'crowd-tab': CrowdTab,
    'crowd-input': CrowdInput,
    'crowd-text-area': CrowdTextArea,
    'crowd-checkbox': CrowdCheckbox,
    'crowd-toggle-button': CrowdToggleButton,
    'crowd-radio-button': CrowdRadioButton,
    'crowd-radio-group': CrowdRadioGroup,
    'crowd-slider': CrowdSlider,
    'crowd-classifier': CrowdClassifier,
    'crowd-image-classifier': CrowdImageClassifier,
    'crowd-classifier-multi-select': CrowdClassifierMulti,
    'crowd-image-classifier-multi-select': CrowdImageClassifierMulti,
    'crowd-bounding-box': CrowdBoundingBox,
    'crowd-keypoint': CrowdKeypoint,
    'crowd-polygon': CrowdPolygon,
    'crowd-polyline': CrowdPolyline,
    'crowd-line': CrowdLine,
    'crowd-entity-annotation': CrowdEntityAnnotation
  };
  Object.keys(defs).forEach(function (tag) {
    if (!customElements.get(tag)) customElements.define(tag, defs[tag]);
  });

  // ------------------------------------------------------------------ parts
  // What the parts in static/crowd/ build on.  Internal: templates have no use for it.
  var pending = PARTS.length, parsed = false, fired = false;
  window.__crowdKit = {
    h: h, svg: svg, clamp: clamp, fire: fire, post: post, hexA: hexA, isPlainObject: isPlainObject,
    parseLoose: parseLoose, tryParse: tryParse, parseList: parseList, parseLabelObjects: parseLabelObjects,
    cpCount: cpCount, cpToU16: cpToU16, u16ToCp: u16ToCp, isTypingTarget: isTypingTarget,
    errEl: errEl, makeModal: makeModal, instructionsPanel: instructionsPanel, ownFormIfStandalone: ownFormIfStandalone,
    addCss: addCss, whenParsed: whenParsed, PALETTE: PALETTE,
    CrowdBase: CrowdBase, Annotator: Annotator, ImageAnnotator: ImageAnnotator, ImageStage: ImageStage,
    CrowdImageClassifier: CrowdImageClassifier, CrowdBoundingBox: CrowdBoundingBox, CrowdClassifier: CrowdClassifier,
    define: function (tag, cls) { if (!customElements.get(tag)) customElements.define(tag, cls); },
    partLoaded: function () { pending -= 1; maybeReady(); }
  };
  // AWS templates wait for this document event before touching the elements.
  function maybeReady() {
    if (fired || !parsed || pending > 0) return;
    fired = true;
    setTimeout(function () {
      document.dispatchEvent(new Event('all-crowd-elements-ready', { bubbles: true }));
      if (mainForm()) post({ type: 'crowd-form-ready' });
    }, 0);
  }
  PARTS.forEach(function (part) {
    var url = new URL(part, SELF_SRC || document.baseURI).href;
    if (WRITE_PARTS) {
      // parser-inserted, so the elements are defined before the template's markup is parsed
      document.write('<script src="' + url + '" onerror="window.__crowdKit.partLoaded()"><\/script>');
    } else {
      var sc = document.createElement('script');
      sc.src = url;
      sc.async = false;
      sc.onerror = function () { window.__crowdKit.partLoaded(); };
      (document.head || document.documentElement).appendChild(sc);
    }
  });
  whenParsed(function () { parsed = true; maybeReady(); });
})();
