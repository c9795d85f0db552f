/* hitl-service: placeholder part, filled in below. */
(function () {
  'use strict';
  var K = window.__crowdKit;
  if (!K) return;
  K.partLoaded();
})();
