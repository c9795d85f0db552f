/*
 * hitl-service: the review widgets of A2I's built-in task types.
 *   <crowd-textract-analyze-document>             Textract's key-value pairs over the document image
 *   <crowd-rekognition-detect-moderation-labels>  Rekognition's moderation labels to confirm or change
 * Both answer under AWS's fixed keys ("AWS/Textract/AnalyzeDocument/Forms/V1",
 * "AWS/Rekognition/DetectModerationLabels/Image/V3"), as AWS's elements do.
 */
(function () {
  'use strict';
  var K = window.__crowdKit;
  if (!K) return;
  var h = K.h;
  var TEXTRACT_KEY = 'AWS/Textract/AnalyzeDocument/Forms/V1';
  var REKOGNITION_KEY = 'AWS/Rekognition/DetectModerationLabels/Image/V3';

  K.addCss([
    '.kv{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr) auto;gap:6px;align-items:center;padding:6px;border-radius:6px;border:1px solid transparent}',
    '.kv.sel{border-color:#0b6bcb;background:#eaf3fd}',
    '.kv .field{padding:4px 8px}',
    '.kvhead{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr) auto;gap:6px;font-size:12px;font-weight:700;color:#5b6472;text-transform:uppercase;padding:0 6px}',
    '.kvlist{display:flex;flex-direction:column;gap:2px;max-height:60vh;overflow:auto}',
    '.docbox{position:absolute;border:2px solid var(--c);background:var(--bg);pointer-events:none}',
    '.docbox.sel{border-width:3px;box-shadow:0 0 0 2px #fff}',
    '.kvadd{display:flex;gap:6px;margin-top:10px;flex-wrap:wrap}',
    '.kvadd .field{flex:1 1 120px;padding:4px 8px}',
    '.tx .work{grid-template-columns:minmax(0,1fr) minmax(300px,440px)}'
  ].join('\n'));

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'id-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }
  // Textract blocks come in PascalCase (the API) or camelCase (AWS's answer shape): read either
  function pick(o, name) {
    if (!o) return undefined;
    if (o[name] !== undefined) return o[name];
    return o[name.charAt(0).toLowerCase() + name.slice(1)];
  }
  function camel(v) {
    if (Array.isArray(v)) return v.map(camel);
    if (!K.isPlainObject(v)) return v;
    var out = {};
    Object.keys(v).forEach(function (k) { out[k.charAt(0).toLowerCase() + k.slice(1)] = camel(v[k]); });
    return out;
  }

  class CrowdTextractAnalyzeDocument extends K.CrowdBase {
    static get observedAttributes() { return ['src', 'header']; }
    _setup() {
      var self = this;
      var r = this._shadow(true);
      this._instr = K.instructionsPanel(this);
      this._hdr = h('h2', { class: 'hdr', part: 'header' });
      this._err = K.errEl();
      this._stage = new K.ImageStage(function () { self._renderBoxes(); self.setAttribute('image-loaded', ''); });
      this._stage.onFit = function () { self._renderBoxes(); };
      this._list = h('div', { class: 'kvlist' });
      this._newKey = this._keyInput();
      this._newVal = h('input', { class: 'field', type: 'text', placeholder: 'Value', 'aria-label': 'New value' });
      var add = h('button', { type: 'button', class: 'btn' }, 'Add pair');
      add.addEventListener('click', function () { self._addPair(); });
      this._newVal.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); self._addPair(); } });
      var side = h('aside', { class: 'side' }, this._instr.panel);
      var pairsPanel = h('section', { class: 'panel' }, h('h3', { class: 'ptitle' }, 'Key-value pairs'),
        h('div', { class: 'kvhead' }, h('span', null, 'Key'), h('span', null, 'Value'), h('span')), this._list,
        h('div', { class: 'kvadd' }, this._newKey, this._newVal, add));
      this._side = side;
      var main = h('div', { class: 'main' }, this._hdr, h('div', { class: 'work' }, this._stage.wrap, pairsPanel), this._err);
      r.append(K.ownFormIfStandalone(this, h('div', { class: 'layout tx' }, side, main)), this._instr.modal.el);
      this._regions = { 'short-instructions': this._instr.shortSlot, 'full-instructions': this._instr.fullSlot, '*': null };
      this._sel = -1;
      this._pairs = this._parseBlocks(K.tryParse(this.getAttribute('initial-value')));
      this._attr();
      this._renderList();
    }
    _regionsChanged() { this._instr.update(); this._side.hidden = this._instr.panel.hidden; }
    _attr() {
      var hd = this.getAttribute('header');
      this._hdr.textContent = hd || '';
      this._hdr.hidden = !hd;
      this._stage.setSrc(this.getAttribute('src'));
    }
    // the important keys of the flow (attribute `keys`) offered when adding a pair
    _keyInput() {
      var keys = K.tryParse(this.getAttribute('keys'));
      var names = (Array.isArray(keys) ? keys : []).map(function (k) { return K.isPlainObject(k) ? k.importantFormKey : k; })
        .filter(function (k) { return k != null && k !== ''; }).map(String);
      var input = h('input', { class: 'field', type: 'text', placeholder: 'Key', 'aria-label': 'New key', list: 'kv-keys' });
      if (names.length) {
        var dl = h('datalist', { id: 'kv-keys' });
        names.forEach(function (n) { dl.append(h('option', { value: n })); });
        return h('span', { style: 'display:contents' }, input, dl);
      }
      return input;
    }
    _parseBlocks(blocks) {
      if (K.isPlainObject(blocks) && Array.isArray(pick(blocks, 'Blocks'))) blocks = pick(blocks, 'Blocks');
      if (!Array.isArray(blocks)) return [];
      var byId = {};
      blocks.forEach(function (b) { if (K.isPlainObject(b)) byId[pick(b, 'Id')] = b; });
      var textOf = function (b) {
        if (!b) return '';
        var t = pick(b, 'Text');
        if (t != null) return String(t);
        var words = [];
        (pick(b, 'Relationships') || []).forEach(function (rel) {
          if (pick(rel, 'Type') !== 'CHILD') return;
          (pick(rel, 'Ids') || []).forEach(function (id) {
            var w = byId[id];
            if (w && pick(w, 'BlockType') === 'WORD') words.push(pick(w, 'Text'));
            else if (w && pick(w, 'BlockType') === 'SELECTION_ELEMENT') words.push(pick(w, 'SelectionStatus'));
          });
        });
        return words.join(' ');
      };
      var pairs = [];
      blocks.forEach(function (b) {
        if (!K.isPlainObject(b) || pick(b, 'BlockType') !== 'KEY_VALUE_SET' || (pick(b, 'EntityTypes') || []).indexOf('KEY') < 0) return;
        var valueId = null;
        (pick(b, 'Relationships') || []).forEach(function (rel) { if (pick(rel, 'Type') === 'VALUE') valueId = (pick(rel, 'Ids') || [])[0]; });
        var v = valueId ? byId[valueId] : null;
        pairs.push({ keyBlock: b, valueBlock: v, keyId: pick(b, 'Id'), valueId: valueId || uuid(), key: textOf(b), value: textOf(v),
          original: true });
      });
      return pairs;
    }
    _box(block) {
      var g = pick(block, 'Geometry'), bb = g && pick(g, 'BoundingBox');
      if (!bb) return null;
      return { left: +pick(bb, 'Left') || 0, top: +pick(bb, 'Top') || 0, width: +pick(bb, 'Width') || 0, height: +pick(bb, 'Height') || 0 };
    }
    _renderBoxes() {
      var self = this, L = this._stage.layer;
      L.textContent = '';
      this._pairs.forEach(function (p, i) {
        [[p.keyBlock, '#0b6bcb'], [p.valueBlock, '#2f8f3a']].forEach(function (kv) {
          var b = kv[0] && self._box(kv[0]);
          if (!b) return;
          var d = h('div', { class: 'docbox' + (i === self._sel ? ' sel' : '') });
          d.style.left = (b.left * 100) + '%'; d.style.top = (b.top * 100) + '%';
          d.style.width = (b.width * 100) + '%'; d.style.height = (b.height * 100) + '%';
          d.style.setProperty('--c', kv[1]);
          d.style.setProperty('--bg', K.hexA(kv[1], i === self._sel ? 0.22 : 0.08));
          L.append(d);
        });
      });
    }
    _renderList() {
      var self = this, noKeyEdit = this.hasAttribute('no-key-edit');
      this._list.textContent = '';
      if (!this._pairs.length) this._list.append(h('div', { class: 'empty-list' }, 'No pairs.'));
      this._pairs.forEach(function (p, i) {
        var k = h('input', { class: 'field', type: 'text', 'aria-label': 'Key ' + (i + 1) });
        var v = h('input', { class: 'field', type: 'text', 'aria-label': 'Value of ' + (p.key || 'key ' + (i + 1)) });
        k.value = p.key; v.value = p.value;
        k.readOnly = noKeyEdit && p.original;
        k.addEventListener('input', function () { p.key = k.value; self._clearErrorIfValid(); });
        v.addEventListener('input', function () { p.value = v.value; });
        [k, v].forEach(function (f) { f.addEventListener('focus', function () { self._select(i); }); });
        var del = h('button', { type: 'button', class: 'x', 'aria-label': 'Remove pair ' + (p.key || i + 1), title: 'Not a key-value pair' }, '\u00d7');
        del.addEventListener('click', function () { self._pairs.splice(i, 1); self._sel = -1; self._renderList(); self._changed(); });
        self._list.append(h('div', { class: 'kv' + (i === self._sel ? ' sel' : ''), 'data-i': String(i) }, k, v, del));
      });
      this._renderBoxes();
    }
    _select(i) {
      this._sel = i;
      this._list.querySelectorAll('.kv').forEach(function (row) { row.classList.toggle('sel', Number(row.dataset.i) === i); });
      this._renderBoxes();
    }
    _addPair() {
      var keyEl = this._newKey.localName === 'input' ? this._newKey : this._newKey.querySelector('input');
      var key = keyEl.value.trim();
      if (!key) { keyEl.focus(); return; }
      this._pairs.push({ keyBlock: null, valueBlock: null, keyId: uuid(), valueId: uuid(), key: key, value: this._newVal.value.trim(), original: false });
      keyEl.value = ''; this._newVal.value = '';
      this._renderList();
      this._changed();
      keyEl.focus();
    }
    _blocks() {
      var out = [];
      this._pairs.forEach(function (p) {
        var kb = { blockType: 'KEY_VALUE_SET', id: p.keyId, entityTypes: ['KEY'], text: p.key,
          relationships: [{ type: 'VALUE', ids: [p.valueId] }] };
        var vb = { blockType: 'KEY_VALUE_SET', id: p.valueId, entityTypes: ['VALUE'], text: p.value, relationships: [] };
        [[p.keyBlock, kb], [p.valueBlock, vb]].forEach(function (pair) {
          var src = pair[0], dst = pair[1];
          if (!src) return;
          // keep Textract's geometry, confidence and word children of the pairs it found
          var g = pick(src, 'Geometry'), c = pick(src, 'Confidence');
          if (g) dst.geometry = camel(g);
          if (c != null) dst.confidence = c;
          (pick(src, 'Relationships') || []).forEach(function (rel) {
            if (pick(rel, 'Type') === 'CHILD') dst.relationships.unshift({ type: 'CHILD', ids: (pick(rel, 'Ids') || []).slice() });
          });
        });
        out.push(kb, vb);
      });
      return out;
    }
    get value() { return { blocks: this._blocks() }; }
    _crowdCollect(out) { out[TEXTRACT_KEY] = this.value; }
    _crowdValidate() {
      for (var i = 0; i < this._pairs.length; i++) if (!this._pairs[i].key.trim()) return 'Every pair needs a key (or remove the pair).';
      return null;
    }
    _crowdFocus() { var f = this._list.querySelector('input'); if (f) f.focus(); }
  }

  // Moderation labels as a multi-select over the image; the answer keeps the full category objects.
  class CrowdRekognitionModeration extends K.CrowdClassifier {
    _multi() { return true; }
    _image() { return true; }
    _render() {
      var raw = K.tryParse(this.getAttribute('categories'));
      this._catObjs = Array.isArray(raw) ? raw : K.parseList(this.getAttribute('categories'));
      super._render();
      this._categories = this._catObjs.map(function (c) { return K.isPlainObject(c) ? String(c.name) : String(c); });
      var self = this;
      this._cats.querySelectorAll('.cat').forEach(function (b) {
        if (b.dataset.i !== 'x') b.querySelector('.ctext').textContent = self._categories[Number(b.dataset.i)];
      });
    }
    _paint() {
      super._paint();
      // choosing the exclusion button disables the categories until it is chosen again
      var none = this._sel && this._sel.has('x');
      this._cats.querySelectorAll('.cat').forEach(function (b) { if (b.dataset.i !== 'x') b.disabled = !!none; });
    }
    _answer() {
      var self = this;
      var chosen = Array.from(this._sel).filter(function (i) { return i !== 'x'; }).sort(function (a, b) { return a - b; });
      return { ModerationLabels: chosen.map(function (i) { return self._catObjs[i]; }) };
    }
    _crowdCollect(out) { out[REKOGNITION_KEY] = this._answer(); }
    // with an exclusion button the reviewer must choose something (labels or the button); without, none is an answer
    _crowdValidate() {
      if (!this._exclusion || this._sel.size) return null;
      return 'Choose the categories that apply, or \u201c' + this._exclusion.text + '\u201d.';
    }
  }

  K.define('crowd-textract-analyze-document', CrowdTextractAnalyzeDocument);
  K.define('crowd-rekognition-detect-moderation-labels', CrowdRekognitionModeration);
  K.partLoaded();
})();
