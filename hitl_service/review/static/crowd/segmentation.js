/*
 * hitl-service: <crowd-semantic-segmentation> and <crowd-instance-segmentation>.
 *
 * The mask is one byte per image pixel (0 = unlabeled, otherwise a label or instance number), painted
 * with our own rasterisers so the submitted PNG holds exact label colours (no anti-aliasing).
 * Tools: brush, eraser, polygon fill, bucket fill, auto-fill of enclosed areas, pan; zoom, undo/redo.
 */
(function () {
  'use strict';
  var K = window.__crowdKit;
  if (!K) return;
  var h = K.h, svg = K.svg, clamp = K.clamp;

  // Label colours: the familiar ten-colour categorical palette, then evenly spread hues.
  var TEN = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  function hsvHex(hue, s, v) {
    var f = function (n) {
      var k = (n + hue / 60) % 6;
      return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
    };
    return '#' + [f(5), f(3), f(1)].map(function (c) { return ('0' + c.toString(16)).slice(-2); }).join('');
  }
  function colorAt(i) { return i < TEN.length ? TEN[i] : hsvHex((i * 137.508) % 360, 0.75, 0.85); }
  function rgb(hex) { var n = parseInt(hex.slice(1), 16); return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; }

  K.addCss([
    '.segbar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0 0 8px}',
    '.segbar .tool{border:1px solid #c5ccd6;background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer;font:inherit;font-size:13px}',
    '.segbar .tool[aria-pressed="true"]{background:#0b6bcb;border-color:#0b6bcb;color:#fff}',
    '.segbar .tool:focus-visible{outline:2px solid #0b6bcb;outline-offset:2px}',
    '.segbar .sep{width:1px;height:24px;background:#d0d5dd;margin:0 4px}',
    '.segbar label{display:flex;align-items:center;gap:6px;font-size:13px}',
    '.segview{position:relative;overflow:hidden;height:min(66vh,620px);background:#2b2f36;border-radius:8px;touch-action:none;outline:none;cursor:crosshair}',
    '.segview:focus-visible{box-shadow:0 0 0 3px #0b6bcb}',
    '.segview.panning{cursor:grab}',
    '.segworld{position:absolute;left:0;top:0;transform-origin:0 0}',
    '.segworld img,.segworld canvas,.segworld svg{position:absolute;left:0;top:0;width:100%;height:100%;user-select:none;-webkit-user-drag:none;pointer-events:none}',
    '.segworld canvas{opacity:.55;image-rendering:pixelated}',
    '.segstatus{font-size:12px;color:#5b6472;margin-top:6px}'
  ].join('\n'));

  var TOOLS = [['brush', 'Brush', 'B'], ['eraser', 'Eraser', 'E'], ['polygon', 'Polygon', 'P'], ['fill', 'Fill', 'F'], ['pan', 'Pan', 'H']];

  class Segmentation extends K.Annotator {
    _instances() { return false; }
    _itemsTitle() { return this._instances() ? 'Instances' : 'Labels painted'; }
    _hintText() {
      return 'Pick a label, then paint. B brush, E eraser, P polygon (click corners, Enter closes), F fill an area, ' +
        'A auto-fill enclosed areas, H or Space pan, [ ] brush size, + \u2212 0 zoom, arrows pan, Ctrl+Z undo, Ctrl+Shift+Z redo' +
        (this._instances() ? ', N new instance.' : '.');
    }
    _buildMain() {
      var self = this;
      this._tool = 'brush';
      this._zoom = 1; this._tx = 0; this._ty = 0;
      this._undo = []; this._redo = [];
      this._insts = this._insts || [];
      this._img = h('img', { alt: '', draggable: 'false' });
      this._canvas = h('canvas', { part: 'mask' });
      this._svg = svg('svg', { preserveAspectRatio: 'none' });
      this._world = h('div', { class: 'segworld' }, this._img, this._canvas, this._svg);
      this._view = h('div', { class: 'segview', tabindex: '0', role: 'application', 'aria-label': 'Image to paint' }, this._world);
      this._status = h('div', { class: 'segstatus', 'aria-live': 'polite' });
      this._toolBtns = {};
      var bar = h('div', { class: 'segbar', role: 'toolbar', 'aria-label': 'Tools' });
      TOOLS.forEach(function (t) {
        var b = h('button', { type: 'button', class: 'tool', 'aria-pressed': 'false', title: t[1] + ' (' + t[2] + ')', 'data-tool': t[0] }, t[1]);
        b.addEventListener('click', function () { self._setTool(t[0]); });
        self._toolBtns[t[0]] = b;
        bar.append(b);
      });
      var act = function (text, title, fn) {
        var b = h('button', { type: 'button', class: 'tool', title: title }, text);
        b.addEventListener('click', fn);
        bar.append(b);
        return b;
      };
      bar.append(h('span', { class: 'sep' }));
      act('Auto-fill', 'Fill unlabeled areas enclosed by one label (A)', function () { self._autoFill(); });
      if (this._instances()) act('New instance', 'Start a new instance of the chosen label (N)', function () { self._newInstance(); });
      bar.append(h('span', { class: 'sep' }));
      this._undoBtn = act('Undo', 'Undo (Ctrl+Z)', function () { self._undoStep(); });
      this._redoBtn = act('Redo', 'Redo (Ctrl+Shift+Z)', function () { self._redoStep(); });
      bar.append(h('span', { class: 'sep' }));
      act('+', 'Zoom in (+)', function () { self._zoomBy(1.25); });
      act('\u2212', 'Zoom out (\u2212)', function () { self._zoomBy(0.8); });
      act('Fit', 'Fit the image (0)', function () { self._resetView(); });
      this._size = h('input', { type: 'range', min: '1', max: '100', value: '10', 'aria-label': 'Brush size' });
      this._size.addEventListener('input', function () { self._radius = Number(self._size.value); self._showStatus(); });
      bar.append(h('label', null, 'Size', this._size));
      this._stage = { setSrc: function (src) { if (src && self._img.getAttribute('src') !== src) self._img.src = src; }, layer: this._view };
      this._img.addEventListener('load', function () { self._imageReady(); });
      this._img.addEventListener('error', function () { self._status.textContent = 'The image could not be loaded.'; });
      var V = this._view;
      V.addEventListener('pointerdown', function (e) { self._down(e); });
      V.addEventListener('pointermove', function (e) { self._move(e); });
      V.addEventListener('pointerup', function (e) { self._up(e); });
      V.addEventListener('pointercancel', function (e) { self._up(e); });
      V.addEventListener('dblclick', function (e) { e.preventDefault(); if (self._draft) self._closePolygon(); });
      V.addEventListener('wheel', function (e) {
        e.preventDefault();
        self._zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
      }, { passive: false });
      this.addEventListener('keydown', function (e) { self._keys(e); });
      this.addEventListener('keyup', function (e) { if (e.key === ' ') { self._spacePan = false; self._view.classList.toggle('panning', self._tool === 'pan'); } });
      if (window.ResizeObserver) new ResizeObserver(function () { self._layout(); }).observe(V);
      this._setTool('brush');
      return h('div', null, bar, V, this._status);
    }
    _setInitial(v) { this._initial = v; }
    _readAttrs() {
      super._readAttrs();
      this._labelsPanel.hidden = false;
    }
    _renderLabels() {
      super._renderLabels();
      var self = this;
      this._labelsBox.querySelectorAll('.lab').forEach(function (b, i) { b.style.setProperty('--c', self._labelColor(i)); });
    }
    _labelColor(i) {
      var given = this._givenColors && this._labels[i] && this._givenColors[this._labels[i].label];
      return given || colorAt(i);
    }
    _labelIndex(label) {
      for (var i = 0; i < this._labels.length; i++) if (this._labels[i].label === label) return i;
      return -1;
    }
    _color(label) { var i = this._labelIndex(label); return i >= 0 ? this._labelColor(i) : '#6b7380'; }
    _pickLabel(i) {
      if (i < 0 || i >= this._labels.length) return;
      super._pickLabel(i);
      if (this._instances()) this._instPending = true;  // the next stroke starts a new instance of it
    }

    // ---------------------------------------------------------------- image, view
    get _W() { return this._img.naturalWidth || 0; }
    get _H() { return this._img.naturalHeight || 0; }
    _imageReady() {
      var W = this._W, H = this._H;
      this._mask = new Uint8Array(W * H);
      this._canvas.width = W; this._canvas.height = H;
      this._svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
      this._ctx = this._canvas.getContext('2d');
      this._rgba = this._ctx.createImageData(W, H);
      this._radius = Math.max(2, Math.round(Math.min(W, H) / 40));
      this._size.max = String(Math.max(10, Math.round(Math.min(W, H) / 4)));
      this._size.value = String(this._radius);
      this._undo = []; this._redo = [];
      this._applyInitial();
      this._repaint(0, 0, W, H);
      this._resetView();
      this._render();
      this.setAttribute('image-loaded', '');
    }
    // initial-value: a prior job's colours (labelMappings, or instances) and its mask image (src)
    _applyInitial() {
      var self = this, v = this._initial;
      if (!K.isPlainObject(v)) return;
      if (this._instances() && Array.isArray(v.instances)) {
        this._insts = v.instances.filter(K.isPlainObject).map(function (x) { return { label: String(x.label), color: String(x.color || '').toLowerCase() }; });
      }
      if (K.isPlainObject(v.labelMappings)) {
        this._givenColors = {};
        Object.keys(v.labelMappings).forEach(function (k) {
          var c = v.labelMappings[k] && v.labelMappings[k].color;
          if (/^#[0-9a-f]{6}$/i.test(c || '')) self._givenColors[k] = c.toLowerCase();
        });
        this._renderLabels();
      }
      var src = v.src || (v.labeledImage && v.labeledImage.pngImageData ? 'data:image/png;base64,' + v.labeledImage.pngImageData : null);
      if (!src) return;
      var im = new Image();
      im.crossOrigin = 'anonymous';
      im.onload = function () { self._readMask(im); };
      im.onerror = function () { self._status.textContent = 'The earlier mask could not be loaded.'; };
      im.src = src;
    }
    // every pixel of the prior mask whose colour is a label's (or an instance's) takes that value
    _readMask(im) {
      var W = this._W, H = this._H, c = h('canvas');
      c.width = W; c.height = H;
      var ctx = c.getContext('2d'), data;
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(im, 0, 0, W, H);
      try { data = ctx.getImageData(0, 0, W, H).data; } catch (e) {
        this._status.textContent = 'The earlier mask cannot be read here (its server does not allow it).';
        return;
      }
      var byColor = {}, self = this;
      if (this._instances()) this._insts.forEach(function (inst, i) { byColor[self._instColor(i)] = i + 1; });
      else this._labels.forEach(function (l, i) { byColor[self._labelColor(i)] = i + 1; });
      var hex = function (n) { return ('0' + n.toString(16)).slice(-2); };
      for (var i = 0, m = this._mask; i < m.length; i++) {
        var o = i * 4;
        if (data[o + 3] < 128) continue;
        var val = byColor['#' + hex(data[o]) + hex(data[o + 1]) + hex(data[o + 2])];
        if (val) m[i] = val;
      }
      this._repaint(0, 0, W, H);
      this._render();
      this.setAttribute('mask-loaded', '');
    }
    _layout() {
      var W = this._W, H = this._H, vw = this._view.clientWidth, vh = this._view.clientHeight;
      if (!W || !vw) return;
      this._fit = Math.min(vw / W, vh / H, 4);
      this._world.style.width = (W * this._fit) + 'px';
      this._world.style.height = (H * this._fit) + 'px';
      this._applyView();
    }
    _resetView() {
      this._zoom = 1;
      this._layout();
      var vw = this._view.clientWidth, vh = this._view.clientHeight;
      this._tx = (vw - this._W * this._fit) / 2;
      this._ty = (vh - this._H * this._fit) / 2;
      this._applyView();
    }
    _applyView() {
      this._world.style.transform = 'translate(' + this._tx + 'px,' + this._ty + 'px) scale(' + this._zoom + ')';
      this._showStatus();
    }
    _zoomBy(f, cx, cy) {
      var r = this._view.getBoundingClientRect();
      var px = cx == null ? r.width / 2 : cx - r.left, py = cy == null ? r.height / 2 : cy - r.top;
      var z = clamp(this._zoom * f, 0.5, 16);
      // keep the point under the cursor (or the centre) where it is
      this._tx = px - (px - this._tx) * z / this._zoom;
      this._ty = py - (py - this._ty) * z / this._zoom;
      this._zoom = z;
      this._applyView();
    }
    _panBy(dx, dy) { this._tx += dx; this._ty += dy; this._applyView(); }
    _toPx(e) {
      var r = this._canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * this._W / (r.width || 1), y: (e.clientY - r.top) * this._H / (r.height || 1) };
    }
    _showStatus() {
      if (!this._W) return;
      this._status.textContent = 'Tool: ' + this._tool + ' \u00b7 brush ' + this._radius + ' px \u00b7 zoom ' +
        Math.round(this._zoom * 100) + '%' + (this._instances() && this._curInst != null && this._insts[this._curInst]
        ? ' \u00b7 painting instance #' + (this._curInst + 1) : '');
    }
    _setTool(t) {
      if (this._draft && t !== 'polygon') this._cancelPolygon();
      this._tool = t;
      for (var k in this._toolBtns) this._toolBtns[k].setAttribute('aria-pressed', String(k === t));
      this._view.classList.toggle('panning', t === 'pan');
      this._showStatus();
    }

    // ---------------------------------------------------------------- painting
    // the mask value new paint gets: a label number, or the current instance's
    _paintValue() {
      if (!this._labels.length) return 0;
      if (!this._instances()) return this._cur + 1;
      var cur = this._insts[this._curInst];
      if (this._instPending || !cur || cur.label !== this._curLabel()) {
        if (this._insts.length >= 255) { this._status.textContent = 'At most 255 instances.'; return 0; }
        this._insts.push({ label: this._curLabel(), color: '' });
        this._curInst = this._insts.length - 1;
        this._instPending = false;
      }
      return this._curInst + 1;
    }
    _valueColor(v) {
      if (!v) return null;
      if (!this._instances()) return this._labelColor(v - 1);
      return this._instColor(v - 1);
    }
    // each instance gets a colour of its own, distinct from the others
    _instColor(i) {
      var inst = this._insts[i];
      if (!inst) return '#000000';
      if (!inst.color) {
        var used = {}, n = 0;
        this._insts.forEach(function (x) { if (x.color) used[x.color.toLowerCase()] = 1; });
        while (used[colorAt(n)]) n++;
        inst.color = colorAt(n);
      }
      return inst.color;
    }
    _repaint(x0, y0, x1, y1) {
      var W = this._W, H = this._H, m = this._mask, d = this._rgba.data, cache = {};
      x0 = clamp(Math.floor(x0), 0, W); y0 = clamp(Math.floor(y0), 0, H);
      x1 = clamp(Math.ceil(x1), 0, W); y1 = clamp(Math.ceil(y1), 0, H);
      if (x1 <= x0 || y1 <= y0) return;
      for (var y = y0; y < y1; y++) {
        for (var x = x0; x < x1; x++) {
          var i = y * W + x, v = m[i], o = i * 4;
          if (!v) { d[o + 3] = 0; continue; }
          var c = cache[v] || (cache[v] = rgb(this._valueColor(v)));
          d[o] = c[0]; d[o + 1] = c[1]; d[o + 2] = c[2]; d[o + 3] = 255;
        }
      }
      this._ctx.putImageData(this._rgba, 0, 0, x0, y0, x1 - x0, y1 - y0);
    }
    _stamp(cx, cy, v) {
      var r = this._radius, W = this._W, H = this._H, m = this._mask, r2 = r * r;
      var y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(H - 1, Math.ceil(cy + r));
      for (var y = y0; y <= y1; y++) {
        var dy = y + 0.5 - cy, span = r2 - dy * dy;
        if (span < 0) continue;
        var w = Math.sqrt(span), xa = Math.max(0, Math.ceil(cx - w - 0.5)), xb = Math.min(W - 1, Math.floor(cx + w - 0.5));
        for (var x = xa; x <= xb; x++) m[y * W + x] = v;
      }
      this._repaint(cx - r - 1, cy - r - 1, cx + r + 2, cy + r + 2);
    }
    _strokeTo(p, v) {
      var a = this._last || p, dist = Math.hypot(p.x - a.x, p.y - a.y), step = Math.max(1, this._radius / 2);
      var n = Math.max(1, Math.ceil(dist / step));
      for (var k = 1; k <= n; k++) this._stamp(a.x + (p.x - a.x) * k / n, a.y + (p.y - a.y) * k / n, v);
      this._last = p;
    }
    _checkpoint() {
      this._undo.push({ mask: this._mask.slice(), insts: JSON.stringify(this._insts), cur: this._curInst });
      if (this._undo.length > 40) this._undo.shift();
      this._redo = [];
    }
    _restore(s) {
      this._mask = s.mask;
      this._insts = JSON.parse(s.insts);
      this._curInst = s.cur;
      this._repaint(0, 0, this._W, this._H);
      this._render();
      this._notify();
    }
    _snap() { return { mask: this._mask.slice(), insts: JSON.stringify(this._insts), cur: this._curInst }; }
    _undoStep() { if (this._undo.length) { this._redo.push(this._snap()); this._restore(this._undo.pop()); } }
    _redoStep() { if (this._redo.length) { this._undo.push(this._snap()); this._restore(this._redo.pop()); } }
    _floodFill(sx, sy, v) {
      var W = this._W, H = this._H, m = this._mask;
      sx = Math.floor(sx); sy = Math.floor(sy);
      if (sx < 0 || sy < 0 || sx >= W || sy >= H) return false;
      var from = m[sy * W + sx];
      if (from === v) return false;
      var stack = [sy * W + sx];
      m[sy * W + sx] = v;
      while (stack.length) {
        var i = stack.pop(), x = i % W;
        if (x > 0 && m[i - 1] === from) { m[i - 1] = v; stack.push(i - 1); }
        if (x < W - 1 && m[i + 1] === from) { m[i + 1] = v; stack.push(i + 1); }
        if (i >= W && m[i - W] === from) { m[i - W] = v; stack.push(i - W); }
        if (i < W * (H - 1) && m[i + W] === from) { m[i + W] = v; stack.push(i + W); }
      }
      return true;
    }
    // every unlabeled area that touches no image edge and borders exactly one value takes that value
    _autoFill() {
      if (!this._mask) return;
      var W = this._W, H = this._H, m = this._mask, seen = new Uint8Array(W * H), filled = 0;
      this._checkpoint();
      for (var s = 0; s < W * H; s++) {
        if (m[s] || seen[s]) continue;
        var comp = [s], edge = false, border = -1, mixed = false;
        seen[s] = 1;
        for (var k = 0; k < comp.length; k++) {
          var i = comp[k], x = i % W, y = (i - x) / W;
          if (x === 0 || y === 0 || x === W - 1 || y === H - 1) edge = true;
          var nb = [x > 0 ? i - 1 : -1, x < W - 1 ? i + 1 : -1, y > 0 ? i - W : -1, y < H - 1 ? i + W : -1];
          for (var q = 0; q < 4; q++) {
            var j = nb[q];
            if (j < 0) continue;
            if (m[j]) { if (border < 0) border = m[j]; else if (border !== m[j]) mixed = true; }
            else if (!seen[j]) { seen[j] = 1; comp.push(j); }
          }
        }
        if (!edge && !mixed && border > 0) {
          comp.forEach(function (i2) { m[i2] = border; });
          filled += comp.length;
        }
      }
      if (!filled) { this._undo.pop(); this._status.textContent = 'No enclosed unlabeled area to fill.'; return; }
      this._repaint(0, 0, W, H);
      this._render();
      this._notify();
    }
    _fillPolygon(vs, v) {
      var W = this._W, H = this._H, m = this._mask;
      var ys = vs.map(function (p) { return p.y; });
      var y0 = Math.max(0, Math.floor(Math.min.apply(null, ys))), y1 = Math.min(H - 1, Math.ceil(Math.max.apply(null, ys)));
      for (var y = y0; y <= y1; y++) {
        var cy = y + 0.5, xs = [];
        for (var i = 0, j = vs.length - 1; i < vs.length; j = i++) {
          var a = vs[i], b = vs[j];
          if ((a.y > cy) !== (b.y > cy)) xs.push(a.x + (cy - a.y) * (b.x - a.x) / (b.y - a.y));
        }
        xs.sort(function (p, q) { return p - q; });
        for (var k = 0; k + 1 < xs.length; k += 2) {
          var xa = Math.max(0, Math.ceil(xs[k] - 0.5)), xb = Math.min(W - 1, Math.floor(xs[k + 1] - 0.5));
          for (var x = xa; x <= xb; x++) m[y * W + x] = v;
        }
      }
      this._repaint(0, y0, W, y1 + 1);
    }
    _closePolygon() {
      var d = this._draft;
      if (!d || d.length < 3) return;
      this._draft = null;
      this._checkpoint();
      this._fillPolygon(d, this._paintValue());
      this._drawDraft();
      this._render();
      this._notify();
    }
    _cancelPolygon() { this._draft = null; this._drawDraft(); }
    _drawDraft(hover) {
      var S = this._svg;
      S.textContent = '';
      var d = this._draft;
      if (!d || !d.length) return;
      var c = this._color(this._curLabel()), pts = d.concat(hover ? [hover] : []);
      S.append(svg('polyline', { points: pts.map(function (p) { return p.x + ',' + p.y; }).join(' '), fill: K.hexA(c, 0.2), stroke: c,
        'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
      d.forEach(function (p, i) {
        S.append(svg('circle', { cx: p.x, cy: p.y, r: i === 0 ? 5 : 3, fill: i === 0 ? c : '#fff', stroke: c, 'vector-effect': 'non-scaling-stroke' }));
      });
    }
    _down(e) {
      if (!this._mask || (e.button !== 0 && e.button !== 1)) return;
      this._view.focus({ preventScroll: true });
      try { this._view.setPointerCapture(e.pointerId); } catch (x) { /* ignore */ }
      e.preventDefault();
      var p = this._toPx(e);
      if (e.button === 1 || this._tool === 'pan' || this._spacePan) {
        this._drag = { pan: true, x: e.clientX, y: e.clientY };
        return;
      }
      if (this._tool === 'polygon') {
        var d = this._draft || (this._draft = []);
        var s = this._canvas.getBoundingClientRect().width / this._W;
        if (d.length >= 3 && Math.hypot(p.x - d[0].x, p.y - d[0].y) * s <= 8) { this._closePolygon(); return; }
        if (d.length && Math.hypot(p.x - d[d.length - 1].x, p.y - d[d.length - 1].y) * s <= 2) return;
        d.push({ x: p.x, y: p.y });
        this._drawDraft();
        return;
      }
      if (this._tool === 'fill') {
        this._checkpoint();
        if (this._floodFill(p.x, p.y, this._paintValue())) { this._repaint(0, 0, this._W, this._H); this._render(); this._notify(); }
        else this._undo.pop();
        return;
      }
      if (p.x < 0 || p.y < 0 || p.x > this._W || p.y > this._H) return;
      this._checkpoint();
      this._drag = { v: this._tool === 'eraser' ? 0 : this._paintValue() };
      this._last = null;
      this._strokeTo(p, this._drag.v);
    }
    _move(e) {
      var d = this._drag;
      if (!d) { if (this._draft) this._drawDraft(this._toPx(e)); return; }
      if (d.pan) { this._panBy(e.clientX - d.x, e.clientY - d.y); d.x = e.clientX; d.y = e.clientY; return; }
      this._strokeTo(this._toPx(e), d.v);
    }
    _up() {
      var d = this._drag;
      this._drag = null;
      this._last = null;
      if (d && !d.pan) { this._render(); this._notify(); }
    }
    _keys(e) {
      if (K.isTypingTarget(e) || !this._mask) return;
      var k = e.key, ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && (k === 'z' || k === 'Z')) { e.preventDefault(); if (e.shiftKey) this._redoStep(); else this._undoStep(); return; }
      if (ctrl && (k === 'y' || k === 'Y')) { e.preventDefault(); this._redoStep(); return; }
      if (ctrl || e.altKey) return;
      if (this._labelKey(e)) return;
      var tools = { b: 'brush', e: 'eraser', p: 'polygon', f: 'fill', h: 'pan' };
      var lk = k.toLowerCase(), step = 40;
      if (tools[lk]) this._setTool(tools[lk]);
      else if (lk === 'a') this._autoFill();
      else if (lk === 'n' && this._instances()) this._newInstance();
      else if (k === '[' || k === ']') { this._radius = clamp(this._radius + (k === ']' ? 1 : -1) * Math.max(1, Math.round(this._radius / 5)), 1, Number(this._size.max)); this._size.value = String(this._radius); this._showStatus(); }
      else if (k === '+' || k === '=') this._zoomBy(1.25);
      else if (k === '-' || k === '_') this._zoomBy(0.8);
      else if (k === '0') this._resetView();
      else if (k === 'ArrowLeft') this._panBy(step, 0);
      else if (k === 'ArrowRight') this._panBy(-step, 0);
      else if (k === 'ArrowUp') this._panBy(0, step);
      else if (k === 'ArrowDown') this._panBy(0, -step);
      else if (k === ' ') { this._spacePan = true; this._view.classList.add('panning'); }
      else if (k === 'Enter' && this._draft) this._closePolygon();
      else if (k === 'Escape' && this._draft) this._cancelPolygon();
      else if (k === 'Backspace' && this._draft) { this._draft.pop(); this._drawDraft(); }
      else return;
      e.preventDefault();
    }
    _newInstance() { this._instPending = true; this._curInst = null; this._showStatus(); }

    // ---------------------------------------------------------------- list, output
    _counts() {
      var c = new Uint32Array(256), m = this._mask || [];
      for (var i = 0; i < m.length; i++) c[m[i]]++;
      return c;
    }
    _render() {
      var self = this, counts = this._counts(), items = [];
      if (this._instances()) {
        this._insts.forEach(function (inst, i) {
          items.push({ label: inst.label, text: '#' + (i + 1) + ' ' + self._itemLabel(inst.label) + counts[i + 1] + ' px', v: i + 1 });
        });
      } else {
        this._labels.forEach(function (l, i) {
          if (counts[i + 1]) items.push({ label: l.label, text: self._itemLabel(l.label) + counts[i + 1] + ' px', v: i + 1 });
        });
      }
      this._itemValues = items.map(function (x) { return x.v; });
      this._sel = this._instances() && this._curInst != null ? this._curInst : -1;
      this._renderItems(items);
      if (this._instances()) {
        // each instance row shows its own colour, the one it is painted with
        this._itemsBox.querySelectorAll('.item').forEach(function (row, i) { row.style.setProperty('--c', self._instColor(i)); });
      }
      this._showStatus();
    }
    _itemLabel(label) { return this._labels.length > 1 ? '' : label + ' '; }
    _select(i) { if (this._instances()) { this._curInst = i; this._instPending = false; var li = this._labelIndex(this._insts[i].label); if (li >= 0) { this._cur = li; this._renderLabels(); } this._render(); } }
    _relabel(i, label) {
      this._checkpoint();
      if (this._instances()) { this._insts[i].label = label; }
      else {
        var from = this._itemValues[i], to = this._labelIndex(label) + 1, m = this._mask;
        for (var k = 0; k < m.length; k++) if (m[k] === from) m[k] = to;
      }
      this._repaint(0, 0, this._W, this._H);
      this._render();
      this._notify();
    }
    _remove(i) {
      this._checkpoint();
      var v = this._itemValues[i], m = this._mask, inst = this._instances();
      for (var k = 0; k < m.length; k++) {
        if (m[k] === v) m[k] = 0;
        else if (inst && m[k] > v) m[k] -= 1;   // instance numbers stay dense
      }
      if (inst) { this._insts.splice(i, 1); this._curInst = null; }
      this._repaint(0, 0, this._W, this._H);
      this._render();
      this._notify();
    }
    _png() {
      var W = this._W, H = this._H, c = h('canvas'), counts = this._counts();
      c.width = W; c.height = H;
      var ctx = c.getContext('2d'), img = ctx.createImageData(W, H), d = img.data, m = this._mask, cache = {};
      for (var i = 0; i < m.length; i++) {
        var v = m[i];
        if (!v || !counts[v]) continue;
        var col = cache[v] || (cache[v] = rgb(this._valueColor(v)));
        d[i * 4] = col[0]; d[i * 4 + 1] = col[1]; d[i * 4 + 2] = col[2]; d[i * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      return c.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
    }
    get value() {
      if (!this._mask) return null;
      var self = this, out = {
        inputImageProperties: { height: this._H, width: this._W },
        labeledImage: { pngImageData: this._png() }
      };
      if (this._instances()) {
        out.instances = this._insts.map(function (inst, i) { return { color: self._instColor(i), label: inst.label }; });
      } else {
        out.labelMappings = {};
        this._labels.forEach(function (l, i) { out.labelMappings[l.label] = { color: self._labelColor(i) }; });
      }
      // as AWS's element: whether the worker edited the mask it started from (every edit goes through _notify)
      if (K.isPlainObject(this._initial)) out.initialValueModified = !!this._edited;
      return out;
    }
    _notify() { this._edited = true; super._notify(); }
    _crowdCollect(out) { var v = this.value; if (this.name && v) out[this.name] = v; }
    _crowdValidate() {
      if (this._draft && this._draft.length) return 'Finish the polygon you are drawing (press Enter) or cancel it (Esc).';
      if (!this._mask) return 'The image has not loaded yet.';
      if (this.hasAttribute('required')) {
        var c = this._counts();
        for (var v = 1; v < 256; v++) if (c[v]) return null;
        return 'Please label part of the image.';
      }
      return null;
    }
    _crowdFocus() { this._view.focus({ preventScroll: true }); }
  }
  class InstanceSegmentation extends Segmentation { _instances() { return true; } }

  K.define('crowd-semantic-segmentation', Segmentation);
  K.define('crowd-instance-segmentation', InstanceSegmentation);
  K.partLoaded();
})();
