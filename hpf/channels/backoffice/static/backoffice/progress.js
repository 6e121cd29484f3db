/* Live progress of the back office's batch runs (运行记录), without reloading the page:
   every 2 s while a run on the page is RUNNING (or a run just started is not yet recorded),
   every 10 s otherwise, the page asks runs/progress.json for those runs and for runs newer
   than the newest it shows. It fills in the running rows' counts, percent, rows and time
   left; when a run finishes or a new one appears it reloads once to show the final figures.
   Same origin, no library: the page's Content-Security-Policy allows only 'self' scripts. */
(function () {
  "use strict";
  var root = document.querySelector("[data-progress-url]");
  if (!root) { return; }
  var url = root.getAttribute("data-progress-url");
  var after = root.getAttribute("data-after");
  var waitingSince = Date.now();

  function running() {
    return Array.prototype.map.call(
      document.querySelectorAll("[data-run][data-state='RUNNING']"),
      function (el) { return el.getAttribute("data-run"); });
  }
  function set(el, field, value) {
    if (value === null || value === undefined) { return; }
    Array.prototype.forEach.call(el.querySelectorAll("[data-f='" + field + "']"),
      function (node) { node.textContent = value; });
  }
  function update(run) {
    var el = document.querySelector("[data-run='" + run.id + "']");
    if (!el) { return false; }
    if (run.state !== "RUNNING") { return true; }
    var p = run.progress;
    var bar = el.querySelector("progress");
    if (bar && p.total > 0) {
      bar.max = p.total;
      bar.value = p.done;
      bar.textContent = p.percent === null ? "" : p.percent + "%";
    } else if (!bar && p.total > 0) {
      return true;  // the run now knows its size: show the bar
    }
    set(el, "done", p.done.toLocaleString("en-US"));
    set(el, "total", p.total.toLocaleString("en-US"));
    set(el, "percent", p.percent);
    set(el, "rows", p.rows_done === null ? null : p.rows_done.toLocaleString("en-US"));
    set(el, "elapsed", p.elapsed);
    set(el, "left", p.left);
    set(el, "lists", run.figures.lists);
    return false;
  }
  function tick() {
    var ids = running();
    var waiting = document.querySelector("[data-waiting]");
    var query = "?ids=" + ids.join(",") + (after !== null ? "&after=" + after : "");
    fetch(url + query, {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (res) {
      if (!res.ok) { throw new Error(res.status); }
      return res.json();
    }).then(function (data) {
      var shown = ids.length ? data.runs : [];
      var finished = shown.map(update).some(Boolean);
      var fresh = (data["new"] || []).some(function (id) {
        return !document.querySelector("[data-run='" + id + "']");
      });
      if (finished || fresh) { window.location.reload(); return; }
      if (waiting && Date.now() - waitingSince > 60000) {
        var late = waiting.querySelector("[data-late]");
        if (late) { late.hidden = false; }
      }
      window.setTimeout(tick, ids.length || waiting ? 2000 : 10000);
    }).catch(function () { window.setTimeout(tick, 5000); });
  }
  // The first look only once the page has loaded: a reload while it is still loading would
  // interrupt the navigation that brought the reader here.
  function start() { window.setTimeout(tick, 2000); }
  if (document.readyState === "complete") { start(); }
  else { window.addEventListener("load", start, { once: true }); }
})();
