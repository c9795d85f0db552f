/*
 * hitl-service: the elements of AWS's crowd-html-elements-v2.js loader, built on the kit of
 * crowd-html-elements.js (loaded by it).  <crowd-text-ranking> and <crowd-question-answer-generation>.
 * AWS does not document their answer shapes; ours are described in docs/annotation-tools.md.
 */
(function () {
  'use strict';
  var K = window.__crowdKit;
  if (!K) return;
  var h = K.h;

  K.addCss([
    '.prompt{border:1px solid #e1e5ea;border-radius:8px;background:#f6f8fa;padding:12px 14px;margin:0 0 14px;white-space:pre-wrap;overflow-wrap:anywhere}',
    '.resp{border:1px solid #e1e5ea;border-radius:8px;background:#fff;padding:12px 14px;margin:0 0 10px}',
    '.resp .rhead{display:flex;justify-content:space-between;align-items:center;gap:10px;font-weight:600;margin-bottom:6px}',
    '.resp .rtext{white-space:pre-wrap;overflow-wrap:anywhere}',
    '.ranks{display:flex;flex-wrap:wrap;gap:12px;margin-top:8px}',
    '.ranks label{display:flex;align-items:center;gap:6px;font-size:13px}',
    '.ranks select{font:inherit;padding:3px 6px}',
    '.qa{border:1px solid #e1e5ea;border-radius:8px;background:#fff;padding:10px 12px;margin:0 0 10px}',
    '.qa .qhead{display:flex;justify-content:space-between;align-items:center;font-weight:600;margin-bottom:6px}',
    '.qa .span{font-size:12px;color:#5b6472;margin-top:4px}',
    '.tags{display:flex;flex-wrap:wrap;gap:10px;margin-top:6px;font-size:13px}',
    '.passage{white-space:pre-wrap;overflow-wrap:anywhere;border:1px solid #e1e5ea;border-radius:8px;padding:12px 14px;background:#fff;max-height:50vh;overflow:auto;font-size:15px;line-height:1.6}'
  ].join('\n'));

  function words(s) { return String(s || '').trim().split(/\s+/).filter(Boolean).length; }
  function intAttr(el, name, dflt) {
    var v = parseInt(el.getAttribute(name), 10);
    return isNaN(v) ? dflt : v;
  }

  // Shared frame: instructions on the side, the element's body in the main column, an error line.
  class V2Base extends K.CrowdBase {
    _setup() {
      var r = this._shadow(true);
      this._instr = K.instructionsPanel(this);
      this._err = K.errEl();
      this._body = h('div');
      var side = h('aside', { class: 'side' }, this._instr.panel);
      this._side = side;
      r.append(K.ownFormIfStandalone(this, h('div', { class: 'layout' }, side, h('div', { class: 'main' }, this._body, this._err))),
        this._instr.modal.el);
      this._regions = { 'short-instructions': this._instr.shortSlot, 'full-instructions': this._instr.fullSlot, '*': null };
      this._render();
    }
    _regionsChanged() { this._instr.update(); this._side.hidden = this._instr.panel.hidden; }
    _attr() { this._render(); }
    _crowdCollect(out) { if (this.name) out[this.name] = this.value; }
  }

  // Each response gets a rank (1 = best) on every dimension; ties only where the dimension allows them.
  class CrowdTextRanking extends V2Base {
    static get observedAttributes() { return ['text', 'responses', 'ordinal-ranking-dimensions']; }
    _render() {
      var self = this;
      var dims = K.tryParse(this.getAttribute('ordinal-ranking-dimensions'));
      this._dims = (Array.isArray(dims) ? dims : []).map(function (d) {
        return K.isPlainObject(d) ? { name: String(d.name), allowTie: !!d.allowTie } : { name: String(d), allowTie: false };
      });
      this._responses = K.parseList(this.getAttribute('responses'));
      var n = this._responses.length;
      var old = this._selects || {};
      this._selects = {};
      this._body.textContent = '';
      var text = this.getAttribute('text');
      if (text) this._body.append(h('div', { class: 'prompt', part: 'prompt' }, text));
      this._responses.forEach(function (resp, i) {
        var ranks = h('div', { class: 'ranks' });
        self._dims.forEach(function (d) {
          var sel = h('select', { 'aria-label': d.name + ' rank of response ' + (i + 1), 'data-dim': d.name, 'data-i': String(i) },
            h('option', { value: '' }, '\u2013'));
          for (var k = 1; k <= n; k++) sel.append(h('option', { value: String(k) }, String(k)));
          var key = d.name + '/' + i;
          if (old[key]) sel.value = old[key].value;
          sel.addEventListener('change', function () { self._changed(); });
          self._selects[key] = sel;
          ranks.append(h('label', null, d.name, sel));
        });
        self._body.append(h('div', { class: 'resp' },
          h('div', { class: 'rhead' }, 'Response ' + (i + 1)), h('div', { class: 'rtext' }, resp), ranks));
      });
      this._body.append(h('p', { class: 'hint' }, 'Rank every response on each dimension: 1 is the best.'));
    }
    _ranks(d) {
      var self = this;
      return this._responses.map(function (_, i) {
        var v = self._selects[d.name + '/' + i].value;
        return v ? Number(v) : null;
      });
    }
    get value() {
      var self = this;
      return { ordinalRankingDimensions: this._dims.map(function (d) { return { name: d.name, ranks: self._ranks(d) }; }) };
    }
    _crowdValidate() {
      for (var j = 0; j < this._dims.length; j++) {
        var d = this._dims[j], ranks = this._ranks(d);
        if (ranks.some(function (r) { return r == null; })) return 'Rank every response on \u201c' + d.name + '\u201d.';
        if (!d.allowTie && new Set(ranks).size !== ranks.length) return '\u201c' + d.name + '\u201d does not allow ties: give each response its own rank.';
      }
      return null;
    }
    _crowdFocus() { var s = this._body.querySelector('select'); if (s) s.focus(); }
  }

  // Question and answer pairs about a passage; an answer may be taken from a highlighted part of it.
  class CrowdQuestionAnswerGeneration extends V2Base {
    static get observedAttributes() { return ['text', 'question-tags', 'allow-custom-question-tags']; }
    _setup() { this._pairs = []; super._setup(); }
    _render() {
      var self = this;
      this._tags = K.parseList(this.getAttribute('question-tags'));
      this._body.textContent = '';
      this._passage = h('div', { class: 'passage', part: 'text', tabindex: '0' }, this.getAttribute('text') || '');
      this._list = h('div');
      var add = h('button', { type: 'button', class: 'btn' }, 'Add a question');
      add.addEventListener('click', function () { self._add(); });
      this._body.append(h('h3', { class: 'ptitle' }, 'Passage'), this._passage,
        h('p', { class: 'hint' }, 'Write questions the passage answers. Highlight the answer in the passage, then press \u201cUse highlighted text\u201d.'),
        this._list, add);
      if (!this._pairs.length) this._pairs.push(this._blank());
      this._renderPairs();
    }
    _blank() { return { question: '', answer: '', span: null, tags: [] }; }
    _add() {
      var max = intAttr(this, 'max-questions', Infinity);
      if (this._pairs.length >= max) return;
      this._pairs.push(this._blank());
      this._renderPairs();
      var qs = this._list.querySelectorAll('textarea.q');
      qs[qs.length - 1].focus();
      this._changed();
    }
    _highlight() {
      var sel = this.shadowRoot.getSelection ? this.shadowRoot.getSelection() : document.getSelection();
      if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
      var r = sel.getRangeAt(0), node = this._passage.firstChild;
      if (!node || r.startContainer !== node || r.endContainer !== node) return null;
      var text = node.data;
      return { text: text.slice(r.startOffset, r.endOffset),
        startOffset: K.u16ToCp(text, r.startOffset), endOffset: K.u16ToCp(text, r.endOffset) };
    }
    _renderPairs() {
      var self = this, custom = this.getAttribute('allow-custom-question-tags');
      var allowCustom = custom != null && custom !== 'false';
      this._list.textContent = '';
      this._pairs.forEach(function (p, i) {
        var q = h('textarea', { class: 'q', rows: '2', 'aria-label': 'Question ' + (i + 1) });
        var a = h('textarea', { class: 'a', rows: '2', 'aria-label': 'Answer ' + (i + 1) });
        q.value = p.question; a.value = p.answer;
        q.addEventListener('input', function () { p.question = q.value; self._clearErrorIfValid(); });
        a.addEventListener('input', function () { p.answer = a.value; p.span = null; spanNote.textContent = ''; self._clearErrorIfValid(); });
        var spanNote = h('div', { class: 'span' }, p.span ? 'From the passage, characters ' + p.span.startOffset + '\u2013' + p.span.endOffset : '');
        var use = h('button', { type: 'button', class: 'btn link' }, 'Use highlighted text');
        // keep the passage selection: a mousedown on the button would collapse it
        use.addEventListener('mousedown', function (e) { e.preventDefault(); });
        use.addEventListener('click', function () {
          var got = self._highlight();
          if (!got) { spanNote.textContent = 'Highlight the answer in the passage first.'; return; }
          p.answer = a.value = got.text;
          p.span = { startOffset: got.startOffset, endOffset: got.endOffset };
          spanNote.textContent = 'From the passage, characters ' + p.span.startOffset + '\u2013' + p.span.endOffset;
          self._changed();
        });
        var tags = h('div', { class: 'tags' });
        self._tags.concat(p.tags.filter(function (t) { return self._tags.indexOf(t) < 0; })).forEach(function (t) {
          var cb = h('input', { type: 'checkbox' });
          cb.checked = p.tags.indexOf(t) >= 0;
          cb.addEventListener('change', function () {
            p.tags = p.tags.filter(function (x) { return x !== t; });
            if (cb.checked) p.tags.push(t);
            self._changed();
          });
          tags.append(h('label', null, cb, t));
        });
        if (allowCustom) {
          var ct = h('input', { type: 'text', class: 'field', placeholder: 'Custom tag, then Enter', 'aria-label': 'Custom tag for question ' + (i + 1) });
          ct.style.maxWidth = '220px';
          ct.addEventListener('keydown', function (e) {
            if (e.key !== 'Enter' || !ct.value.trim()) return;
            e.preventDefault();
            if (p.tags.indexOf(ct.value.trim()) < 0) p.tags.push(ct.value.trim());
            self._renderPairs();
            self._changed();
          });
          tags.append(ct);
        }
        var del = h('button', { type: 'button', class: 'x', 'aria-label': 'Remove question ' + (i + 1) }, '\u00d7');
        del.addEventListener('click', function () { self._pairs.splice(i, 1); self._renderPairs(); self._changed(); });
        self._list.append(h('div', { class: 'qa' }, h('div', { class: 'qhead' }, 'Question ' + (i + 1), del),
          q, h('div', { class: 'flabel' }, 'Answer'), a, use, spanNote, tags));
      });
    }
    get value() {
      return {
        questionAnswerPairs: this._pairs.filter(function (p) { return p.question.trim() || p.answer.trim(); }).map(function (p) {
          var o = { question: p.question.trim(), answer: p.answer.trim(), questionTags: p.tags.slice() };
          if (p.span) o.answerSpan = { startOffset: p.span.startOffset, endOffset: p.span.endOffset };
          return o;
        })
      };
    }
    _crowdValidate() {
      var pairs = this.value.questionAnswerPairs, min = intAttr(this, 'min-questions', 1), max = intAttr(this, 'max-questions', Infinity);
      if (pairs.length < min) return 'Write at least ' + min + ' question' + (min === 1 ? '' : 's') + ' with an answer.';
      if (pairs.length > max) return 'Write at most ' + max + ' questions.';
      var lim = {
        question: [intAttr(this, 'question-min-words', 1), intAttr(this, 'question-max-words', Infinity)],
        answer: [intAttr(this, 'answer-min-words', 1), intAttr(this, 'answer-max-words', Infinity)]
      };
      for (var i = 0; i < pairs.length; i++) {
        for (var f in lim) {
          var n = words(pairs[i][f]);
          if (n < lim[f][0]) return 'The ' + f + ' of question ' + (i + 1) + ' needs at least ' + lim[f][0] + ' word' + (lim[f][0] === 1 ? '' : 's') + '.';
          if (n > lim[f][1]) return 'The ' + f + ' of question ' + (i + 1) + ' may have at most ' + lim[f][1] + ' words.';
        }
      }
      return null;
    }
    _crowdFocus() { var q = this._list.querySelector('textarea'); if (q) q.focus(); }
  }

  K.define('crowd-text-ranking', CrowdTextRanking);
  K.define('crowd-question-answer-generation', CrowdQuestionAnswerGeneration);
  K.partLoaded();
})();
