/*
 * hitl-service: video frame labeling over Ground Truth's frame sequences.
 *   <crowd-video-object-tracking>   boxes per frame that keep a track id across frames
 *   <crowd-video-object-detection>  boxes per frame, no tracks
 * A player over the frames (play, step, slider, keys), copy-to-next-frame and interpolation between
 * key frames.  The answer is Ground Truth's per-sequence label file ("tracking-annotations" /
 * "detection-annotations").  These two tags are ours: AWS's own video tools are not Crowd HTML Elements.
 */
(function () {
  'use strict';
  var K = window.__crowdKit;
  if (!K || !K.CrowdBoundingBox) return;
  var h = K.h;

  K.addCss([
    '.vbar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:8px 0 0}',
    '.vbar .btn{min-height:30px;padding:3px 10px;font-size:13px}',
    '.vbar input[type=range]{flex:1 1 200px;accent-color:#0b6bcb}',
    '.vbar .fno{font-variant-numeric:tabular-nums;font-size:13px;min-width:90px}',
    '.bbox.interp{border-style:dashed}'
  ].join('\n'));

  var nextId = 0;
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    nextId += 1;
    return 'obj-' + Date.now().toString(36) + '-' + nextId;
  }
  function frameName(url) {
    var s = String(url).split(/[?#]/)[0];
    return s.slice(s.lastIndexOf('/') + 1) || s;
  }

  class VideoFrames extends K.CrowdBoundingBox {
    static get observedAttributes() { return ['frames', 'labels', 'header']; }
    _tracking() { return true; }
    _itemsTitle() { return 'Objects in this frame'; }
    _hintText() {
      return 'Drag on the frame to draw a box. \u2190 \u2192 previous and next frame, Space play or pause, ' +
        (this._tracking() ? 'C copies the boxes to the next frame, I fills frames between key frames, ' : 'C copies the boxes to the next frame, ') +
        '1\u20139 pick a label, Delete removes the selected box.';
    }
    _buildMain() {
      var self = this, wrap = super._buildMain();
      this._fi = 0;
      this._perFrame = [];
      this._counter = {};
      var btn = function (text, title, fn) {
        var b = h('button', { type: 'button', class: 'btn', title: title }, text);
        b.addEventListener('click', fn);
        return b;
      };
      this._slider = h('input', { type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'Frame' });
      this._slider.addEventListener('input', function () { self._go(Number(self._slider.value)); });
      this._fno = h('span', { class: 'fno', 'aria-live': 'polite' });
      this._playBtn = btn('Play', 'Play or pause (Space)', function () { self._togglePlay(); });
      var bar = h('div', { class: 'vbar' },
        btn('\u2190', 'Previous frame (\u2190)', function () { self._go(self._fi - 1); }), this._playBtn,
        btn('\u2192', 'Next frame (\u2192)', function () { self._go(self._fi + 1); }), this._slider, this._fno,
        btn('Copy to next frame', 'Copy the boxes to the next frame (C)', function () { self._copyNext(); }));
      if (this._tracking()) bar.append(btn('Interpolate', 'Fill the frames between key frames (I)', function () { self._interpolate(); }));
      return h('div', null, wrap, bar);
    }
    _readAttrs() {
      super._readAttrs();
      var v = K.tryParse(this.getAttribute('frames'));
      if (K.isPlainObject(v) && Array.isArray(v.frames)) {
        // a Ground Truth sequence file: prefix + frames[].frame
        var prefix = v.prefix || '';
        v = v.frames.map(function (f) { return K.isPlainObject(f) ? prefix + f.frame : String(f); });
      }
      this._frames = (Array.isArray(v) ? v : []).map(function (f) { return K.isPlainObject(f) ? String(f.url || f.frame) : String(f); });
      while (this._perFrame.length < this._frames.length) this._perFrame.push([]);
      this._slider.max = String(Math.max(0, this._frames.length - 1));
      this._go(this._fi || 0);
    }
    _setInitial() { /* frames start empty */ }
    _items() { return this._perFrame[this._fi] || (this._perFrame[this._fi] = []); }
    _go(i) {
      if (!this._frames || !this._frames.length) return;
      i = K.clamp(i, 0, this._frames.length - 1);
      this._fi = i;
      this._sel = -1;
      this._slider.value = String(i);
      this._fno.textContent = 'Frame ' + (i + 1) + ' / ' + this._frames.length;
      this._stage.setSrc(this._frames[i]);
      this.setAttribute('frame', String(i));
      this._render();
    }
    _togglePlay() {
      var self = this;
      if (this._timer) { clearInterval(this._timer); this._timer = null; this._playBtn.textContent = 'Play'; return; }
      this._playBtn.textContent = 'Pause';
      var fps = Number(this.getAttribute('frame-rate')) || 4;
      this._timer = setInterval(function () {
        if (self._fi >= self._frames.length - 1) { self._togglePlay(); return; }
        self._go(self._fi + 1);
      }, 1000 / fps);
    }
    _up(e) {
      var d = this._drag;
      super._up(e);
      if (!d) return;
      var b = this._items()[d.i];
      if (!b) return;
      if (!b.id) {
        // a new object: its track id and a name like "Car:3"
        this._counter[b.label] = (this._counter[b.label] || 0) + 1;
        b.id = newId();
        b.name = b.label + ':' + this._counter[b.label];
      }
      if (d.moved || d.mode === 'draw') b.key = true;
      this._render();
    }
    _relabel(i, label) {
      // a track keeps one label on every frame
      var id = this._items()[i].id;
      this._perFrame.forEach(function (boxes) { boxes.forEach(function (b) { if (b.id === id) b.label = label; }); });
      this._render();
      this._notify();
    }
    _copyNext() {
      if (this._fi >= this._frames.length - 1) return;
      var next = this._perFrame[this._fi + 1], self = this;
      this._items().forEach(function (b) {
        var copy = { left: b.left, top: b.top, width: b.width, height: b.height, label: b.label,
          id: self._tracking() ? b.id : newId(), name: b.name, key: !self._tracking() };
        var at = next.findIndex(function (x) { return x.id === b.id; });
        if (self._tracking() && at >= 0) next[at] = copy; else next.push(copy);
      });
      this._go(this._fi + 1);
      this._notify();
    }
    // A copy is carried over, not a key frame, until the reviewer moves or resizes it.
    // Between two key frames of one object, boxes move and resize linearly.
    _interpolate() {
      var pf = this._perFrame, keys = {}, filled = 0;
      pf.forEach(function (boxes, f) {
        boxes.forEach(function (b) { if (b.key) (keys[b.id] = keys[b.id] || []).push({ f: f, b: b }); });
      });
      Object.keys(keys).forEach(function (id) {
        var ks = keys[id];
        for (var k = 0; k + 1 < ks.length; k++) {
          var a = ks[k], z = ks[k + 1];
          for (var f = a.f + 1; f < z.f; f++) {
            var t = (f - a.f) / (z.f - a.f), box = { label: a.b.label, id: id, name: a.b.name, key: false };
            ['left', 'top', 'width', 'height'].forEach(function (p) { box[p] = a.b[p] + (z.b[p] - a.b[p]) * t; });
            var at = pf[f].findIndex(function (x) { return x.id === id; });
            if (at >= 0 && pf[f][at].key) continue;
            if (at >= 0) pf[f][at] = box; else pf[f].push(box);
            filled += 1;
          }
        }
      });
      this._render();
      if (filled) this._notify();
    }
    _key(e) {
      if (e.key === 'ArrowRight' || e.key === '.') { e.preventDefault(); this._go(this._fi + 1); }
      else if (e.key === 'ArrowLeft' || e.key === ',') { e.preventDefault(); this._go(this._fi - 1); }
      else if (e.key === 'Home') { e.preventDefault(); this._go(0); }
      else if (e.key === 'End') { e.preventDefault(); this._go(this._frames.length - 1); }
      else if (e.key === ' ') { e.preventDefault(); this._togglePlay(); }
      else if (e.key === 'c' || e.key === 'C') { e.preventDefault(); this._copyNext(); }
      else if ((e.key === 'i' || e.key === 'I') && this._tracking()) { e.preventDefault(); this._interpolate(); }
      else super._key(e);
    }
    _render() {
      super._render();
      if (!this._stage || !this._stage.layer) return;
      var boxes = this._items();
      this._stage.layer.querySelectorAll('.bbox').forEach(function (el) {
        var b = boxes[Number(el.dataset.i)];
        if (!b) return;
        if (!b.key) el.classList.add('interp');
        if (b.name) el.querySelector('.tag').textContent = b.name;
      });
      var rows = this._itemsBox.querySelectorAll('.item .itext');
      boxes.forEach(function (b, i) { if (rows[i] && b.name) rows[i].textContent = b.name + (b.key ? '' : ' (interpolated)'); });
    }
    _labelId(label) {
      for (var i = 0; i < this._labels.length; i++) if (this._labels[i].label === label) return String(i);
      return '0';
    }
    get value() {
      var self = this, tracking = this._tracking();
      var frames = this._frames.map(function (url, f) {
        return {
          'frame-no': String(f),
          frame: frameName(url),
          annotations: (self._perFrame[f] || []).map(function (b) {
            var a = { height: Math.round(b.height), width: Math.round(b.width), top: Math.round(b.top), left: Math.round(b.left),
              'class-id': self._labelId(b.label), 'label-category-attributes': {} };
            if (tracking) { a['object-id'] = b.id; a['object-name'] = b.name; }
            return a;
          })
        };
      });
      var out = {};
      out[tracking ? 'tracking-annotations' : 'detection-annotations'] = frames;
      return out;
    }
    _crowdValidate() {
      if (!this.hasAttribute('required')) return null;
      return this._perFrame.some(function (b) { return b.length; }) ? null : 'Please draw at least one box.';
    }
  }
  class VideoDetection extends VideoFrames { _tracking() { return false; } }

  K.define('crowd-video-object-tracking', VideoFrames);
  K.define('crowd-video-object-detection', VideoDetection);
  K.partLoaded();
})();
