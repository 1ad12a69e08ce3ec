// The live panel: calls of the business appear as they open, and change as they are answered
// and end, without reloading (server-sent events from /app/live). Only text is ever inserted
// (textContent), never markup from the feed. Without JavaScript the page shows the calls in
// progress when it was loaded.
"use strict";
(function () {
  var panel = document.getElementById("live");
  if (!panel || !window.EventSource) return;
  var list = document.getElementById("live-calls");
  var state = document.getElementById("live-state");
  var rows = document.getElementById("activity-rows");
  var filtered = window.location.search.replace(/^\?/, "") !== "";

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function link(href, content) {
    var a = text("a", content);
    a.href = href;
    return a;
  }

  function describe(call) {
    var parts = [call.source, call.keyword, call.time].filter(function (p) { return p; });
    if (call.operator) parts.push("answered by " + call.operator);
    if (call.talk) parts.push(call.talk);
    return " " + parts.join(" · ");
  }

  function showInPanel(call) {
    var id = "live-" + call.key;
    var item = document.getElementById(id) || document.createElement("li");
    item.id = id;
    item.className = call.result;
    item.textContent = "";
    item.appendChild(link("/app/leads/" + call.lead_ref, "Call " + call.record_ref));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(text("span", call.outcome.toUpperCase() === "IN CALL" ? "IN CALL" : call.outcome,
      call.result === "in_call" ? "badge" : "outcome"));
    item.appendChild(document.createTextNode(describe(call)));
    if (!item.parentNode) list.insertBefore(item, list.firstChild);
    var none = document.getElementById("live-none");
    if (none) none.remove();
    if (call.result !== "in_call") {
      item.classList.add("ended");
      setTimeout(function () { item.remove(); }, 5 * 60 * 1000);
    }
  }

  function cell(row, content) {
    var td = text("td", content || "");
    row.appendChild(td);
    return td;
  }

  function showInList(call) {
    if (!rows) return;
    var row = document.getElementById(call.key);
    // A filtered list takes in only the calls it already shows; the whole list, every call.
    if (!row && filtered) return;
    var fresh = document.createElement("tr");
    fresh.id = call.key;
    fresh.className = call.kind;
    cell(fresh, String(call.record_ref));
    cell(fresh, call.time);
    cell(fresh, "").appendChild(link("/app/leads/" + call.lead_ref, call.lead || "Lead " + call.lead_ref));
    cell(fresh, call.source);
    cell(fresh, call.keyword);
    cell(fresh, call.landing).className = "landing";
    cell(fresh, call.matched);
    var outcome = cell(fresh, "");
    outcome.appendChild(text("span", call.outcome, call.result === "in_call" ? "badge" : ""));
    cell(fresh, call.talk);
    cell(fresh, call.operator);
    cell(fresh, call.tags);
    var recording = cell(fresh, "");
    if (call.recording) {
      var audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = call.recording;
      audio.setAttribute("aria-label", "Recording of call " + call.record_ref);
      recording.appendChild(audio);
    }
    if (row) {
      row.replaceWith(fresh);
    } else {
      rows.insertBefore(fresh, rows.firstChild);
      var none = document.getElementById("activity-none");
      if (none) none.remove();
    }
  }

  var source = new EventSource(panel.getAttribute("data-feed"));
  source.addEventListener("open", function () { state.textContent = "Live: new calls appear here as they come in."; });
  source.addEventListener("error", function () { state.textContent = "Reconnecting to the live feed…"; });
  source.addEventListener("call", function (event) {
    var call = JSON.parse(event.data);
    showInPanel(call);
    showInList(call);
  });
})();
