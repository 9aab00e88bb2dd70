// The consoles work without this script; it adds the evidence viewer's controls (zoom, turn, side by
// side or one below the other) and fills the rejection text from a prepared reason. Styles change
// through classes and the CSS object model only: the Content-Security-Policy allows no inline style.
(function () {
  "use strict";

  var ZOOMS = [1, 1.5, 2, 3, 4];

  function setUp(item) {
    var image = item.querySelector("[data-image]");
    if (!image) return null;
    var frame = image.parentNode;
    var state = item.querySelector(".view-state");
    var zoom = 0, turn = 0;

    function apply() {
      var scale = ZOOMS[zoom];
      image.classList.toggle("zoomed", zoom > 0);
      frame.classList.toggle("zoomed-frame", zoom > 0);
      image.style.width = zoom > 0 ? Math.round(frame.clientWidth * scale) + "px" : "";
      image.style.rotate = turn ? turn + "deg" : "";
      var quarter = turn % 180 !== 0;
      // Turned a quarter and fitted: it must fit the frame once turned, so its sides swap limits.
      image.style.maxWidth = quarter && !zoom ? frame.clientHeight + "px" : "";
      image.style.maxHeight = quarter && !zoom ? frame.clientWidth + "px" : "";
      image.style.margin = "";
      if (quarter) {  // its box keeps the unturned shape: margins make room for the turned one
        var gap = (image.offsetWidth - image.offsetHeight) / 2;
        image.style.margin = gap + "px " + (-gap) + "px";
      }
      // The page gives each state's words in its language, with {percent} and {degrees} to fill in.
      var words = state.dataset;
      var text = zoom ? (turn ? words.zoomTurned : words.zoom) : (turn ? words.fitTurned : words.fit);
      state.textContent = text.replace("{percent}", Math.round(scale * 100)).replace("{degrees}", turn);
    }

    item.querySelectorAll("[data-act]").forEach(function (button) {
      button.addEventListener("click", function () {
        var act = button.dataset.act;
        if (act === "zoom-in") zoom = Math.min(zoom + 1, ZOOMS.length - 1);
        if (act === "zoom-out") zoom = Math.max(zoom - 1, 0);
        if (act === "rotate") turn = (turn + 90) % 360;
        if (act === "fit") { zoom = 0; turn = 0; }
        apply();
      });
    });
    image.addEventListener("dblclick", function () { zoom = zoom ? 0 : 2; apply(); });
    return apply;
  }

  var viewer = document.querySelector("[data-viewer]");
  if (viewer) {
    viewer.querySelectorAll("[data-tools]").forEach(function (tools) { tools.hidden = false; });
    var views = [];
    viewer.querySelectorAll("[data-document]").forEach(function (item) {
      var apply = setUp(item);
      if (apply) views.push(apply);
    });
    var refit = function () { views.forEach(function (apply) { apply(); }); };
    window.addEventListener("resize", refit);
    var list = viewer.querySelector(".evidence");
    viewer.querySelectorAll("[data-layout]").forEach(function (button) {
      button.addEventListener("click", function () {
        var layout = button.dataset.layout;
        if (list) {
          list.classList.toggle("layout-side", layout === "side");
          list.classList.toggle("layout-stack", layout === "stack");
        }
        viewer.querySelectorAll("[data-layout]").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        refit();  // a zoomed picture keeps its zoom in the new frame's width
      });
    });
  }

  // A prepared reason puts its text in the reason field, to be edited before it is sent.
  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    var target = document.getElementById(select.dataset.fills);
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (target && option && option.dataset.text) target.value = option.dataset.text;
    });
  });
})();
