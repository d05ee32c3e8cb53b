// WhatsApp designer: redraw the phone-width bubble while the form is typed in. Only copies
// text (placeholders shown with their sample values) and the chosen medium's picture; every
// rule is the server's, which checks the design when it is saved.
(function () {
  "use strict";
  var PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\s*\}\}/g;
  var ICONS = { URL: "↗ ", PHONE_NUMBER: "☎ ", QUICK_REPLY: "↩ " };

  function filled(text, samples) {
    return text.replace(PLACEHOLDER, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(samples, name) ? samples[name] : whole;
    });
  }

  function value(form, name) {
    var field = form.elements.namedItem(name);
    return field ? field.value : "";
  }

  function drawHeader(box, form, data) {
    var format = value(form, "header_format");
    box.replaceChildren();
    if (format === "TEXT") {
      var strong = document.createElement("strong");
      strong.textContent = filled(value(form, "header_text"), data.samples);
      box.appendChild(strong);
    } else if (format && data.media[value(form, "header_media")]) {
      var medium = data.media[value(form, "header_media")];
      if (medium.kind === "IMAGE") {
        var img = document.createElement("img");
        img.src = medium.path;
        img.alt = "";
        box.appendChild(img);
      } else {
        var doc = document.createElement("span");
        doc.className = "wa-document";
        doc.textContent = "📄 " + medium.path.split("/").pop();
        box.appendChild(doc);
      }
    }
  }

  function drawBody(box, text) {
    box.replaceChildren();
    text.split("\n").forEach(function (line, index) {
      if (index) box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(line));
    });
  }

  function drawButtons(list, form) {
    list.replaceChildren();
    for (var i = 0; i < 10; i++) {
      var type = value(form, "buttons-" + i + "-type");
      if (!type) continue;
      var item = document.createElement("li");
      item.dataset.type = type;
      item.textContent = (ICONS[type] || "") + value(form, "buttons-" + i + "-text");
      list.appendChild(item);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-wa-form]");
    var source = document.getElementById("whatsapp-designer-data");
    if (!form || !source) return;
    var data = JSON.parse(source.textContent);
    var redraw = function () {
      drawHeader(document.querySelector("[data-wa-header]"), form, data);
      drawBody(document.querySelector("[data-wa-body]"), filled(value(form, "body"), data.samples));
      document.querySelector("[data-wa-footer]").textContent = value(form, "footer");
      drawButtons(document.querySelector("[data-wa-buttons]"), form);
    };
    form.addEventListener("input", redraw);
    form.addEventListener("change", redraw);
    redraw();
  });
})();
